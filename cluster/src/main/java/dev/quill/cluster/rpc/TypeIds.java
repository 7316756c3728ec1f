package dev.quill.cluster.rpc;

/**
 * Every message type id, in one place so that two services never pick the same one. An id is
 * never reused for a different meaning, even after its type is retired.
 *
 * <pre>
 *     1 ..    99  cluster internals (load gossip, status)
 *   100 ..   199  user map and manager soft state (mail maps, reconstruction)
 *   200 ..   299  delivery and retrieval of mailbox fragments
 *   300 ..   399  replication
 * 60000 .. 65535  tests
 * </pre>
 */
public final class TypeIds {
  /** {@code LoadReport} broadcast, one-way. */
  public static final int LOAD_REPORT = 1;
  /** {@code NodeStats} of one node (its local users, mailboxes, messages, bytes), asked by {@code cluster status}. */
  public static final int NODE_STATS = 2;
  /** A node announces it is leaving gracefully (one-way, to every member), so the others do not count it as failed. */
  public static final int NODE_LEAVING = 3;
  /** An operator gave a member up for good ({@code cluster forget}): sent to every member, which stops counting it. */
  public static final int NODE_FORGET = 4;
  /** A domain or alias added or deleted on one node, sent to every member ({@code cluster.directory.Directory}). */
  public static final int DIRECTORY_CHANGE = 10;
  /** A node's whole list of domains and aliases, sent to members that joined ({@code cluster.directory.Directory}). */
  public static final int DIRECTORY_SYNC = 11;
  /** A node's fragments and profiles of the buckets a manager took over, after a view change. */
  public static final int FRAGMENT_REPORT = 100;
  /** A user's mail map, from the user's manager. */
  public static final int MAIL_MAP = 101;
  /** UIDs and MODSEQs for new messages of one mailbox, from the user's manager. */
  public static final int ALLOCATE_UIDS = 102;
  /** A node tells a user's manager it now holds a fragment of a mailbox (after storing a delivery there). */
  public static final int FRAGMENT_STORED = 103;
  /** A node tells a user's manager it now holds (or no longer holds) the user's profile. */
  public static final int PROFILE_STORED = 104;
  /** A MODSEQ for a flag change or expunge of one mailbox, from the user's manager. */
  public static final int ALLOCATE_MODSEQ = 105;
  /** A node tells a user's manager it created a mailbox with a UIDVALIDITY (IMAP CREATE, a new user's mailboxes). */
  public static final int MAILBOX_CREATED = 106;
  /** A node tells a user's manager it no longer holds a fragment of a mailbox (deleted). */
  public static final int FRAGMENT_DROPPED = 107;
  /** A user's mailbox and its inferiors were renamed; the manager moves their entries. */
  public static final int MAILBOX_RENAMED = 108;
  /** A node starts or stops watching a user's changes (its sessions have the user's mailboxes open). */
  public static final int WATCH = 109;
  /** A committed change to a user's mailbox, sent to the user's manager by the node that made it. */
  public static final int CHANGE_NOTICE = 110;
  /** A change forwarded by the manager to every node that watches the user. */
  public static final int CHANGED = 111;
  /** A manager makes UID and MODSEQ reservations of a mailbox durable on the user's profile node. */
  public static final int RESERVE_WATERMARKS = 112;
  /** A node takes or gives back a user's POP3 maildrop lock at the user's manager. */
  public static final int MAILDROP_LOCK = 113;
  /** A session claims a mailbox's messages as IMAP {@code \Recent} at the user's manager. */
  public static final int RECENT_CLAIM = 114;
  /** A message to store under a manager-assigned UID on the chosen node ({@code cluster.mail.FragmentService}). */
  public static final int STORE_MESSAGE = 200;
  /** A mailbox fragment's counters and message list ({@code cluster.mail.FragmentAccess}, 201..209). */
  public static final int FRAGMENT_LIST = 201;
  /** The mailboxes (fragments) a node holds of a user; on the profile node, the user's whole mailbox list. */
  public static final int FRAGMENT_MAILBOXES = 202;
  /** Metadata, bytes and derived data of several messages of one fragment. */
  public static final int FRAGMENT_LOAD = 203;
  /** A flag change on messages of one fragment under a manager-allocated MODSEQ. */
  public static final int FRAGMENT_FLAGS = 204;
  /** An expunge of messages of one fragment under a manager-allocated MODSEQ. */
  public static final int FRAGMENT_EXPUNGE = 205;
  /** UIDs expunged from one fragment above a MODSEQ (QRESYNC). */
  public static final int FRAGMENT_EXPUNGED_SINCE = 206;
  /** Deletes one fragment of a mailbox. */
  public static final int FRAGMENT_DELETE = 207;
  /** Renames one node's fragments of a mailbox and its inferiors. */
  public static final int FRAGMENT_RENAME = 208;
  /** Bytes of a user's mail on one node. */
  public static final int FRAGMENT_USAGE = 209;
  /** Checks a user's password on the node holding the profile ({@code cluster.directory.ProfileAccess}, 210..219). */
  public static final int PROFILE_AUTHENTICATE = 210;
  /** A user's profile, from the node holding it. */
  public static final int PROFILE_USER = 211;
  /** Creates a mailbox in the user's catalog on the profile node. */
  public static final int PROFILE_CREATE_MAILBOX = 212;
  /** Subscribes or unsubscribes, on the profile node. */
  public static final int PROFILE_SUBSCRIBE = 213;
  /** A user's subscriptions, from the profile node. */
  public static final int PROFILE_SUBSCRIPTIONS = 214;
  /** Sets a user's password on the profile node. */
  public static final int PROFILE_PASSWORD = 215;
  /** Sets a user's quota on the profile node. */
  public static final int PROFILE_QUOTA = 216;
  /** Deletes a user's profile (and its local mail) on the profile node. */
  public static final int PROFILE_DELETE_USER = 217;
  /** A notice to every node: a user's profile was added, changed or deleted; forget what you cached of it. */
  public static final int PROFILE_CHANGED = 218;
  /** Asks the first holder of a user's profile to stamp its copy and push it to the other holders ({@code ProfileReplicas}). */
  public static final int PROFILE_REPLICATE = 219;
  /** Asks a node to make its copy of a profile equal to the image sent when that image is newer. */
  public static final int PROFILE_IMPORT = 224;
  /** Compares the versions of profiles two nodes hold (anti-entropy); answers the receiver's newer images. */
  public static final int PROFILE_COMPARE = 225;
  /** Asks the primary of a profile to take any newer copy another holder has before a change is made there. */
  public static final int PROFILE_PREPARE = 226;
  /** Asks a holder of more profile copies than the cluster keeps to give up its copies of some users. */
  public static final int PROFILE_DROP = 228;
  /** Asks a node to move some of its mailbox fragments to another node ({@code cluster rebalance}). */
  public static final int REBALANCE_MOVE = 220;
  /** A node's progress in moving fragments for a rebalance. */
  public static final int REBALANCE_STATUS = 221;
  /** Asks a node to compare its copy of one mailbox with the other copies and apply what it missed (a sync hint). */
  public static final int SYNC_MAILBOX = 222;
  /** A fragment's listing for another copy's catch-up: served even while this node catches up itself. */
  public static final int FRAGMENT_LIST_FOR_SYNC = 223;
  /** A manager's order to renumber a node's fragment under another UIDVALIDITY ({@code cluster.mail.Renumberer}). */
  public static final int FRAGMENT_RENUMBER = 227;
  /**
   * Asks a member which of a node's due tombstones it confirms — it holds no older live copy of the
   * name — before the node drops them ({@code cluster.directory.TombstonePruner}).
   */
  public static final int TOMBSTONE_CHECK = 300;
  /** A new cluster policy, to the security server (the coordinator), which installs it everywhere. */
  public static final int POLICY_PUSH = 320;
  /** A policy to install, from the security server to every member. */
  public static final int POLICY_INSTALL = 321;
  /** The policy a member holds: its version and text, to the security server after a view change. */
  public static final int POLICY_FETCH = 322;
  /** Installs a new traffic key, sealed for the receiving node, and names a revoked node ({@code cluster revoke}). */
  public static final int KEY_INSTALL = 310;
  /** Retires every traffic key but the current one, once every member has the new key. */
  public static final int KEY_RETIRE = 311;
  /** The nodes the asker refuses, exchanged for those the answerer refuses: a revocation reaches members that missed it. */
  public static final int REVOKED_NODES = 312;
  /** The public half of a member's credential, to the security server, which seals a new traffic key for it. */
  public static final int KEY_CREDENTIAL = 313;
  /** A new traffic key sealed for the member, accepted but not sent with yet (first round of a rotation). */
  public static final int KEY_ACCEPT = 314;
  /** The traffic key to send with from now on (second round of a rotation); the former one stays accepted a while. */
  public static final int KEY_SWITCH = 315;
  /** Asks the security server to rotate the traffic key now ({@code cluster rotate-key}). */
  public static final int KEY_ROTATE = 316;
  /** First id tests may use freely. */
  public static final int FIRST_TEST_ID = 60_000;

  private TypeIds() {}
}
