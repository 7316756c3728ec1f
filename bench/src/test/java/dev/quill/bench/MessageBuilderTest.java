package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageBuilderTest {
  private static final MessageBuilder.Envelope ENV = new MessageBuilder.Envelope("bench@bench.test",
      "user17@example.test", "<r.1@bench.quill.test>", "quill bench message 1",
      ZonedDateTime.of(2026, 7, 1, 10, 0, 0, 0, ZoneOffset.UTC));

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 402, 403, 512, 1000, 4096, 4097, 10_000, 65_536, 1_000_000})
  void build_size_exact(int size) {
    assertThat(new MessageBuilder(1).build(ENV, size)).hasSize(size);
  }

  @Test
  void build_tooSmall_yieldsMinimum() {
    byte[] headersOnly = new MessageBuilder(1).build(ENV, 1);
    String text = new String(headersOnly, StandardCharsets.US_ASCII);
    assertThat(text).endsWith("\r\n\r\n\r\n");
  }

  @ParameterizedTest
  @ValueSource(ints = {403, 4096, 65_536})
  void build_lines_crlfOnlyAndShort(int size) {
    String text = new String(new MessageBuilder(3).build(ENV, size), StandardCharsets.US_ASCII);
    assertThat(text).endsWith("\r\n");
    assertThat(text.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
    for (String line : text.split("\r\n", -1)) {
      assertThat(line.length()).isLessThanOrEqualTo(MessageBuilder.LINE_LENGTH + 1);
    }
    assertThat(text.chars().allMatch(c -> c < 128)).isTrue();
  }

  @Test
  void build_headers_present() {
    String text = new String(new MessageBuilder(3).build(ENV, 4096), StandardCharsets.US_ASCII);
    String headers = text.substring(0, text.indexOf("\r\n\r\n") + 2);
    assertThat(headers).contains("From: Quill Bench <bench@bench.test>\r\n", "To: <user17@example.test>\r\n",
        "Message-ID: <r.1@bench.quill.test>\r\n", "Date: Wed, 1 Jul 2026 10:00:00 +0000\r\n", "MIME-Version: 1.0\r\n");
  }

  @Test
  void build_body_hasLinesNeedingStuffing() {
    String text = new String(new MessageBuilder(3).build(ENV, 4096), StandardCharsets.US_ASCII);
    assertThat(text).contains("\r\n.\r\n"); // a lone period line
    assertThat(text.split("\r\n")).anyMatch(l -> l.startsWith(".") && l.length() > 1);
  }

  @Test
  void build_sameSeed_sameBody() {
    assertThat(new MessageBuilder(9).build(ENV, 4096)).isEqualTo(new MessageBuilder(9).build(ENV, 4096));
  }
}
