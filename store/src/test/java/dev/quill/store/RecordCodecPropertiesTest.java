package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** Every record survives encode then decode unchanged; damaged values are refused, not misread. */
class RecordCodecPropertiesTest {

  @Property
  void user_roundTrip(@ForAll String address, @ForAll String hash, @ForAll long quota, @ForAll("instants") Instant created) {
    var user = new UserProfile(address, hash, quota, created);
    assertThat(RecordCodec.decodeUser(RecordCodec.encodeUser(user))).isEqualTo(user);
  }

  @Property
  void mailbox_roundTrip(@ForAll long id, @ForAll String user, @ForAll String name, @ForAll long uidValidity,
      @ForAll long uidNext, @ForAll long modSeq, @ForAll int count, @ForAll long bytes,
      @ForAll("specialUses") Set<String> specialUse, @ForAll boolean subscribed) {
    var box = new MailboxInfo(id, user, name, uidValidity, uidNext, modSeq, count, bytes, specialUse, subscribed);
    assertThat(RecordCodec.decodeMailbox(RecordCodec.encodeMailbox(box))).isEqualTo(box);
  }

  @Property(tries = 50)
  void mailboxVersion1_decodesWithDefaults(@ForAll long id, @ForAll String name, @ForAll int count) {
    var box = new MailboxInfo(id, "ann@example.org", name, 7, 8, 9, count, 10, Set.of("\\Sent"), false);
    assertThat(RecordCodec.decodeMailbox(RecordCodec.encodeMailboxV1(box)))
        .isEqualTo(new MailboxInfo(id, "ann@example.org", name, 7, 8, 9, count, 10, Set.of(), true));
  }

  @Property(tries = 50)
  void derived_roundTrip(@ForAll byte[] structure, @ForAll byte[] searchText) {
    MessageDerived back = RecordCodec.decodeDerived(RecordCodec.encodeDerived(new MessageDerived(structure, searchText)));
    assertThat(back.structure()).isEqualTo(structure);
    assertThat(back.searchText()).isEqualTo(searchText);
  }

  @Provide
  Arbitrary<Set<String>> specialUses() {
    return Arbitraries.of("\\Sent", "\\Trash", "\\Junk", "\\Drafts", "\\Archive").set().ofMaxSize(3);
  }

  @Property
  void message_roundTrip(@ForAll("messages") MessageMeta meta) {
    assertThat(RecordCodec.decodeMessage(RecordCodec.encodeMessage(meta))).isEqualTo(meta);
  }

  @Property
  void quarantine_roundTrip(@ForAll("messages") MessageMeta meta, @ForAll byte[] body, @ForAll boolean bodyMissing,
      @ForAll String reason) {
    var q = new QuarantinedMessage("ann@example.org", "INBOX", meta, bodyMissing ? null : body, Instant.EPOCH, reason);
    QuarantinedMessage back = RecordCodec.decodeQuarantine(RecordCodec.encodeQuarantine(q));
    assertThat(back.meta()).isEqualTo(meta);
    assertThat(back.body()).isEqualTo(q.body());
    assertThat(back.reason()).isEqualTo(reason);
  }

  @Property
  void alias_and_counter_roundTrip(@ForAll String target, @ForAll long counter) {
    assertThat(RecordCodec.decodeAlias(RecordCodec.encodeAlias(target))).isEqualTo(target);
    assertThat(RecordCodec.decodeCounter(RecordCodec.encodeCounter(counter))).isEqualTo(counter);
  }

  @Property
  void reservation_roundTrip(@ForAll long uidValidity, @ForAll long uid, @ForAll long modSeq,
      @ForAll boolean recorded, @ForAll @Size(max = 5) Set<@StringLength(min = 1, max = 20) String> holders) {
    var r = new WatermarkReservation(uidValidity, uid, modSeq, recorded ? Optional.of(holders) : Optional.empty());
    assertThat(RecordCodec.decodeReservation(RecordCodec.encodeReservation(r))).isEqualTo(r);
    assertThatThrownBy(() -> RecordCodec.decodeCounter(RecordCodec.encodeReservation(r)))
        .isInstanceOf(StoreException.class).hasMessageContaining("unreadable record");
  }

  /** A reservation written before holders were recorded (version 1: three numbers) still reads, without holders. */
  @Property
  void reservation_version1_readsWithoutHolders(@ForAll long uidValidity, @ForAll long uid, @ForAll long modSeq) {
    var bytes = java.nio.ByteBuffer.allocate(26).put((byte) 1).put((byte) 'W').putLong(uidValidity).putLong(uid)
        .putLong(modSeq).array();
    assertThat(RecordCodec.decodeReservation(bytes))
        .isEqualTo(new WatermarkReservation(uidValidity, uid, modSeq, Optional.empty()));
    byte[] extended = java.util.Arrays.copyOf(bytes, 27);
    assertThatThrownBy(() -> RecordCodec.decodeReservation(extended)).isInstanceOf(StoreException.class)
        .hasMessageContaining("trailing");
  }

  @Property
  void truncatedOrExtended_refused(@ForAll("messages") MessageMeta meta, @ForAll @LongRange(min = 1, max = 8) long cut) {
    byte[] full = RecordCodec.encodeMessage(meta);
    byte[] truncated = java.util.Arrays.copyOf(full, full.length - (int) cut);
    byte[] extended = java.util.Arrays.copyOf(full, full.length + (int) cut);
    assertThatThrownBy(() -> RecordCodec.decodeMessage(truncated)).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> RecordCodec.decodeMessage(extended)).isInstanceOf(StoreException.class);
  }

  @Property(tries = 20)
  void wrongKind_refused(@ForAll("messages") MessageMeta meta) {
    assertThatThrownBy(() -> RecordCodec.decodeUser(RecordCodec.encodeMessage(meta)))
        .isInstanceOf(StoreException.class).hasMessageContaining("unreadable record");
  }

  @Provide
  Arbitrary<Instant> instants() {
    return Combinators.combine(
            Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
            Arbitraries.integers().between(0, 999_999_999))
        .as(Instant::ofEpochSecond);
  }

  @Provide
  Arbitrary<MessageMeta> messages() {
    Arbitrary<Set<String>> flags = Arbitraries.strings().ofMaxLength(20).set().ofMaxSize(6);
    return Combinators.combine(
            Arbitraries.longs().greaterOrEqual(1), instants(), Arbitraries.longs().greaterOrEqual(0), flags,
            Arbitraries.longs(), Arbitraries.integers())
        .as(MessageMeta::new);
  }
}
