package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.directory.DirectoryChange.AliasAdded;
import dev.quill.cluster.directory.DirectoryChange.AliasDeleted;
import dev.quill.cluster.directory.DirectoryChange.DomainAdded;
import dev.quill.cluster.directory.DirectoryChange.DomainDeleted;
import dev.quill.cluster.directory.ProfileRequest.Credentials;
import dev.quill.cluster.directory.ProfileRequest.NewMailbox;
import dev.quill.cluster.directory.ProfileRequest.Quota;
import dev.quill.cluster.directory.ProfileRequest.Subscription;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.MailboxInfo;
import dev.quill.store.UserProfile;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Every codec of the directory package: values round-trip, and any bytes decode to a value or a WireException. */
class DirectoryCodecProperties {

  // ---------------------------------------------------------------- generators

  /** Valid Unicode (no lone surrogates), short, sometimes empty. */
  @Provide
  Arbitrary<String> names() {
    return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .list().ofMaxSize(24)
        .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString());
  }

  private Arbitrary<Set<String>> nameSets(int max) {
    return names().set().ofMaxSize(max);
  }

  private Arbitrary<Instant> instants() {
    return Combinators.combine(
        Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
        Arbitraries.integers().between(0, 999_999_999)).as(Instant::ofEpochSecond);
  }

  @Provide
  Arbitrary<Optional<UserProfile>> profiles() {
    Arbitrary<UserProfile> profile = Combinators.combine(names(), names(), Arbitraries.longs(),
        instants().injectNull(0.2)).as(UserProfile::new);
    return profile.optional(0.8);
  }

  @Provide
  Arbitrary<MailboxInfo> mailboxes() {
    return Combinators.combine(
        // the ranges a mailbox's counters have: ids and sizes non-negative, UIDs 32-bit (UIDNEXT up to 2^32)
        Combinators.combine(Arbitraries.longs().greaterOrEqual(0), names(), names(),
            Arbitraries.longs().between(1, 0xffff_ffffL), Arbitraries.longs().between(0, 0x1_0000_0000L),
            Arbitraries.longs().greaterOrEqual(0)).as(List::<Object>of),
        Arbitraries.integers().greaterOrEqual(0), Arbitraries.longs().greaterOrEqual(0), nameSets(8),
        Arbitraries.of(true, false))
        .as((head, count, bytes, specialUse, subscribed) -> new MailboxInfo((Long) head.get(0), (String) head.get(1),
            (String) head.get(2), (Long) head.get(3), (Long) head.get(4), (Long) head.get(5), count, bytes, specialUse,
            subscribed));
  }

  @Provide
  Arbitrary<DirectoryChange> changes() {
    return Arbitraries.oneOf(
        names().map(DomainAdded::new),
        names().map(DomainDeleted::new),
        Combinators.combine(names(), names()).as(AliasAdded::new),
        names().map(AliasDeleted::new));
  }

  @Provide
  Arbitrary<DirectoryList> lists() {
    return Combinators.combine(names().list().uniqueElements().ofMaxSize(10),
        Arbitraries.maps(names(), names()).ofMaxSize(10), Arbitraries.maps(names(), Arbitraries.longs()).ofMaxSize(5),
        Arbitraries.maps(names(), Arbitraries.longs()).ofMaxSize(5)).as(DirectoryList::new);
  }

  @Provide
  Arbitrary<dev.quill.store.ProfileImage> images() {
    Arbitrary<dev.quill.store.ProfileImage.Mailbox> box = Combinators.combine(names(),
        Arbitraries.longs().between(1, 0xffff_ffffL), names().set().ofMaxSize(3),
        Arbitraries.longs().between(0, 0xffff_ffffL), Arbitraries.longs().greaterOrEqual(0))
        .as(dev.quill.store.ProfileImage.Mailbox::new);
    return Combinators.combine(names(), Arbitraries.longs(), profiles(), box.list().ofMaxSize(4),
        names().set().ofMaxSize(4)).as(dev.quill.store.ProfileImage::new);
  }

  // ---------------------------------------------------------------- round trips

  @Property
  void profile_roundTrips(@ForAll("profiles") Optional<UserProfile> profile) throws WireException {
    assertThat(roundTrip(ProfileCodecs.PROFILE, profile)).isEqualTo(profile);
  }

  @Property
  void mailbox_roundTrips(@ForAll("mailboxes") MailboxInfo mailbox) throws WireException {
    assertThat(roundTrip(ProfileCodecs.MAILBOX, mailbox)).isEqualTo(mailbox);
  }

  @Property
  void subscriptions_roundTripInOrder(@ForAll @Size(max = 30) List<@From("names") String> names) throws WireException {
    Set<String> sorted = new java.util.TreeSet<>(names);
    assertThat(roundTrip(ProfileCodecs.SUBSCRIPTIONS, sorted)).containsExactlyElementsOf(sorted);
  }

  @Property
  void requests_roundTrip(@ForAll("names") String user, @ForAll("names") String name, @ForAll("names") String password,
      @ForAll boolean subscribed, @ForAll long quota) throws WireException {
    Credentials credentials = roundTrip(ProfileCodecs.CREDENTIALS, new Credentials(user, password.toCharArray()));
    assertThat(credentials.user()).isEqualTo(user);
    assertThat(credentials.password()).isEqualTo(password.toCharArray());
    NewMailbox mailbox = new NewMailbox(user, name, Set.of("\\Sent", name));
    assertThat(roundTrip(ProfileCodecs.NEW_MAILBOX, mailbox)).isEqualTo(mailbox);
    Subscription subscription = new Subscription(user, name, subscribed);
    assertThat(roundTrip(ProfileCodecs.SUBSCRIPTION, subscription)).isEqualTo(subscription);
    assertThat(roundTrip(ProfileCodecs.QUOTA, new Quota(user, quota))).isEqualTo(new Quota(user, quota));
    assertThat(roundTrip(ProfileCodecs.USER, user)).isEqualTo(user);
    assertThat(roundTrip(ProfileCodecs.BOOLEAN, subscribed)).isEqualTo(subscribed);
  }

  @Property
  void change_roundTrips(@ForAll("changes") DirectoryChange change) throws WireException {
    assertThat(roundTrip(DirectoryCodecs.CHANGE, change)).isEqualTo(change);
  }

  @Property
  void stampedChange_roundTrips(@ForAll("changes") DirectoryChange change, @ForAll long stamp) throws WireException {
    var stamped = new DirectoryChange.Stamped(stamp, change);
    assertThat(roundTrip(DirectoryCodecs.STAMPED, stamped)).isEqualTo(stamped);
  }

  @Property
  void list_roundTripsInOrder(@ForAll("lists") DirectoryList list) throws WireException {
    DirectoryList back = roundTrip(DirectoryCodecs.LIST, list);
    assertThat(back.domains()).containsExactlyElementsOf(list.domains());
    assertThat(back.aliases()).containsExactlyEntriesOf(list.aliases());
    assertThat(back.domainStamps()).containsExactlyEntriesOf(list.domainStamps());
    assertThat(back.aliasStamps()).containsExactlyEntriesOf(list.aliasStamps());
  }

  @Property
  void profileImage_andComparisons_roundTrip(@ForAll("images") dev.quill.store.ProfileImage image,
      @ForAll("names") String user, @ForAll long version) throws WireException {
    assertThat(roundTrip(ProfileCodecs.IMAGE, image)).isEqualTo(image);
    var compared = new ProfileReplicas.Compared(List.of(image), Set.of(user), java.util.Map.of(user, image.digest()));
    assertThat(roundTrip(ProfileCodecs.COMPARED, compared)).isEqualTo(compared);
    assertThat(roundTrip(ProfileCodecs.VERSIONS, java.util.Map.of(user, version))).containsExactly(
        java.util.Map.entry(user, version));
    assertThat(roundTrip(ProfileCodecs.USERS, Set.of(user))).containsExactly(user);
  }

  @Property
  void tombstoneCheck_andConfirmations_roundTripInOrder(@ForAll("names") String first, @ForAll("names") String second,
      @ForAll long stamp, @ForAll dev.quill.store.Versioned kind) throws WireException {
    java.util.Map<String, Long> stamps = new java.util.LinkedHashMap<>();
    stamps.put(first, stamp);
    stamps.putIfAbsent(second, stamp ^ 1);
    TombstoneCheck back = roundTrip(TombstoneCodecs.CHECK, new TombstoneCheck(kind, stamps));
    assertThat(back.kind()).isEqualTo(kind);
    assertThat(back.stamps()).containsExactlyEntriesOf(stamps);
    assertThat(roundTrip(TombstoneCodecs.CONFIRMED, stamps.keySet())).containsExactlyInAnyOrderElementsOf(
        stamps.keySet());
  }

  // ---------------------------------------------------------------- hostile input

  /** Whatever the bytes, every decoder gives a value or a WireException; nothing else escapes. */
  @Property(tries = 2000)
  void arbitraryBytes_decodeOrWireException(@ForAll @Size(max = 80) byte[] input) {
    for (Codec<?> codec : List.of(ProfileCodecs.USER, ProfileCodecs.BOOLEAN, ProfileCodecs.CREDENTIALS,
        ProfileCodecs.NEW_MAILBOX, ProfileCodecs.SUBSCRIPTION, ProfileCodecs.QUOTA, ProfileCodecs.PROFILE,
        ProfileCodecs.MAILBOX, ProfileCodecs.SUBSCRIPTIONS, DirectoryCodecs.CHANGE, DirectoryCodecs.LIST,
        DirectoryCodecs.STAMPED, ProfileCodecs.IMAGE, ProfileCodecs.COMPARED, ProfileCodecs.VERSIONS,
        ProfileCodecs.COUNT, ProfileCodecs.USERS, TombstoneCodecs.CHECK, TombstoneCodecs.CONFIRMED)) {
      try {
        WireReader in = new WireReader(input);
        codec.read(in);
        in.expectEnd();
      } catch (WireException expected) {
        // the decoder's own, declared failure
      }
    }
  }

  /** Valid encodings cut short or with one byte changed still give a value or a WireException. */
  @Property
  void mangledEncodings_decodeOrWireException(@ForAll("mailboxes") MailboxInfo mailbox,
      @ForAll("lists") DirectoryList list, @ForAll("profiles") Optional<UserProfile> profile,
      @ForAll int position, @ForAll byte value) {
    mangleAndRead(ProfileCodecs.MAILBOX, mailbox, position, value);
    mangleAndRead(DirectoryCodecs.LIST, list, position, value);
    mangleAndRead(ProfileCodecs.PROFILE, profile, position, value);
  }

  @Example
  void tooLongName_refusedByWriterAndReader() throws WireException {
    String tooLong = "a".repeat(Names.MAX_CHARS + 1);
    assertThatThrownBy(() -> ProfileCodecs.USER.write(new WireWriter(), tooLong))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the maximum 4096");
    byte[] forged = new WireWriter().writeString(tooLong).toByteArray();
    assertThatThrownBy(() -> ProfileCodecs.USER.read(new WireReader(forged)))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 4096");
    String longest = "\u00e9".repeat(Names.MAX_CHARS);
    WireWriter out = new WireWriter();
    ProfileCodecs.USER.write(out, longest);
    assertThat(ProfileCodecs.USER.read(new WireReader(out.toByteArray()))).isEqualTo(longest);
  }

  @Example
  void tooManySubscriptions_refusedByWriterAndReader() {
    Set<String> many = new java.util.TreeSet<>();
    for (int i = 0; i <= ProfileCodecs.MAX_SUBSCRIPTIONS; i++) {
      many.add("m" + i);
    }
    assertThatThrownBy(() -> ProfileCodecs.SUBSCRIPTIONS.write(new WireWriter(), many))
        .isInstanceOf(IllegalArgumentException.class);
    WireWriter forged = new WireWriter().writeVarInt(many.size());
    many.forEach(forged::writeString);
    assertThatThrownBy(() -> ProfileCodecs.SUBSCRIPTIONS.read(new WireReader(forged.toByteArray())))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 10000");
  }

  @Example
  void hostileCountsAndKinds_refused() {
    byte[] hugeCount = new WireWriter().writeVarInt(0).writeVarInt(Integer.MAX_VALUE).toByteArray();
    assertThatThrownBy(() -> DirectoryCodecs.LIST.read(new WireReader(hugeCount))).isInstanceOf(WireException.class);
    byte[] badKind = new WireWriter().writeByte(4).writeString("example.org").toByteArray();
    assertThatThrownBy(() -> DirectoryCodecs.CHANGE.read(new WireReader(badKind)))
        .isInstanceOf(WireException.class).hasMessageContaining("kind 4");
    byte[] twice = new WireWriter().writeVarInt(2).writeString("INBOX").writeString("INBOX").toByteArray();
    assertThatThrownBy(() -> ProfileCodecs.SUBSCRIPTIONS.read(new WireReader(twice)))
        .isInstanceOf(WireException.class).hasMessageContaining("appears twice");
    byte[] badNanos = new WireWriter().writeBoolean(true).writeString("a@b").writeString("h").writeSignedVarLong(0)
        .writeBoolean(true).writeSignedVarLong(0).writeVarInt(1_000_000_000).toByteArray();
    assertThatThrownBy(() -> ProfileCodecs.PROFILE.read(new WireReader(badNanos)))
        .isInstanceOf(WireException.class).hasMessageContaining("nanoseconds");
  }

  @Example
  void hostileTombstoneChecks_refused() {
    byte[] badKind = new WireWriter().writeByte(3).writeVarInt(0).toByteArray();
    assertThatThrownBy(() -> TombstoneCodecs.CHECK.read(new WireReader(badKind)))
        .isInstanceOf(WireException.class).hasMessageContaining("kind 3");
    byte[] tooMany = new WireWriter().writeByte(0).writeVarInt(TombstoneCodecs.MAX_CHECKED + 1).toByteArray();
    assertThatThrownBy(() -> TombstoneCodecs.CHECK.read(new WireReader(tooMany)))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 1000");
    byte[] hugeCount = new WireWriter().writeByte(1).writeVarInt(500).writeString("a.test").writeLong(1).toByteArray();
    assertThatThrownBy(() -> TombstoneCodecs.CHECK.read(new WireReader(hugeCount)))
        .isInstanceOf(WireException.class);
    byte[] twice = new WireWriter().writeByte(2).writeVarInt(2).writeString("x@a.test").writeLong(1)
        .writeString("x@a.test").writeLong(2).toByteArray();
    assertThatThrownBy(() -> TombstoneCodecs.CHECK.read(new WireReader(twice)))
        .isInstanceOf(WireException.class).hasMessageContaining("appears twice");
    java.util.Map<String, Long> many = new java.util.LinkedHashMap<>();
    for (int i = 0; i <= TombstoneCodecs.MAX_CHECKED; i++) {
      many.put("n" + i, 1L);
    }
    assertThatThrownBy(() -> TombstoneCodecs.CHECK.write(new WireWriter(),
        new TombstoneCheck(dev.quill.store.Versioned.ALIAS, many))).isInstanceOf(IllegalArgumentException.class);
  }

  @Example
  void password_malformedUtf8_refused_loneSurrogate_notEncoded() {
    byte[] malformed = new WireWriter().writeString("ann@example.org").writeBytes(new byte[] {(byte) 0xc3, 0x28})
        .toByteArray();
    assertThatThrownBy(() -> ProfileCodecs.CREDENTIALS.read(new WireReader(malformed)))
        .isInstanceOf(WireException.class).hasMessageContaining("not valid UTF-8");
    assertThatThrownBy(() -> ProfileCodecs.CREDENTIALS.write(new WireWriter(),
        new Credentials("ann@example.org", new char[] {'a', '\ud800'})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
    char[] tooLong = new char[Passwords.MAX_BYTES + 1];
    java.util.Arrays.fill(tooLong, 'x');
    assertThatThrownBy(() -> ProfileCodecs.CREDENTIALS.write(new WireWriter(),
        new Credentials("ann@example.org", tooLong)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the maximum 4096");
  }

  // ---------------------------------------------------------------- helpers

  private static <T> T roundTrip(Codec<T> codec, T value) throws WireException {
    WireWriter out = new WireWriter();
    codec.write(out, value);
    WireReader in = new WireReader(out.toByteArray());
    T back = codec.read(in);
    in.expectEnd();
    return back;
  }

  private static <T> void mangleAndRead(Codec<T> codec, T value, int position, byte replacement) {
    WireWriter out = new WireWriter();
    codec.write(out, value);
    byte[] bytes = out.toByteArray();
    int at = Math.floorMod(position, bytes.length);
    byte[] changed = bytes.clone();
    changed[at] = replacement;
    for (byte[] input : List.of(changed, java.util.Arrays.copyOf(bytes, at))) {
      try {
        WireReader in = new WireReader(input);
        codec.read(in);
        in.expectEnd();
      } catch (WireException expected) {
        // the decoder's own, declared failure
      }
    }
  }
}
