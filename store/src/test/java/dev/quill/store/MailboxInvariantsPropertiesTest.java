package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.store.FlagUpdate.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Any sequence of deliveries, appends, flag changes, copies, moves and expunges keeps every
 * mailbox's counters equal to a recount of its messages, and its UIDs strictly rising, also
 * across a restart.
 */
class MailboxInvariantsPropertiesTest {
  static final String ANN = "ann@example.org";
  static final List<String> BOXES = List.of("INBOX", "Archive", "Trash");

  /** One operation; UIDs are picked modulo the mailbox's uidNext so that most of them exist. */
  sealed interface Op {}
  record Deliver(String box, int size) implements Op {}
  record Append(String box, int size, boolean seen) implements Op {}
  record Flags(String box, List<Integer> picks, Mode mode, String flag) implements Op {}
  record Copy(String from, String to, List<Integer> picks, boolean move) implements Op {}
  record Expunge(String box, List<Integer> picks) implements Op {}

  @Property(tries = 25)
  void operations_keepCountersExactAndUidsRising(@ForAll("operations") List<Op> ops) throws IOException {
    Path dir = Files.createTempDirectory("quill-prop");
    try {
      RocksMailStore store = TestStores.withUsers(dir, "ann");
      Map<String, Long> lastUidNext = new HashMap<>();
      try {
        for (Op op : ops) {
          apply(store, op);
          check(store, lastUidNext);
        }
      } finally {
        store.close();
      }
      store = TestStores.open(dir);
      try {
        check(store, lastUidNext);
      } finally {
        store.close();
      }
    } finally {
      TestStores.deleteTree(dir);
    }
  }

  private static void apply(RocksMailStore store, Op op) {
    switch (op) {
      case Deliver d -> store.deliver(List.of(ANN), d.box(), TestStores.message("d", d.size()), Instant.EPOCH).join();
      case Append a -> store.append(ANN, a.box(), TestStores.message("a", a.size()),
          a.seen() ? Set.of("\\Seen") : Set.of(), Instant.EPOCH, new MessageDerived(new byte[] {1}, new byte[] {2})).join();
      case Flags f -> store.updateFlags(ANN, f.box(), uids(store, f.box(), f.picks()),
          new FlagUpdate(f.mode(), Set.of(f.flag()), -1)).join();
      case Copy c -> store.copy(ANN, c.from(), uids(store, c.from(), c.picks()), c.to(), c.move()).join();
      case Expunge e -> store.expunge(ANN, e.box(), uids(store, e.box(), e.picks())).join();
    }
  }

  private static List<Long> uids(RocksMailStore store, String box, List<Integer> picks) {
    long uidNext = store.mailbox(ANN, box).orElseThrow().uidNext();
    return picks.stream().map(p -> 1 + (long) p % uidNext).toList();
  }

  private static void check(RocksMailStore store, Map<String, Long> lastUidNext) {
    long total = 0;
    for (String name : BOXES) {
      MailboxInfo box = store.mailbox(ANN, name).orElseThrow();
      List<MessageMeta> messages = store.messages(ANN, name);
      assertThat(box.messageCount()).as("count of %s", name).isEqualTo(messages.size());
      assertThat(box.totalBytes()).as("bytes of %s", name).isEqualTo(messages.stream().mapToLong(MessageMeta::size).sum());
      for (int i = 1; i < messages.size(); i++) {
        assertThat(messages.get(i).uid()).isGreaterThan(messages.get(i - 1).uid());
      }
      messages.forEach(m -> {
        assertThat(m.uid()).isLessThan(box.uidNext());
        assertThat(m.modSeq()).isLessThanOrEqualTo(box.highestModSeq());
      });
      assertThat(box.uidNext()).isGreaterThanOrEqualTo(lastUidNext.getOrDefault(name, 1L));
      lastUidNext.put(name, box.uidNext());
      total += box.totalBytes();
    }
    assertThat(store.usage(ANN)).isEqualTo(total);
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<String> box = Arbitraries.of(BOXES);
    Arbitrary<Integer> size = Arbitraries.integers().between(10, 400);
    Arbitrary<List<Integer>> picks = Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<Op> deliver = Combinators.combine(box, size).as(Deliver::new);
    Arbitrary<Op> append = Combinators.combine(box, size, Arbitraries.of(true, false)).as(Append::new);
    Arbitrary<Op> flags = Combinators.combine(box, picks, Arbitraries.of(Mode.class),
        Arbitraries.of("\\Seen", "\\seen", "$Work", "\\Deleted")).as(Flags::new);
    Arbitrary<Op> copy = Combinators.combine(box, box, picks, Arbitraries.of(true, false)).as(Copy::new);
    Arbitrary<Op> expunge = Combinators.combine(box, picks).as(Expunge::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, deliver), net.jqwik.api.Tuple.of(3, append), net.jqwik.api.Tuple.of(2, flags),
            net.jqwik.api.Tuple.of(2, copy), net.jqwik.api.Tuple.of(2, expunge))
        .list().ofMinSize(1).ofMaxSize(25);
  }
}
