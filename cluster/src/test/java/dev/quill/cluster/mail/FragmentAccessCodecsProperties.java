package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.FragmentAccessCodecs.ExpungeRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.FlagsRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.LoadRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.MailboxRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.RenameRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.RenumberRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.SinceRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.UserRequest;
import dev.quill.cluster.manager.Fence;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.FragmentRenumbering;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The bodies of {@link FragmentAccess} and of {@link FragmentService}'s stores: every value round-trips,
 * and no input breaks a decoder.
 */
class FragmentAccessCodecsProperties {
  private static final long MAX_UID = 0xffff_ffffL;

  /** One codec with a value it should carry. */
  record Sample(String name, Codec<Object> codec, Object value) {
    @Override
    public String toString() {
      return name + ": " + value;
    }
  }

  // ---- generators ----------------------------------------------------------------------------

  /** Valid Unicode (no lone surrogates), short. */
  static Arbitrary<String> text() {
    return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .list().ofMaxSize(12)
        .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
  }

  static Arbitrary<Long> uids() {
    return Arbitraries.longs().between(0, MAX_UID);
  }

  static Arbitrary<Long> nonNegative() {
    return Arbitraries.longs().between(0, Long.MAX_VALUE);
  }

  static Arbitrary<Set<String>> names() {
    return text().set().ofMaxSize(4);
  }

  static Arbitrary<MailboxInfo> mailboxInfo() {
    Arbitrary<long[]> counters = Combinators.combine(nonNegative(), uids(), Arbitraries.longs().between(0, MAX_UID + 1),
        nonNegative(), Arbitraries.integers().greaterOrEqual(0), nonNegative())
        .as((id, uv, next, modSeq, count, bytes) -> new long[] {id, uv, next, modSeq, count, bytes});
    return Combinators.combine(counters, text(), text(), names(), Arbitraries.of(true, false))
        .as((c, user, name, uses, sub) -> new MailboxInfo(c[0], user, name, c[1], c[2], c[3], (int) c[4], c[5], uses, sub));
  }

  static Arbitrary<Instant> instants() {
    return Combinators.combine(
            Arbitraries.longs().between(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
            Arbitraries.integers().between(0, 999_999_999))
        .as(Instant::ofEpochSecond);
  }

  static Arbitrary<MessageMeta> meta() {
    return Combinators.combine(uids(), instants(), nonNegative(), names(), nonNegative(), Arbitraries.integers())
        .as(MessageMeta::new);
  }

  static Arbitrary<byte[]> bytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
  }

  static Arbitrary<MessageDerived> derived() {
    return Combinators.combine(bytes().injectNull(0.3), bytes().injectNull(0.3)).as(MessageDerived::new);
  }

  static Arbitrary<ClusterDelivery.Copy> copies() {
    return Combinators.combine(bytes(), names(), instants(), derived().injectNull(0.3)).as(ClusterDelivery.Copy::new);
  }

  static Arbitrary<AssignedMessage> assigned() {
    Arbitrary<Long> positive = Arbitraries.longs().between(1, MAX_UID);
    return Combinators.combine(text(), text(), positive, positive, Arbitraries.longs().between(1, Long.MAX_VALUE),
        copies()).as((user, box, uv, uid, modSeq, c) -> new AssignedMessage(user, box, uv, uid, modSeq, c.message(),
            c.flags(), c.internalDate(), c.derived()));
  }

  static Arbitrary<LoadedMessage> loaded() {
    Arbitrary<MessageDerived> derived = derived();
    return Combinators.combine(meta(), bytes().injectNull(0.3), derived.injectNull(0.3), text().injectNull(0.5))
        .as(LoadedMessage::new);
  }

  static Arbitrary<FlagUpdate> update() {
    return Combinators.combine(Arbitraries.of(FlagUpdate.Mode.class), names(), Arbitraries.longs())
        .as(FlagUpdate::new);
  }

  static Arbitrary<List<Long>> uidList() {
    return uids().list().ofMaxSize(20);
  }

  static Arbitrary<RenumberRequest> renumber() {
    Arbitrary<Long> positive = Arbitraries.longs().between(1, MAX_UID);
    Arbitrary<List<Long>> oldUids = uids().filter(u -> u > 0).set().ofMaxSize(20).map(set -> set.stream().sorted().toList());
    Arbitrary<Optional<FragmentRenumbering.Reservation>> reservation = Combinators.combine(nonNegative(), nonNegative(),
        names()).as(FragmentRenumbering.Reservation::new).optional();
    Arbitrary<long[]> fromTo = positive.flatMap(from -> positive.filter(to -> to.longValue() != from)
        .map(to -> new long[] {from, to}));
    Arbitrary<FragmentRenumbering> order = Combinators.combine(text(), text(), fromTo, oldUids,
        Arbitraries.longs().between(1, MAX_UID - 20), Arbitraries.longs().between(1, Long.MAX_VALUE), reservation)
        .as((user, box, v, uids, first, modSeq, r) -> new FragmentRenumbering(user, box, v[0], v[1], uids, first,
            modSeq, r));
    Arbitrary<Fence> fence = Combinators.combine(text(), nonNegative()).as(Fence::new);
    return Combinators.combine(order, fence).as(RenumberRequest::new);
  }

