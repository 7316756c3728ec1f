package dev.quill.server.admin;

import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import dev.quill.store.ProfileImage;
import dev.quill.store.UserFragments;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code quill debug fragments} shows: the copies one node's own store holds, never the
 * cluster's merged view — per user, each mailbox fragment's counters and every message's UID,
 * MODSEQ, size, CRC32C and flags, and the UIDs its expunge log lists; and of a profile held here,
 * its stamp and the digest of its image ({@link ProfileImage#digest}). Comparing these across the
 * nodes tells whether the replicas of each message and profile are identical. Travels as JSON over
 * the admin channel.
 *
 * @param node the node's name ("standalone" without a cluster; "stopped" when read from a data
 *     directory no node runs on)
 * @param users the users asked for, or every user this node holds a profile or a fragment of, in
 *     the order asked or the store's hash order
 */
public record LocalFragments(String node, List<User> users) {

  public LocalFragments {
    users = List.copyOf(users);
  }

  /**
   * One user on this node.
   *
   * @param profileHere whether this node holds the user's profile
   * @param profileStamp the stamp of the profile's last change held here (0 when none)
   * @param profileDigest {@link ProfileImage#digest} of the profile held here ("" when none)
   * @param mailboxes the fragments held here, INBOX first, then by name
   */
  public record User(String user, boolean profileHere, long profileStamp, String profileDigest,
      List<Fragment> mailboxes) {
    public User {
      mailboxes = List.copyOf(mailboxes);
    }
  }

  /**
   * One mailbox fragment: the mailbox record's own counters (not a profile node's reservations)
   * and its messages in UID order.
   *
   * @param expunged UIDs this fragment's expunge log lists, ascending; past the log's bound (10,000
   *     entries per mailbox) the store answers conservatively and may list UIDs never held here
   */
  public record Fragment(String mailbox, long uidValidity, long uidNext, long highestModSeq, List<Copy> messages,
      List<Long> expunged) {
    public Fragment {
      messages = List.copyOf(messages);
      expunged = List.copyOf(expunged);
    }
  }

  /** One message as this node stores it; {@code crc32c} is the stored checksum of its bytes. */
  public record Copy(long uid, long modSeq, long size, int crc32c, List<String> flags) {
    public Copy {
      flags = List.copyOf(flags);
    }
  }

  /**
   * Reads {@code users} (all users held here when empty) from {@code store}, which must be the
   * node's own store, not a cluster's merged one.
   */
  public static LocalFragments of(String node, MailStore store, List<String> users) {
    Set<String> names = new LinkedHashSet<>(users);
    if (names.isEmpty()) {
      // [0, 0) is the whole hash range: every user with a profile or a fragment here.
      for (UserFragments u : store.fragments(0, 0)) {
        names.add(u.user());
      }
    }
    List<User> out = new ArrayList<>();
    for (String user : names) {
      List<Fragment> fragments = new ArrayList<>();
      for (MailboxInfo box : store.mailboxes(user)) {
        // The expunge log first: an expunge landing between the two reads then shows as a message
        // gone, never as a UID both held and expunged here, which would look like a divergence.
        List<Long> expunged = new ArrayList<>(new TreeSet<>(store.expungedSince(user, box.name(), 0)));
        List<Copy> copies = new ArrayList<>();
        for (MessageMeta m : store.messages(user, box.name())) {
          copies.add(new Copy(m.uid(), m.modSeq(), m.size(), m.crc32c(), new ArrayList<>(new TreeSet<>(m.flags()))));
        }
        copies.sort(Comparator.comparingLong(Copy::uid));
        fragments.add(new Fragment(box.name(), box.uidValidity(), box.uidNext(), box.highestModSeq(), copies,
            expunged));
      }
      Optional<ProfileImage> image = store.exportProfile(user).filter(i -> !i.tombstone());
      out.add(new User(user, image.isPresent(), image.map(ProfileImage::version).orElse(0L),
          image.map(ProfileImage::digest).orElse(""), fragments));
    }
    return new LocalFragments(node, out);
  }

  /**
   * The text form, one line per user, mailbox and message, meant for people and for scripts alike:
   * {@code key=value} fields, flags last (space-separated), expunged UIDs on their own line.
   */
  public String text() {
    StringBuilder sb = new StringBuilder();
    sb.append("node ").append(node).append(": local copies of ").append(users.size())
        .append(users.size() == 1 ? " user" : " users").append(" (this node's store only, not the merged view)\n");
    for (User u : users) {
      sb.append("user ").append(u.user()).append(" profile=").append(u.profileHere() ? "here" : "elsewhere")
          .append(" mailboxes=").append(u.mailboxes().size());
      if (u.profileHere()) {
        sb.append(" stamp=").append(u.profileStamp()).append(" digest=").append(u.profileDigest());
      }
      sb.append('\n');
      for (Fragment f : u.mailboxes()) {
        sb.append("  mailbox ").append(f.mailbox()).append(" uidvalidity=").append(f.uidValidity())
            .append(" uidnext=").append(f.uidNext()).append(" highestmodseq=").append(f.highestModSeq())
            .append(" messages=").append(f.messages().size()).append(" expunged=").append(f.expunged().size())
            .append('\n');
        for (Copy c : f.messages()) {
          sb.append("    uid=").append(c.uid()).append(" modseq=").append(c.modSeq()).append(" size=").append(c.size())
              .append(" crc32c=").append(String.format("%08x", c.crc32c())).append(" flags=")
              .append(String.join(" ", c.flags())).append('\n');
        }
        if (!f.expunged().isEmpty()) {
          sb.append("    expunged");
          f.expunged().forEach(uid -> sb.append(' ').append(uid));
          sb.append('\n');
        }
      }
    }
    return sb.toString();
  }
}
