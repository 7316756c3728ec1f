package dev.quill.cluster.directory;

import dev.quill.cluster.directory.ProfileRequest.Credentials;
import dev.quill.cluster.directory.ProfileRequest.NewMailbox;
import dev.quill.cluster.directory.ProfileRequest.Quota;
import dev.quill.cluster.directory.ProfileRequest.Subscription;
import dev.quill.cluster.mail.FragmentAccess;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.MailboxInfo;
import dev.quill.store.ProfileImage;
import dev.quill.store.UserProfile;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Wire codecs of the profile requests and answers ({@link ProfileAccess}). Names are bounded by
 * {@link Names}, passwords by {@link Passwords}; numbers are varints (longs unsigned, the quota
 * zig-zag so that the store, not the codec, refuses a negative one).
 *
 * <pre>
 * user                string
 * Credentials         string user, varint n + n UTF-8 bytes password
 * NewMailbox          string user, string name, varint n + n strings SPECIAL-USE (n &le; 100)
 * Subscription        string user, string name, boolean subscribed
 * Quota               string user, zig-zag varint quota bytes
 * Optional profile    boolean present, then: string address, string password hash,
 *                     zig-zag varint quota, boolean has-created, then: zig-zag varint seconds, varint nanos
 * MailboxInfo         as {@code FragmentAccess.MAILBOX_INFO}
 * names               varint n + n strings, no repeats (n &le; 10,000)
 * boolean             one byte, 0 or 1
 * ProfileImage        string address, long version (HLC stamp), Optional profile,
 *                     varint n (&le; 10,000) mailboxes, each: string name, varint UIDVALIDITY,
 *                       names SPECIAL-USE, varint reserved UID, varint reserved MODSEQ;
 *                     names subscriptions
 * images              varint n (&le; 1,000) + n ProfileImage
 * versions            varint n (&le; 1,000), each: string user, long version
 * Compared            images (newer on the answering node), names (users newer on the asking node),
 *                     version 2: varint n + (name, digest): users held live there with the same stamp
 * </pre>
 */
final class ProfileCodecs {
  /** Most subscriptions a user may have on the wire. */
  static final int MAX_SUBSCRIPTIONS = 10_000;
  /** Most SPECIAL-USE attributes of one mailbox (RFC 6154 defines seven). */
  static final int MAX_SPECIAL_USE = 100;

  private ProfileCodecs() {}

  static final Codec<String> USER = Codec.of(Names::write, in -> Names.read(in, "user"));

  static final Codec<Boolean> BOOLEAN = Codec.of(WireWriter::writeBoolean, WireReader::readBoolean);

  static final Codec<Credentials> CREDENTIALS = Codec.of(
      (out, c) -> {
        Names.write(out, c.user());
        Passwords.write(out, c.password());
      },
      in -> new Credentials(Names.read(in, "user"), Passwords.read(in)));

  static final Codec<NewMailbox> NEW_MAILBOX = Codec.of(
      (out, m) -> {
        Names.write(out, m.user());
        Names.write(out, m.name());
        Names.writeSet(out, m.specialUse(), MAX_SPECIAL_USE, "SPECIAL-USE attributes");
      },
      in -> new NewMailbox(Names.read(in, "user"), Names.read(in, "mailbox name"),
          Names.readSet(in, MAX_SPECIAL_USE, "SPECIAL-USE attribute")));

  static final Codec<Subscription> SUBSCRIPTION = Codec.of(
      (out, s) -> {
        Names.write(out, s.user());
        Names.write(out, s.name());
        out.writeBoolean(s.subscribed());
      },
      in -> new Subscription(Names.read(in, "user"), Names.read(in, "mailbox name"), in.readBoolean()));

  static final Codec<Quota> QUOTA = Codec.of(
      (out, q) -> {
        Names.write(out, q.user());
        out.writeSignedVarLong(q.quotaBytes());
      },
      in -> new Quota(Names.read(in, "user"), in.readSignedVarLong()));

  static final Codec<Optional<UserProfile>> PROFILE = Codec.of(ProfileCodecs::writeProfile, ProfileCodecs::readProfile);

  /** The same layout the fragment requests use for a mailbox's counters. */
  static final Codec<MailboxInfo> MAILBOX = FragmentAccess.MAILBOX_INFO;

  static final Codec<Set<String>> SUBSCRIPTIONS = Codec.of(
      (out, names) -> Names.writeSet(out, names, MAX_SUBSCRIPTIONS, "subscriptions"),
      in -> Names.readSet(in, MAX_SUBSCRIPTIONS, "subscription"));

  /** Longest profile digest accepted (SHA-256 in hex is 64 characters). */
  private static final int MAX_DIGEST = 128;

  /** Most entries of one PROFILE_COMPARE request or answer. */
  static final int MAX_COMPARED = 1_000;
  /** Most mailboxes of one profile image. */
  static final int MAX_MAILBOXES = 10_000;

  static final Codec<ProfileImage> IMAGE = Codec.of(ProfileCodecs::writeImage, ProfileCodecs::readImage);

  static final Codec<Integer> COUNT = Codec.of((out, n) -> out.writeVarInt(n), in -> in.readVarInt());

