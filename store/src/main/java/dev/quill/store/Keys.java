package dev.quill.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Key layout of the column families.
 *
 * <pre>
 * meta       'D' domain                      -> marker
 *            'U' address                     -> user record
 *            'A' alias                       -> alias record (target address)
 *            'C' counter name                -> long
 *            'S' address 0x00 mailbox-name   -> subscription marker (the mailbox need not exist)
 *            'F' feature name                -> format marker: "hash-index" = layout version, once built
 *            'W' mailbox-id(8, BE)           -> watermark reservation of a cluster manager (UIDVALIDITY, UID, MODSEQ)
 *            'V' kind name                   -> stamp(8, BE) of a replicated record's last change; kept as its tombstone
 * mailboxes  address 0x00 mailbox-name       -> mailbox record
 * messages   mailbox-id(8, BE) uid(8, BE)    -> message record (meta, CRC32C)
 * bodies     mailbox-id(8, BE) uid(8, BE)    -> RFC 5322 bytes
 * derived    mailbox-id(8, BE) uid(8, BE)    -> derived record (MIME structure, search text)
 * quarantine mailbox-id(8, BE) uid(8, BE)    -> quarantine record
 * expunges   mailbox-id(8, BE)               -> expunge log header (count, pruned-up-to MODSEQ)
 *            mailbox-id(8, BE) modseq(8, BE) uid(8, BE) -> empty: uid expunged at modseq
 * hashindex  user-hash(8, BE) address 0x00 'P'                -> empty: the user's profile is here
 *            user-hash(8, BE) address 0x00 'M' mailbox-name   -> empty: a mailbox (fragment) of the user is here
 * </pre>
 *
 * Big-endian ids and UIDs make byte order equal numeric order, so one mailbox is one contiguous
 * range iterated in UID order. Addresses never contain 0x00, so a user's mailboxes form a prefix
 * range, which is what IMAP LIST will iterate once users have more than INBOX. The hash index
 * ({@link HashIndex}) starts with the big-endian {@link UserHash}, so a range of hashes (a cluster
 * bucket) is one key range, and all entries of one user are one prefix within it.
 */
final class Keys {
  static final byte DOMAIN = 'D';
  static final byte USER = 'U';
  static final byte ALIAS = 'A';
  static final byte COUNTER = 'C';
  static final byte SUBSCRIPTION = 'S';
  static final byte FORMAT = 'F';
  static final byte RESERVATION = 'W';
  static final byte VERSION = 'V';

  /** Index entry kinds, after the address and its 0x00. */
  static final byte INDEX_PROFILE = 'P';
  static final byte INDEX_MAILBOX = 'M';

  static final byte[] NEXT_MAILBOX_ID = counter("next-mailbox-id");
  static final byte[] LAST_UID_VALIDITY = counter("last-uidvalidity");
  static final byte[] HASH_INDEX_FORMAT = tagged(FORMAT, "hash-index");

  private Keys() {}

  static byte[] domain(String domain) {
    return tagged(DOMAIN, domain);
  }

  static byte[] user(String address) {
    return tagged(USER, address);
  }

  static byte[] alias(String alias) {
    return tagged(ALIAS, alias);
  }

  static byte[] counter(String name) {
    return tagged(COUNTER, name);
  }

  /**
   * The watermark reservation of a mailbox. Keyed by id rather than name, so that it moves with a
   * rename and a mailbox created again (a new id) starts without one.
   */
  static byte[] reservation(long mailboxId) {
    return ByteBuffer.allocate(9).put(RESERVATION).putLong(mailboxId).array();
  }

