package dev.quill.bench.mime;

import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.store.MessageDerived;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CPU time of what every delivery now pays before its 250: {@code MessageAnalysis.analyze(m).toDerived()}
 * (MIME structure, ENVELOPE data and the folded search text) on the SMTP benchmark's kind of message — 4 KiB of
 * ASCII text with a Received trace and the usual headers. One thread; average time per message.
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/quill-bench.jar org.openjdk.jmh.Main AnalyzeBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AnalyzeBenchmark {
  private byte[] message;

  @Setup
  public void setUp() {
    StringBuilder sb = new StringBuilder("Return-Path: <bench@example.org>\r\n"
        + "Received: from client ([127.0.0.1])\r\n\tby localhost with ESMTP id smtp-1.1\r\n"
        + "\tfor <user1@example.test>;\r\n\tSun, 22 Nov 2026 00:59:26 +0000\r\n"
        + "From: Bench <bench@example.org>\r\nTo: user1@example.test\r\nSubject: bench message 1\r\n"
        + "Date: Sun, 22 Nov 2026 00:59:26 +0000\r\nMessage-ID: <1@bench>\r\n\r\n");
    while (sb.length() < 4096) {
      sb.append("The quick brown fox jumps over the lazy dog while quill measures it.\r\n");
    }
    message = sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Benchmark
  public MessageDerived analyze() {
    return MessageAnalysis.analyze(message).toDerived();
  }
}
