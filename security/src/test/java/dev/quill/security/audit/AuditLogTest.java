package dev.quill.security.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir
  Path dir;

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T10:00:00Z"), ZoneOffset.UTC);

  static AuditEvent event(int i) {
    return new AuditEvent("user:u" + i + "@n1", "fragment", "u" + i + "/INBOX/" + i, "expunge", "deny",
        "policy 1 rule 1: user:*@* fragment expunge -> deny");
  }

  static void write(Path dir, AuditOptions options, int from, int count) throws Exception {
    try (AuditLog log = AuditLog.open(dir, "n1", options, CLOCK)) {
      for (int i = from; i < from + count; i++) {
        log.record(event(i));
      }
      log.force();
      assertThat(log.written()).isEqualTo(count);
      assertThat(log.dropped()).isZero();
    }
  }

  @Test
  void records_areWrittenChainedAndReadBack() throws Exception {
    write(dir, AuditOptions.defaults(), 1, 20);
    AuditVerifier.Report report = AuditVerifier.verify(dir);
    assertThat(report.intact()).isTrue();
    assertThat(report.records()).isEqualTo(20);
    assertThat(report.tornTail()).isEmpty();
    List<AuditRecord> tail = new AuditReader(dir).tail(3);
    assertThat(tail).extracting(AuditRecord::seq).containsExactly(18L, 19L, 20L);
    AuditRecord last = tail.getLast();
    assertThat(last.subject()).isEqualTo("user:u20@n1");
    assertThat(last.node()).isEqualTo("n1");
    assertThat(last.time()).isEqualTo(CLOCK.instant());
    assertThat(last.prev()).isEqualTo(tail.get(1).hash());
    assertThat(report.headHash()).isEqualTo(last.hash());
    assertThat(new AuditReader(dir).tail(0)).isEmpty();
    assertThat(new AuditReader(dir).tail(100)).hasSize(20);
  }

  @Test
  void awkwardText_isEscapedAndReadBackUnchanged() throws Exception {
    String nasty = "tab\there\nnew line \\ back\u0000nul \uD83D\uDE00 lone \uD800 é";
    try (AuditLog log = AuditLog.open(dir, "n1", AuditOptions.defaults(), CLOCK)) {
      log.record(new AuditEvent("user:a@n1", "profile", nasty, "read", "deny", nasty));
      log.record(null);
      log.force();
    }
    assertThat(Files.readAllLines(dir.resolve("audit-00000001.log"))).hasSize(1);
    AuditRecord r = new AuditReader(dir).tail(1).getFirst();
    assertThat(r.name()).isEqualTo(nasty);
    assertThat(r.reason()).isEqualTo(nasty);
    assertThat(r.display()).as("escaped for terminals").doesNotContain("\u0000", "\n", "\t")
        .contains("tab\\there\\nnew line");
    assertThat(AuditVerifier.verify(dir).intact()).isTrue();
  }

  @Test
  void reopening_continuesTheChain() throws Exception {
    write(dir, AuditOptions.defaults(), 1, 5);
    write(dir, AuditOptions.defaults(), 6, 5);
    AuditVerifier.Report report = AuditVerifier.verify(dir);
    assertThat(report.intact()).as(String.valueOf(report.broken())).isTrue();
    assertThat(report.records()).isEqualTo(10);
    assertThat(new AuditReader(dir).tail(10)).extracting(AuditRecord::seq)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
  }

  @Test
  void rotation_startsNewFiles_andTheChainContinuesAcrossThem() throws Exception {
    AuditOptions small = AuditOptions.defaults().withMaxFileBytes(1024);
    write(dir, small, 1, 40);
    write(dir, small, 41, 10);
    List<Path> files = AuditFiles.list(dir);
    assertThat(files.size()).isGreaterThan(5);
    for (Path f : files.subList(0, files.size() - 1)) {
      assertThat(Files.size(f)).isLessThan(1024 + 1024);
    }
    AuditVerifier.Report report = AuditVerifier.verify(dir);
    assertThat(report.intact()).as(String.valueOf(report.broken())).isTrue();
    assertThat(report.records()).isEqualTo(50);
    assertThat(report.files()).isEqualTo(files.size());
    List<AuditRecord> tail = new AuditReader(dir).tail(12);
    assertThat(tail).extracting(AuditRecord::seq).containsExactlyElementsOf(
        java.util.stream.LongStream.rangeClosed(39, 50).boxed().toList());
    // The first record of the second file carries the last hash of the first.
    List<String> first = Files.readAllLines(files.get(0), StandardCharsets.UTF_8);
    List<String> second = Files.readAllLines(files.get(1), StandardCharsets.UTF_8);
    String lastHash = first.getLast().substring(first.getLast().lastIndexOf('\t') + 1);
    assertThat(second.getFirst()).contains("\t" + lastHash + "\t");
  }

  @Test
  void tornLastLine_isReportedAsACrash_andCutWhenReopened() throws Exception {
    write(dir, AuditOptions.defaults(), 1, 4);
    Path file = dir.resolve("audit-00000001.log");
    Files.write(file, "v1\t5\t2026-12-06T10:00:00Z\tn1\tuser:torn".getBytes(StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.APPEND);
    AuditVerifier.Report torn = AuditVerifier.verify(dir);
    assertThat(torn.intact()).isTrue();
    assertThat(torn.records()).isEqualTo(4);
    assertThat(torn.tornTail()).hasValueSatisfying(t -> assertThat(t).contains("line 5: torn last line"));
    assertThat(new AuditReader(dir).tail(10)).hasSize(4);

    write(dir, AuditOptions.defaults(), 5, 2);
    AuditVerifier.Report after = AuditVerifier.verify(dir);
    assertThat(after.intact()).isTrue();
    assertThat(after.tornTail()).isEmpty();
    assertThat(after.records()).isEqualTo(6);
  }

  @Test
  void aFullQueue_dropsAndCounts_andTheNextRecordCarriesTheCount() throws Exception {
    AuditOptions tiny = AuditOptions.defaults().withQueueCapacity(1);
    long dropped;
    try (AuditLog log = AuditLog.open(dir, "n1", tiny, CLOCK)) {
      List<Thread> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        writers.add(Thread.ofPlatform().start(() -> {
          for (int i = 0; i < 20_000; i++) {
            log.record(event(i));
          }
        }));
      }
      for (Thread t : writers) {
        t.join();
      }
      log.force();
      // The queue is empty after force, so this one is written and carries the last drops.
      log.record(event(-1));
      log.force();
      dropped = log.dropped();
      assertThat(dropped).as("a one-slot queue under four writers drops").isPositive();
      assertThat(log.written() + dropped).isEqualTo(80_001);
    }
    long carried = new AuditReader(dir).tail(Integer.MAX_VALUE).stream().mapToLong(AuditRecord::dropped).sum();
    assertThat(carried).isEqualTo(dropped);
    assertThat(AuditVerifier.verify(dir).intact()).isTrue();
  }

  @Test
  void afterClose_eventsAreDroppedNotThrown() throws Exception {
    AuditLog log = AuditLog.open(dir, "n1", AuditOptions.defaults(), CLOCK);
    log.close();
    log.record(event(1));
    assertThat(log.dropped()).isEqualTo(1);
    assertThat(log.failure()).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(log::force).isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void unforcedRecords_reachTheFileWithinTheForceInterval() throws Exception {
    try (AuditLog log = AuditLog.open(dir, "n1", AuditOptions.defaults(), CLOCK)) {
      log.record(event(1));
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (Files.size(dir.resolve("audit-00000001.log")) == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(Files.size(dir.resolve("audit-00000001.log"))).as("flushed by the writer without force()").isPositive();
    }
  }

  @Test
  void follow_seesNewRecordsAcrossRotations() throws Exception {
    AuditOptions small = AuditOptions.defaults().withMaxFileBytes(1024);
    write(dir, small, 1, 3);
    List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread follower = Thread.ofPlatform().start(() -> {
      try {
        new AuditReader(dir).follow(2, r -> seen.add(r.seq()), java.time.Duration.ofMillis(10), stop::get);
      } catch (Exception e) {
        seen.add(-1L);
      }
    });
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (seen.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);  // the tail is printed before anything new is written
    }
    write(dir, small, 4, 30);
    while (seen.size() < 32 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    stop.set(true);
    follower.join();
    assertThat(AuditFiles.list(dir).size()).as("the log rotated while followed").isGreaterThan(2);
    assertThat(seen).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(2, 33).boxed().toList());
  }

  @Test
  void aSecondWriterOnTheSameDirectory_isRefused_untilTheFirstCloses() throws Exception {
    try (AuditLog first = AuditLog.open(dir, "n1", AuditOptions.defaults(), CLOCK)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> AuditLog.open(dir, "n1", AuditOptions.defaults(), CLOCK))
          .isInstanceOf(java.io.IOException.class).hasMessageContaining("is already open for writing");
      first.record(event(1));
    }
    write(dir, AuditOptions.defaults(), 2, 1);
    assertThat(AuditVerifier.verify(dir).records()).isEqualTo(2);
  }
}