  /** The version (last-writer-wins stamp) of a replicated record. */
  static byte[] version(Versioned kind, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + n.length).put(VERSION).put(kind.tag).put(n).array();
  }

  /** Prefix of the versions of one kind. */
  static byte[] versionsOf(Versioned kind) {
    return new byte[] {VERSION, kind.tag};
  }

  /** The name part of a version key. */
  static String versionedNameOf(byte[] key) {
    return new String(key, 2, key.length - 2, StandardCharsets.UTF_8);
  }

  /** The one-byte prefix shared by all meta keys of a kind. */
  static byte[] kind(byte tag) {
    return new byte[] {tag};
  }

  /** The name part of a tagged meta key. */
  static String nameOf(byte[] metaKey) {
    return new String(metaKey, 1, metaKey.length - 1, StandardCharsets.UTF_8);
  }

  static byte[] mailbox(String user, String name) {
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(u, u.length + 1 + n.length);
    System.arraycopy(n, 0, key, u.length + 1, n.length);
    return key;
  }

  /** Prefix of all mailbox keys of one user. */
  static byte[] mailboxesOf(String user) {
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(u, u.length + 1);
  }

  /** A subscription of {@code user} to {@code name}. */
  static byte[] subscription(String user, String name) {
    byte[] m = mailbox(user, name);
    byte[] key = new byte[m.length + 1];
    key[0] = SUBSCRIPTION;
    System.arraycopy(m, 0, key, 1, m.length);
    return key;
  }

  /** Prefix of all subscription keys of one user. */
  static byte[] subscriptionsOf(String user) {
    byte[] u = mailboxesOf(user);
    byte[] key = new byte[u.length + 1];
    key[0] = SUBSCRIPTION;
    System.arraycopy(u, 0, key, 1, u.length);
    return key;
  }

  /** The mailbox name of a subscription key of {@code user}. */
  static String subscribedName(byte[] key, String user) {
    int skip = 1 + user.getBytes(StandardCharsets.UTF_8).length + 1;
    return new String(key, skip, key.length - skip, StandardCharsets.UTF_8);
  }

  /** The mailbox name of a mailbox key of {@code user}. */
  static String mailboxNameOf(byte[] key, String user) {
    int skip = user.getBytes(StandardCharsets.UTF_8).length + 1;
    return new String(key, skip, key.length - skip, StandardCharsets.UTF_8);
  }

  /** A mailbox id alone: the expunge log header, and the start of everything keyed by that id. */
  static byte[] mailboxId(long mailboxId) {
    return ByteBuffer.allocate(8).putLong(mailboxId).array();
  }

  /** An expunge log entry. */
  static byte[] expunged(long mailboxId, long modSeq, long uid) {
    return ByteBuffer.allocate(24).putLong(mailboxId).putLong(modSeq).putLong(uid).array();
  }

  static long expungedModSeqOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong(8);
  }

  static long expungedUidOf(byte[] key) {
    return ByteBuffer.wrap(key).getLong(16);
  }

  static byte[] message(long mailboxId, long uid) {
    return ByteBuffer.allocate(16).putLong(mailboxId).putLong(uid).array();
  }

  /** First key of a mailbox's message range. */
  static byte[] firstMessage(long mailboxId) {
    return message(mailboxId, 0);
  }

  /** Exclusive end of a mailbox's message range. */
  static byte[] endOfMessages(long mailboxId) {
    return message(mailboxId + 1, 0);
  }

  static long uidOf(byte[] messageKey) {
    return ByteBuffer.wrap(messageKey).getLong(8);
  }

  /** The first index key of hash {@code hash}: an unsigned hash bound as an index key bound. */
  static byte[] indexHash(long hash) {
    return ByteBuffer.allocate(8).putLong(hash).array();
  }

  /** Prefix of all index entries of one user. */
  static byte[] indexOf(String user) {
    byte[] u = user.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + u.length + 1).putLong(UserHash.of(user)).put(u).put((byte) 0).array();
  }

  /** The index entry saying the user's profile is here. */
  static byte[] indexProfile(String user) {
    byte[] prefix = indexOf(user);
    byte[] key = Arrays.copyOf(prefix, prefix.length + 1);
    key[prefix.length] = INDEX_PROFILE;
    return key;
  }

  /** The index entry saying a mailbox of the user is here. */
  static byte[] indexMailbox(String user, String name) {
    byte[] prefix = indexOf(user);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + 1 + n.length).put(prefix).put(INDEX_MAILBOX).put(n).array();
  }

  /** The smallest key greater than every key starting with {@code prefix}. */
  static byte[] endOfPrefix(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    throw new IllegalArgumentException("prefix of only 0xff bytes has no end");
  }

  private static byte[] tagged(byte tag, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[n.length + 1];
    key[0] = tag;
    System.arraycopy(n, 0, key, 1, n.length);
    return key;
  }
}
