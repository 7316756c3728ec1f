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
import dev.quill.store.UserProfile;
import java.time.DateTimeException;
import java.time.Instant;
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
