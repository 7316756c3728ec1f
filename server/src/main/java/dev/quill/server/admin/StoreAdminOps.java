package dev.quill.server.admin;

import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import java.util.List;
import java.util.Map;

/** {@link AdminOps} on a store opened in this process (a stopped node's data, or the node serving the admin channel). */
public final class StoreAdminOps implements AdminOps {
  private final MailStore store;
  private final boolean ownsStore;

  /**
   * @param store a node's own store, or on a running clustered node the cluster's (which tells
   *     managers of new and deleted profiles and spreads domains and aliases to every node)
   * @param ownsStore whether {@link #close()} closes the store too
   */
  public StoreAdminOps(MailStore store, boolean ownsStore) {
    this.store = store;
    this.ownsStore = ownsStore;
  }

  @Override
  public boolean addDomain(String domain) {
    return store.addDomain(domain);
  }

  @Override
  public boolean deleteDomain(String domain) {
    return store.deleteDomain(domain);
  }

  @Override
  public List<String> domains() {
    return store.domains();
  }

  @Override
  public void addUser(String address, char[] password) {
    store.addUser(address, password);
  }

  @Override
  public void setPassword(String address, char[] password) {
    store.setPassword(address, password);
  }

  @Override
  public boolean deleteUser(String address) {
    return store.deleteUser(address);
  }

  @Override
  public List<UserLine> users() {
    return store.users().stream().map(u -> {
      int messages = store.mailbox(u.address(), MailStore.INBOX).map(MailboxInfo::messageCount).orElse(0);
      return new UserLine(u.address(), u.quotaBytes(), store.usage(u.address()), messages);
    }).toList();
  }

  @Override
  public void addAlias(String alias, String target) {
    store.addAlias(alias, target);
  }

  @Override
  public boolean deleteAlias(String alias) {
    return store.deleteAlias(alias);
  }

  @Override
  public Map<String, String> aliases() {
    return store.aliases();
  }

  @Override
  public void close() {
    if (ownsStore) {
      store.close();
    }
  }
}
