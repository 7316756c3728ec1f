package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link MailStore#fragments} over the ranges between any split points partitions the users exactly. */
class FragmentsPropertiesTest {

  @Provide
  Arbitrary<Set<String>> locals() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(1).ofMaxLength(10).set().ofMinSize(1).ofMaxSize(25);
  }

  @Provide
  Arbitrary<List<Long>> splits() {
    // Any longs, plus the hashes' extremes, so that both halves of the unsigned space are cut.
    return Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE))
        .list().ofMaxSize(8);
  }

  @Property(tries = 20)
  void rangesBetweenSplitPoints_returnEveryUserOnce(
      @ForAll("locals") Set<String> locals, @ForAll("splits") List<Long> splits) throws IOException {
    Path dir = Files.createTempDirectory("quill-fragments");
    try (var store = TestStores.open(dir)) {
      store.addDomain("example.org");
      var users = new TreeSet<String>();
      int i = 0;
      for (String local : locals) {
        String user = local + "@example.org";
        users.add(user);
        if (i++ % 2 == 0) {
          store.addUser(user, "pw".toCharArray());
        } else { // fragments only
          store.storeAssigned(new AssignedMessage(user, "INBOX", 1, 1, 1, TestStores.message("m", 50), Set.of(),
              Instant.EPOCH, null)).join();
        }
      }
      var points = new TreeSet<Long>(Long::compareUnsigned);
      points.addAll(splits);
      points.remove(0L); // 0 is where the first range starts anyway
      var seen = new ArrayList<String>();
      long from = 0;
      for (long to : points) {
        collect(store, from, to, seen);
        from = to;
      }
      collect(store, from, 0, seen); // the last range runs to 2^64
      assertThat(seen).containsExactlyInAnyOrderElementsOf(users);
    } finally {
      TestStores.deleteTree(dir);
    }
  }

  private static void collect(RocksMailStore store, long from, long to, List<String> seen) {
    var range = new HashRange(from, to);
    for (UserFragments f : store.fragments(from, to)) {
      assertThat(range.contains(f.hash())).as("%s in %s", f.user(), range).isTrue();
      assertThat(f.fragments()).isNotEmpty();
      seen.add(f.user());
    }
  }
}