  @SuppressWarnings("unchecked")
  static <T> Arbitrary<Sample> sample(String name, Codec<T> codec, Arbitrary<T> values) {
    return values.map(v -> new Sample(name, (Codec<Object>) codec, v));
  }

  @Provide
  Arbitrary<Sample> samples() {
    return Arbitraries.oneOf(List.of(
        sample("user", FragmentAccessCodecs.USER, text().map(UserRequest::new)),
        sample("mailbox", FragmentAccessCodecs.MAILBOX, Combinators.combine(text(), text()).as(MailboxRequest::new)),
        sample("load", FragmentAccessCodecs.LOAD, Combinators.combine(text(), text(), uidList(),
            Arbitraries.of(LoadedMessage.Part.class).set(), Arbitraries.longs().between(0, Long.MAX_VALUE))
            .as(LoadRequest::new)),
        sample("load v1", FragmentAccessCodecs.LOAD_V1, Combinators.combine(text(), text(), uidList(),
            Arbitraries.of(LoadedMessage.Part.class).set()).as(LoadRequest::new)),
        sample("flags", FragmentAccessCodecs.FLAGS, Combinators.combine(text(), text(), uidList(), update(),
            Arbitraries.longs(), Arbitraries.longs().between(0, Long.MAX_VALUE))
            .as((user, box, uids, update, modSeq, uidValidity) -> new FlagsRequest(user, box, uids, update, modSeq,
                Fence.NONE, uidValidity))),
        sample("flags v2", FragmentAccessCodecs.FLAGS_V2, Combinators.combine(text(), text(), uidList(), update(),
            Arbitraries.longs()).as(FlagsRequest::new)),
        sample("expunge", FragmentAccessCodecs.EXPUNGE, Combinators.combine(text(), text(), uidList(),
            Arbitraries.longs(), Arbitraries.longs().between(0, Long.MAX_VALUE))
            .as((user, box, uids, modSeq, uidValidity) -> new ExpungeRequest(user, box, uids, modSeq, Fence.NONE,
                uidValidity))),
        sample("expunge v2", FragmentAccessCodecs.EXPUNGE_V2, Combinators.combine(text(), text(), uidList(),
            Arbitraries.longs()).as(ExpungeRequest::new)),
        sample("since", FragmentAccessCodecs.SINCE, Combinators.combine(text(), text(), Arbitraries.longs())
            .as(SinceRequest::new)),
        sample("renumber", FragmentAccessCodecs.RENUMBER, renumber()),
        sample("rename", FragmentAccessCodecs.RENAME, Combinators.combine(text(), text(), text(),
            Arbitraries.of(true, false)).as(RenameRequest::new)),
        sample("rename v1", FragmentAccessCodecs.RENAME_V1, Combinators.combine(text(), text(), text())
            .as((user, from, to) -> new RenameRequest(user, from, to, false))),
        sample("mailbox info", FragmentAccessCodecs.MAILBOX_INFO, mailboxInfo()),
        sample("message meta", FragmentAccessCodecs.MESSAGE_META, meta()),
        sample("loaded message", FragmentAccessCodecs.LOADED_MESSAGE, loaded()),
        sample("flag update", FragmentAccessCodecs.FLAG_UPDATE, update()),
        sample("listing", FragmentAccessCodecs.LISTING, Combinators.combine(mailboxInfo().optional(),
            meta().list().ofMaxSize(5)).as(FragmentListing::new)),
        sample("mailboxes", FragmentAccessCodecs.MAILBOXES, mailboxInfo().list().ofMaxSize(4)),
        sample("loaded", FragmentAccessCodecs.LOADED, loaded().list().ofMaxSize(4)),
        sample("flag result", FragmentAccessCodecs.FLAG_RESULT, Combinators.combine(meta().list().ofMaxSize(4),
            uids().set().ofMaxSize(8)).as(FlagResult::new)),
        sample("uids", FragmentAccessCodecs.UIDS, uidList()),
        sample("boolean", FragmentAccessCodecs.BOOLEAN, Arbitraries.of(true, false)),
        sample("usage", FragmentAccessCodecs.BYTES_USED, nonNegative()),
        sample("assigned", FragmentCodecs.ASSIGNED, assigned()),
        sample("append result", FragmentCodecs.RESULT, Combinators.combine(Arbitraries.of(true, false), nonNegative(),
            nonNegative()).as(AppendResult::new))));
  }

  @Provide
  Arbitrary<Codec<Object>> codecs() {
    return samples().map(Sample::codec);
  }

