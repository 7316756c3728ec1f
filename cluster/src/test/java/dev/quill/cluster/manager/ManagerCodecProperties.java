package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.MailboxEvent;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The wire forms of the manager's MODSEQ, mailbox, watch, change-notice and reservation bodies. */
class ManagerCodecProperties {
  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').withChars('@', '.', '/', 'é', '✉').ofMaxLength(30);
  }

  @Provide
  Arbitrary<Long> uidValidities() {
    return Arbitraries.longs().between(1, 0xffff_ffffL);
  }

  @Provide
  Arbitrary<Long> uids() {
    return Arbitraries.longs().between(0, 0xffff_ffffL);
  }

  @Provide
  Arbitrary<Long> modSeqs() {
    return Arbitraries.longs().between(0, Long.MAX_VALUE);
  }

  @Provide
  Arbitrary<List<String>> nodeLists() {
    return names().list().ofMaxSize(5);
  }

  @Provide
  Arbitrary<MailboxEvent> events() {
    return Combinators.combine(names(), names(), Arbitraries.of(MailboxEvent.Kind.class),
        Arbitraries.longs().between(0, 0xffff_ffffL).list().ofMaxSize(40), modSeqs()).as(MailboxEvent::new);
  }

  @Property
  void mailMap_withMissingHolders_roundTrips(@ForAll("names") String user, @ForAll("nodeLists") List<String> waiting,
      @ForAll("nodeLists") List<String> profiles, @ForAll("names") String mailbox,
      @ForAll("uidValidities") long uidValidity, @ForAll("uids") long uid, @ForAll("modSeqs") long modSeq,
      @ForAll boolean conflict, @ForAll("nodeLists") List<String> nodes, @ForAll("nodeLists") List<String> missing)
      throws WireException {
    roundTrip(MailMap.CODEC, new MailMap(user, waiting, profiles,
        List.of(new MailMap.MailboxLocation(mailbox, uidValidity, uid, modSeq, conflict, nodes, missing))));
  }

  @Property
  void modSeqRequest_roundTrips(@ForAll("names") String user, @ForAll("names") String mailbox) throws WireException {
    roundTrip(ModSeqRequest.CODEC, new ModSeqRequest(user, mailbox));
  }

  @Property
  void modSeqGrant_roundTrips(@ForAll("uidValidities") long uidValidity, @ForAll("modSeqs") long modSeq,
      @ForAll("nodeLists") List<String> nodes) throws WireException {
    roundTrip(ModSeqGrant.CODEC, new ModSeqGrant(uidValidity, modSeq, nodes));
  }

  @Property
  void createdMailbox_roundTrips(@ForAll("names") String user, @ForAll("names") String mailbox,
      @ForAll("uidValidities") long uidValidity, @ForAll("names") String node) throws WireException {
    roundTrip(CreatedMailbox.CODEC, new CreatedMailbox(user, mailbox, uidValidity, node));
  }

  @Property
  void droppedFragment_roundTrips(@ForAll("names") String user, @ForAll("names") String mailbox,
      @ForAll("names") String node) throws WireException {
    roundTrip(DroppedFragment.CODEC, new DroppedFragment(user, mailbox, node));
  }

  @Property
  void renamedMailbox_roundTrips(@ForAll("names") String user, @ForAll("names") String from,
      @ForAll("names") String to) throws WireException {
    roundTrip(RenamedMailbox.CODEC, new RenamedMailbox(user, from, to));
  }

  @Property
  void watchRequest_roundTrips(@ForAll boolean on, @ForAll @Size(min = 1, max = 20) List<@From("names") String> users)
      throws WireException {
    roundTrip(WatchRequest.CODEC, new WatchRequest(on, users));
  }

  @Property
  void mailboxEvent_roundTrips(@ForAll("events") MailboxEvent event) throws WireException {
    roundTrip(MailboxEventCodec.CODEC, event);
    roundTrip(ManagerMessages.CHANGE_NOTICE.response(), new Answer.Ok<>(null));
  }

  @Property
  void modSeqAnswer_roundTrips(@ForAll("uidValidities") long uidValidity, @ForAll("modSeqs") long modSeq,
      @ForAll("nodeLists") List<String> nodes, @ForAll @IntRange(max = 1000) int bucket) throws WireException {
    Codec<Answer<ModSeqGrant>> codec = ManagerMessages.ALLOCATE_MODSEQ.response();
    roundTrip(codec, new Answer.Ok<>(new ModSeqGrant(uidValidity, modSeq, nodes)));
    roundTrip(codec, new Answer.Incomplete<>(bucket, nodes));
  }

  @Property
  void reservedWatermarks_roundTrip(@ForAll("names") String user, @ForAll("names") String mailbox,
      @ForAll("uidValidities") long uidValidity, @ForAll("uids") long uid, @ForAll("modSeqs") long modSeq)
      throws WireException {
    roundTrip(ReservedWatermarks.CODEC, new ReservedWatermarks(user, mailbox, uidValidity, uid, modSeq));
    roundTrip(ReservedWatermarks.CODEC, new ReservedWatermarks(user, mailbox, uidValidity, uid, modSeq,
        Optional.of(Set.of())));
    roundTrip(ManagerMessages.RESERVE_WATERMARKS.response(), null);
  }

  @Property
  void reservedWatermarks_withHolders_roundTrip(@ForAll("uidValidities") long uidValidity,
      @ForAll("nodeLists") List<String> holders) throws WireException {
    var r = new ReservedWatermarks("ann@example.org", "INBOX", uidValidity, 1, 1,
        Optional.of(Set.copyOf(holders.stream().filter(h -> !h.isEmpty()).toList())));
    roundTrip(ReservedWatermarks.CODEC, r);
  }

  /** A fragment report with and without holder records (FRAGMENT_REPORT version 2) decodes to what was sent. */
  @Property
  void fragmentReport_withHolderRecords_roundTrips(@ForAll("names") String user, @ForAll("uidValidities") long uv,
      @ForAll("uids") long uid, @ForAll("modSeqs") long modSeq, @ForAll("nodeLists") List<String> holders)
      throws WireException {
    Set<String> named = Set.copyOf(holders.stream().filter(h -> !h.isEmpty()).toList());
    var report = new FragmentReport("view-1", 3, 1024, List.of(5, 9), List.of(new FragmentReport.ReportedUser(user,
        true, List.of(new FragmentReport.ReportedFragment("INBOX", uv, uid, modSeq, Optional.of(named)),
            new FragmentReport.ReportedFragment("Sent", uv, 0, 0)))));
    roundTrip(FragmentReport.CODEC, report);
  }

  /** Maildrop locks in a report (FRAGMENT_REPORT version 3), with and without fragments, and the lock requests. */
  @Property
  void maildropLocks_roundTrip(@ForAll("names") String user, @ForAll @LongRange(max = Long.MAX_VALUE - 1) long token,
      @ForAll boolean lock) throws WireException {
    var report = new FragmentReport("view-2", 4, 1024, List.of(1), List.of(
        new FragmentReport.ReportedUser(user, false, List.of(), OptionalLong.of(token)),
        new FragmentReport.ReportedUser(user + "x", true, List.of(new FragmentReport.ReportedFragment("INBOX", 7, 1, 1)),
            OptionalLong.of(0)),
        new FragmentReport.ReportedUser(user + "y", true, List.of())));
    roundTrip(FragmentReport.CODEC, report);
    roundTrip(MaildropLockRequest.CODEC, new MaildropLockRequest(user, token, lock));
    roundTrip(ManagerMessages.MAILDROP_LOCK.response(), new Answer.Ok<>(lock));
    roundTrip(ManagerMessages.MAILDROP_LOCK.response(), new Answer.Incomplete<>(3, List.of("a")));
  }

  @Property
  void recentClaims_roundTrip(@ForAll("names") String user, @ForAll("names") String mailbox,
      @ForAll @LongRange(max = 0xffff_ffffL) long uidValidity, @ForAll @LongRange(max = 0xffff_ffffL) long upTo,
      @ForAll long before) throws WireException {
    roundTrip(RecentClaim.CODEC, new RecentClaim(user, mailbox, uidValidity, upTo));
    roundTrip(ManagerMessages.RECENT_CLAIM.response(), new Answer.Ok<>(before));
    roundTrip(ManagerMessages.RECENT_CLAIM.response(), new Answer.NotManager<>("b", "b|3"));
  }

  /** A report in version 2, for a manager of the earlier release: everything but the maildrop locks. */
  @Property(tries = 50)
  void fragmentReport_inVersion2_leavesTheLocksOut(@ForAll("names") String user,
      @ForAll @LongRange(max = Long.MAX_VALUE - 1) long token) throws WireException {
    var fragment = new FragmentReport.ReportedFragment("INBOX", 7, 3, 4, Optional.of(Set.of("a")));
    var withLock = new FragmentReport("view-3", 5, 1024, List.of(2), List.of(
        new FragmentReport.ReportedUser(user, true, List.of(fragment), OptionalLong.of(token))));
    FragmentReport read = FragmentReport.CODEC_V2.read(new WireReader(encode(FragmentReport.CODEC_V2, withLock)));
    assertThat(read).isEqualTo(new FragmentReport("view-3", 5, 1024, List.of(2), List.of(
        new FragmentReport.ReportedUser(user, true, List.of(fragment)))));
  }

  /**
   * Each fragment's emptiness (FRAGMENT_REPORT version 4) round-trips; version 3, for a manager of the
   * previous release, carries everything else (the locks too), and reads every fragment as holding mail.
   */
  @Property(tries = 50)
  void fragmentReport_emptiness_inVersion4_andLeftOutOfVersion3(@ForAll("names") String user, @ForAll boolean empty,
      @ForAll @LongRange(max = Long.MAX_VALUE - 1) long token) throws WireException {
    var fragment = new FragmentReport.ReportedFragment("INBOX", 7, 3, 4, Optional.of(Set.of("a")), empty);
    var report = new FragmentReport("view-4", 6, 1024, List.of(2), List.of(
        new FragmentReport.ReportedUser(user, false, List.of(fragment, new FragmentReport.ReportedFragment("Sent", 7, 0, 0,
            Optional.empty(), true)), OptionalLong.of(token))));
    roundTrip(FragmentReport.CODEC, report);
    FragmentReport read = FragmentReport.CODEC_V3.read(new WireReader(encode(FragmentReport.CODEC_V3, report)));
    assertThat(read).isEqualTo(new FragmentReport("view-4", 6, 1024, List.of(2), List.of(
        new FragmentReport.ReportedUser(user, false, List.of(
            new FragmentReport.ReportedFragment("INBOX", 7, 3, 4, Optional.of(Set.of("a"))),
            new FragmentReport.ReportedFragment("Sent", 7, 0, 0)), OptionalLong.of(token)))));
  }

  /** A lock token that does not fit a signed 64-bit number is refused, not wrapped into a negative one. */
  @Property(tries = 20)
  void maildropLock_withANegativeToken_isRefused(@ForAll @LongRange(min = Long.MIN_VALUE, max = -1) long token) {
    byte[] bytes = new WireWriter().writeBoolean(true).writeString("u").writeVarLong(token).toByteArray();
    assertThatThrownBy(() -> MaildropLockRequest.CODEC.read(new WireReader(bytes))).isInstanceOf(WireException.class)
        .hasMessageContaining("token");
  }

  /** A holder record with an empty or repeated node name is refused, not half-read. */
  @Property(tries = 50)
  void holderRecord_withAnEmptyOrRepeatedName_isRefused(@ForAll @StringLength(min = 1, max = 20) String node) {
    for (List<String> names : List.of(List.of(""), List.of(node, node))) {
      WireWriter out = new WireWriter().writeString("u").writeString("INBOX").writeVarLong(7).writeVarLong(1)
          .writeVarLong(1).writeVarInt(names.size() + 1);
      names.forEach(out::writeString);
      assertThatThrownBy(() -> ReservedWatermarks.CODEC.read(new WireReader(out.toByteArray())))
          .isInstanceOf(WireException.class).hasMessageContaining("holder");
    }
  }

  @Property
  void unreservedAnswer_roundTrips(@ForAll @StringLength(max = 300) String reason) throws WireException {
    roundTrip(ManagerMessages.ALLOCATE_UIDS.response(), new Answer.Unreserved<>(reason.replaceAll("\\p{Cs}", "")));
  }

  @Property(tries = 50)
  void longUnreservedReason_isCutToTheLimit(@ForAll @StringLength(min = 334, max = 5_000) String reason) throws WireException {
    String clean = reason.replaceAll("\\p{Cs}", "x");
    Codec<Answer<UidGrant>> codec = ManagerMessages.ALLOCATE_UIDS.response();
    Answer<UidGrant> read = codec.read(new WireReader(encode(codec, new Answer.Unreserved<>(clean))));
    assertThat(read).isInstanceOfSatisfying(Answer.Unreserved.class, u -> {
      assertThat(u.reason()).endsWith("…");
      assertThat(clean).startsWith(u.reason().substring(0, u.reason().length() - 1));
    });
  }

  @Property(tries = 20)
  void reservationBeyond32BitUids_orWithUidValidityZero_isRefused(@ForAll @IntRange(min = 1) int excess) {
    byte[] uid = new WireWriter().writeString("u").writeString("INBOX").writeVarLong(7).writeVarLong(0xffff_ffffL + excess)
        .writeVarLong(1).toByteArray();
    assertThatThrownBy(() -> ReservedWatermarks.CODEC.read(new WireReader(uid))).isInstanceOf(WireException.class)
        .hasMessageContaining("reserved UID");
    byte[] zero = new WireWriter().writeString("u").writeString("INBOX").writeVarLong(0).writeVarLong(1).writeVarLong(1)
        .toByteArray();
    assertThatThrownBy(() -> ReservedWatermarks.CODEC.read(new WireReader(zero))).isInstanceOf(WireException.class)
        .hasMessageContaining("UIDVALIDITY 0");
  }

  /** Whatever the bytes, each decoder gives a value or a WireException, nothing else. */
  @Property
  void arbitraryBytes_decodeOrThrowWireException(@ForAll @Size(max = 80) byte[] input) {
    for (Codec<?> codec : List.of(ModSeqRequest.CODEC, ModSeqGrant.CODEC, CreatedMailbox.CODEC, DroppedFragment.CODEC,
        RenamedMailbox.CODEC, WatchRequest.CODEC, MailboxEventCodec.CODEC, ManagerMessages.ALLOCATE_MODSEQ.response(),
        ReservedWatermarks.CODEC, ManagerMessages.ALLOCATE_UIDS.response(), FragmentReport.CODEC, FragmentReport.CODEC_V3,
        FragmentReport.CODEC_V2,
        MaildropLockRequest.CODEC, ManagerMessages.MAILDROP_LOCK.response(), RecentClaim.CODEC,
        ManagerMessages.RECENT_CLAIM.response())) {
      try {
        WireReader in = new WireReader(input);
        assertThat((Object) codec.read(in)).isNotNull();
        in.expectEnd();
      } catch (WireException expected) {
        // the decoder's own, declared failure
      }
    }
  }

  /** Valid encodings cut short or with one byte changed still decode or fail only with WireException. */
  @Property
  void damagedEvent_decodesOrThrowsWireException(@ForAll("events") MailboxEvent event, @ForAll int cut,
      @ForAll int position, @ForAll byte value) {
    byte[] bytes = encode(MailboxEventCodec.CODEC, event);
    bytes[Math.floorMod(position, bytes.length)] = value;
    int length = Math.floorMod(cut, bytes.length + 1);
    try {
      WireReader in = new WireReader(bytes, 0, length);
      MailboxEventCodec.CODEC.read(in);
      in.expectEnd();
    } catch (WireException expected) {
      // declared failure
    }
  }

  @Property(tries = 20)
  void hostileUidCount_isRefusedBeforeAllocating(@ForAll @IntRange(min = 1_000_001) int claimed) {
    byte[] input = new WireWriter().writeString("u@example.org").writeString("INBOX").writeByte(0).writeVarInt(claimed)
        .toByteArray();
    assertThatThrownBy(() -> MailboxEventCodec.CODEC.read(new WireReader(input)))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 1000000");
  }

  @Property(tries = 20)
  void uidBeyond32Bits_andUidValidityZero_areRefused(@ForAll @IntRange(min = 1) int excess) {
    byte[] uid = new WireWriter().writeString("u").writeString("INBOX").writeByte(1).writeVarInt(1)
        .writeVarLong(0xffff_ffffL + excess).writeVarLong(1).toByteArray();
    assertThatThrownBy(() -> MailboxEventCodec.CODEC.read(new WireReader(uid))).isInstanceOf(WireException.class);
    byte[] zero = new WireWriter().writeString("u").writeString("INBOX").writeVarLong(0).writeString("n1").toByteArray();
    assertThatThrownBy(() -> CreatedMailbox.CODEC.read(new WireReader(zero))).isInstanceOf(WireException.class)
        .hasMessageContaining("UIDVALIDITY 0");
  }

  @Property(tries = 20)
  void unknownEventKind_isRefused(@ForAll @IntRange(min = 6, max = 255) int kind) {
    byte[] input = new WireWriter().writeString("u").writeString("INBOX").writeByte(kind).writeVarInt(0)
        .writeVarLong(1).toByteArray();
    assertThatThrownBy(() -> MailboxEventCodec.CODEC.read(new WireReader(input))).isInstanceOf(WireException.class)
        .hasMessageContaining("event kind " + kind);
  }

  private static <T> void roundTrip(Codec<T> codec, T value) throws WireException {
    WireReader in = new WireReader(encode(codec, value));
    assertThat(codec.read(in)).isEqualTo(value);
    in.expectEnd();
  }

  private static <T> byte[] encode(Codec<T> codec, T value) {
    WireWriter out = new WireWriter();
    codec.write(out, value);
    return out.toByteArray();
  }
}
