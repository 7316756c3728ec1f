package dev.quill.cluster.security;

import dev.quill.cluster.rpc.TypeIds;
import dev.quill.security.policy.ObjectType;
import dev.quill.security.policy.Permission;
import java.util.Map;

/**
 * What each inter-node request does in the policy's terms: the object type it touches and the
 * permission it needs, by request type id. The receiving node checks the caller's SID against the
 * policy for this pair before the handler runs. A type missing from the table (a test's own) counts
 * as an administrative operation, the most guarded kind.
 */
public final class RemoteOperations {
  /** An object type and a permission. */
  public record Access(ObjectType object, Permission permission) {}

  private static final Access UNLISTED = new Access(ObjectType.ADMIN, Permission.ADMIN);

  private static final Map<Integer, Access> TABLE = Map.ofEntries(
      // membership and node-wide gossip
      entry(TypeIds.LOAD_REPORT, ObjectType.MEMBERSHIP, Permission.UPDATE),
      entry(TypeIds.NODE_STATS, ObjectType.MEMBERSHIP, Permission.READ),
      entry(TypeIds.NODE_LEAVING, ObjectType.MEMBERSHIP, Permission.UPDATE),
      entry(TypeIds.NODE_FORGET, ObjectType.MEMBERSHIP, Permission.ADMIN),
      // domains and aliases
      entry(TypeIds.DIRECTORY_CHANGE, ObjectType.DIRECTORY, Permission.UPDATE),
      entry(TypeIds.DIRECTORY_SYNC, ObjectType.DIRECTORY, Permission.REPLICATE),
      // managers: mail maps, numbering, registration, change notices
      entry(TypeIds.FRAGMENT_REPORT, ObjectType.REPLICA, Permission.REPLICATE),
      entry(TypeIds.MAIL_MAP, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.ALLOCATE_UIDS, ObjectType.FRAGMENT, Permission.STORE),
      entry(TypeIds.FRAGMENT_STORED, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.PROFILE_STORED, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.ALLOCATE_MODSEQ, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.MAILBOX_CREATED, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.FRAGMENT_DROPPED, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.MAILBOX_RENAMED, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.WATCH, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.CHANGE_NOTICE, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.CHANGED, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.RESERVE_WATERMARKS, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.MAILDROP_LOCK, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.RECENT_CLAIM, ObjectType.FRAGMENT, Permission.READ),
      // a node's fragments
      entry(TypeIds.STORE_MESSAGE, ObjectType.FRAGMENT, Permission.STORE),
      entry(TypeIds.FRAGMENT_LIST, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.FRAGMENT_MAILBOXES, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.FRAGMENT_LOAD, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.FRAGMENT_FLAGS, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.FRAGMENT_EXPUNGE, ObjectType.FRAGMENT, Permission.EXPUNGE),
      entry(TypeIds.FRAGMENT_EXPUNGED_SINCE, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.FRAGMENT_DELETE, ObjectType.FRAGMENT, Permission.DELETE),
      entry(TypeIds.FRAGMENT_RENAME, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.FRAGMENT_RENUMBER, ObjectType.FRAGMENT, Permission.UPDATE),
      entry(TypeIds.FRAGMENT_USAGE, ObjectType.FRAGMENT, Permission.READ),
      entry(TypeIds.FRAGMENT_LIST_FOR_SYNC, ObjectType.REPLICA, Permission.READ),
      entry(TypeIds.SYNC_MAILBOX, ObjectType.REPLICA, Permission.REPLICATE),
      // profiles
      entry(TypeIds.PROFILE_AUTHENTICATE, ObjectType.PROFILE, Permission.READ),
      entry(TypeIds.PROFILE_USER, ObjectType.PROFILE, Permission.READ),
      entry(TypeIds.PROFILE_CREATE_MAILBOX, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.PROFILE_SUBSCRIBE, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.PROFILE_SUBSCRIPTIONS, ObjectType.PROFILE, Permission.READ),
      entry(TypeIds.PROFILE_PASSWORD, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.PROFILE_QUOTA, ObjectType.PROFILE, Permission.UPDATE),
      entry(TypeIds.PROFILE_DELETE_USER, ObjectType.PROFILE, Permission.DELETE),
      entry(TypeIds.PROFILE_CHANGED, ObjectType.PROFILE, Permission.READ),
      entry(TypeIds.PROFILE_REPLICATE, ObjectType.PROFILE, Permission.REPLICATE),
      entry(TypeIds.PROFILE_IMPORT, ObjectType.PROFILE, Permission.REPLICATE),
      entry(TypeIds.PROFILE_COMPARE, ObjectType.PROFILE, Permission.REPLICATE),
      entry(TypeIds.PROFILE_PREPARE, ObjectType.PROFILE, Permission.REPLICATE),
      entry(TypeIds.PROFILE_DROP, ObjectType.PROFILE, Permission.REPLICATE),
      entry(TypeIds.TOMBSTONE_CHECK, ObjectType.REPLICA, Permission.READ),
      // operations
      entry(TypeIds.REBALANCE_MOVE, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.REBALANCE_STATUS, ObjectType.ADMIN, Permission.READ),
      entry(TypeIds.KEY_INSTALL, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.KEY_RETIRE, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.REVOKED_NODES, ObjectType.ADMIN, Permission.UPDATE),
      entry(TypeIds.KEY_CREDENTIAL, ObjectType.ADMIN, Permission.READ),
      entry(TypeIds.KEY_ACCEPT, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.KEY_SWITCH, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.KEY_ROTATE, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.POLICY_PUSH, ObjectType.ADMIN, Permission.ADMIN),
      entry(TypeIds.POLICY_INSTALL, ObjectType.ADMIN, Permission.UPDATE),
      entry(TypeIds.POLICY_FETCH, ObjectType.ADMIN, Permission.READ));

  private RemoteOperations() {}

  /** The object type and permission of requests of type {@code typeId}. */
  public static Access of(int typeId) {
    return TABLE.getOrDefault(typeId, UNLISTED);
  }

  /** Whether {@code typeId} has its own entry (not the administrative default). */
  static boolean mapped(int typeId) {
    return TABLE.containsKey(typeId);
  }

  private static Map.Entry<Integer, Access> entry(int typeId, ObjectType object, Permission permission) {
    return Map.entry(typeId, new Access(object, permission));
  }
}