  // ---- properties ----------------------------------------------------------------------------

  private static byte[] encode(Sample s) {
    WireWriter out = new WireWriter();
    s.codec().write(out, s.value());
    return out.toByteArray();
  }

  private static Object decode(Codec<Object> codec, byte[] bytes) throws WireException {
    WireReader in = new WireReader(bytes);
    Object value = codec.read(in);
    in.expectEnd();
    return value;
  }

  @Property(tries = 2000)
  void everyValue_readsBackAsWritten(@ForAll("samples") Sample s) throws WireException {
    assertThat(comparable(decode(s.codec(), encode(s)))).isEqualTo(comparable(s.value()));
  }

  @Property(tries = 2000)
  void anyBytes_giveAValueOrAWireException(@ForAll("codecs") Codec<Object> codec, @ForAll @Size(max = 80) byte[] input) {
    try {
      decode(codec, input);
    } catch (WireException expected) {
      // the decoder's one declared failure
    }
  }

  /** A valid body with one byte changed or cut short: a value or a WireException, nothing else. */
  @Property(tries = 2000)
  void damagedBodies_giveAValueOrAWireException(@ForAll("samples") Sample s, @ForAll @IntRange(min = 0) int where,
      @ForAll byte replacement, @ForAll boolean truncate) {
    byte[] bytes = encode(s);
    if (bytes.length == 0) {
      return;
    }
    int at = where % bytes.length;
    byte[] damaged = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
    if (!truncate) {
      damaged[at] = replacement;
    }
    try {
      decode(s.codec(), damaged);
    } catch (WireException expected) {
      // the decoder's one declared failure
    }
  }

  @Property(tries = 50)
  void uidListLongerThanTheLimit_refusedBeforeAllocating(@ForAll @IntRange(min = 1_000_001) int claimed) {
    byte[] body = new WireWriter().writeVarInt(claimed).toByteArray();
    assertThatThrownBy(() -> decode(asObject(FragmentAccessCodecs.UIDS), body))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 1000000");
  }

  @Property(tries = 50)
  void uidBeyond32Bits_refusedBothWays(@ForAll @IntRange(min = 0, max = 1000) int above) {
    long uid = MAX_UID + 1 + above;
    assertThatThrownBy(() -> FragmentAccessCodecs.UIDS.write(new WireWriter(), List.of(uid)))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] body = new WireWriter().writeVarInt(1).writeVarLong(uid).toByteArray();
    assertThatThrownBy(() -> decode(asObject(FragmentAccessCodecs.UIDS), body)).isInstanceOf(WireException.class)
        .hasMessageContaining("32-bit");
  }

  @Property(tries = 20)
  void longProblem_isCutToFitItsBound(@ForAll @IntRange(min = 22_000, max = 70_000) int length) throws WireException {
    var problem = "é".repeat(length);
    var m = new LoadedMessage(new MessageMeta(1, Instant.EPOCH, 0, Set.of(), 1, 0), null, null, problem);
    WireWriter out = new WireWriter();
    FragmentAccessCodecs.LOADED_MESSAGE.write(out, m);
    Object back = decode(asObject(FragmentAccessCodecs.LOADED_MESSAGE), out.toByteArray());
    assertThat(((LoadedMessage) back).problem()).isNotEmpty().isEqualTo(problem.substring(0, ((LoadedMessage) back).problem().length()));
  }

  @SuppressWarnings("unchecked")
  private static Codec<Object> asObject(Codec<?> codec) {
    return (Codec<Object>) codec;
  }

  /** A value with its byte arrays made comparable by equals (records compare arrays by reference). */
  private static Object comparable(Object value) {
    return switch (value) {
      case List<?> list -> list.stream().map(FragmentAccessCodecsProperties::comparable).toList();
      case LoadedMessage m -> List.of(m.meta(), Optional.ofNullable(m.body()).map(Arrays::toString),
          Optional.ofNullable(m.derived()).map(d -> List.of(Optional.ofNullable(d.structure()).map(Arrays::toString),
              Optional.ofNullable(d.searchText()).map(Arrays::toString))),
          Optional.ofNullable(m.problem()));
      case AssignedMessage m -> List.of(m.user(), m.mailbox(), m.uidValidity(), m.uid(), m.modSeq(),
          comparable(new ClusterDelivery.Copy(m.message(), m.flags(), m.internalDate(), m.derived())));
      case ClusterDelivery.Copy c -> List.of(Arrays.toString(c.message()), c.flags(), c.internalDate(),
          Optional.ofNullable(c.derived()).map(d -> List.of(Arrays.toString(orEmpty(d.structure())),
              Arrays.toString(orEmpty(d.searchText())))));
      default -> value;
    };
  }

  /** The wire carries a missing part of derived data as an empty one. */
  private static byte[] orEmpty(byte[] b) {
    return b == null ? new byte[0] : b;
  }
}