  static final Codec<Map<String, Long>> VERSIONS = Codec.of(
      (out, versions) -> {
        out.writeVarInt(versions.size());
        versions.forEach((user, version) -> {
          Names.write(out, user);
          out.writeLong(version);
        });
      },
      in -> {
        int n = in.readVarInt();
        if (n < 0 || n > MAX_COMPARED) {
          throw new WireException(n + " versions exceed " + MAX_COMPARED);
        }
        Map<String, Long> versions = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          versions.put(Names.read(in, "user"), in.readLong());
        }
        return versions;
      });

  /** Users named in one answer: at most {@link #MAX_COMPARED}. */
  static final Codec<Set<String>> USERS = Codec.of(
      (out, users) -> Names.writeSet(out, users, MAX_COMPARED, "users"),
      in -> Names.readSet(in, MAX_COMPARED, "user"));

  static final Codec<ProfileReplicas.Compared> COMPARED = Codec.of(
      (out, c) -> {
        out.writeVarInt(c.newerThere().size());
        c.newerThere().forEach(image -> writeImage(out, image));
        Names.writeSet(out, c.newerHere(), MAX_COMPARED, "users");
        out.writeVarInt(c.sameThere().size());
        c.sameThere().forEach((user, digest) -> {
          Names.write(out, user);
          out.writeString(digest);
        });
      },
      in -> {
        int n = in.readVarInt();
        if (n < 0 || n > MAX_COMPARED) {
          throw new WireException(n + " images exceed " + MAX_COMPARED);
        }
        List<ProfileImage> images = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          images.add(readImage(in));
        }
        Set<String> older = Names.readSet(in, MAX_COMPARED, "user");
        int same = in.readLength(MAX_COMPARED, "profiles with the same stamp");
        Map<String, String> digests = new LinkedHashMap<>();
        for (int i = 0; i < same; i++) {
          String user = Names.read(in, "user");
          if (digests.put(user, in.readString(MAX_DIGEST)) != null) {
            throw new WireException("user '" + user + "' appears twice among the same stamps");
          }
        }
        return new ProfileReplicas.Compared(images, older, digests);
      });

  private static void writeImage(WireWriter out, ProfileImage image) {
    Names.write(out, image.address());
    out.writeLong(image.version());
    writeProfile(out, image.profile());
    out.writeVarInt(image.mailboxes().size());
    for (ProfileImage.Mailbox m : image.mailboxes()) {
      Names.write(out, m.name());
      out.writeVarLong(m.uidValidity());
      Names.writeSet(out, m.specialUse(), MAX_SPECIAL_USE, "SPECIAL-USE attributes");
      out.writeVarLong(m.reservedUid()).writeVarLong(m.reservedModSeq());
    }
    Names.writeSet(out, image.subscriptions(), MAX_SUBSCRIPTIONS, "subscriptions");
  }

  private static ProfileImage readImage(WireReader in) throws WireException {
    String address = Names.read(in, "address");
    long version = in.readLong();
    Optional<UserProfile> profile = readProfile(in);
    int n = in.readVarInt();
    if (n < 0 || n > MAX_MAILBOXES) {
      throw new WireException(n + " mailboxes exceed " + MAX_MAILBOXES);
    }
    List<ProfileImage.Mailbox> boxes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      boxes.add(new ProfileImage.Mailbox(Names.read(in, "mailbox name"), in.readVarLong(),
          Names.readSet(in, MAX_SPECIAL_USE, "SPECIAL-USE attribute"), in.readVarLong(), in.readVarLong()));
    }
    return new ProfileImage(address, version, profile, boxes, Names.readSet(in, MAX_SUBSCRIPTIONS, "subscription"));
  }

  private static void writeProfile(WireWriter out, Optional<UserProfile> profile) {
    out.writeBoolean(profile.isPresent());
    if (profile.isEmpty()) {
      return;
    }
    UserProfile p = profile.get();
    Names.write(out, p.address());
    Names.write(out, p.passwordHash());
    out.writeSignedVarLong(p.quotaBytes());
    out.writeBoolean(p.created() != null);
    if (p.created() != null) {
      out.writeSignedVarLong(p.created().getEpochSecond()).writeVarInt(p.created().getNano());
    }
  }

  private static Optional<UserProfile> readProfile(WireReader in) throws WireException {
    if (!in.readBoolean()) {
      return Optional.empty();
    }
    String address = Names.read(in, "address");
    String hash = Names.read(in, "password hash");
    long quota = in.readSignedVarLong();
    Instant created = in.readBoolean() ? readInstant(in) : null;
    return Optional.of(new UserProfile(address, hash, quota, created));
  }

  private static Instant readInstant(WireReader in) throws WireException {
    long seconds = in.readSignedVarLong();
    int nanos = in.readVarInt();
    if (nanos > 999_999_999) {
      throw new WireException("nanoseconds " + nanos + " exceed 999999999");
    }
    try {
      return Instant.ofEpochSecond(seconds, nanos);
    } catch (DateTimeException e) {
      throw new WireException("instant of " + seconds + " seconds is out of range");
    }
  }
}
