package dev.quill.server.admin;

import java.util.List;
import java.util.Map;

/**
 * The administrative operations behind {@code quill domain|user|alias}: done on the store
 * directly when no node runs on the data directory, or through the running node's admin channel.
 * Refusals are {@link dev.quill.store.StoreException}s whose message is shown to the operator.
 */
public interface AdminOps extends AutoCloseable {

  /** One line of {@code quill user list}. */
  record UserLine(String address, long quotaBytes, long usageBytes, int messages) {}

  boolean addDomain(String domain);

  boolean deleteDomain(String domain);

  List<String> domains();

  void addUser(String address, char[] password);

  void setPassword(String address, char[] password);

  boolean deleteUser(String address);

  List<UserLine> users();

  void addAlias(String alias, String target);

  boolean deleteAlias(String alias);

  Map<String, String> aliases();

  @Override
  void close();
}
