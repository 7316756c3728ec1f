package dev.quill.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The ASCII fast path of search-text extraction finds exactly what the general path finds. */
class SearchFastPathTest {

  private static SearchableText text(String message) {
    return SearchableText.decode(MessageAnalysis.analyze(message.getBytes(StandardCharsets.ISO_8859_1))
        .toDerived().searchText());
  }

  @Test
  void asciiBody_foldedAndSearchable_crlfAcrossLines() {
    SearchableText t = text("Subject: x\r\n\r\nHello WORLD\r\nSecond Line\r\n");
    assertThat(t.bodyContains("hello world")).isTrue();
    assertThat(t.bodyContains("WORLD")).isTrue();
    assertThat(t.bodyContains("world\nsecond")).isTrue();
    assertThat(t.bodyContains("\r")).isFalse();
    assertThat(t.bodyContains("absent")).isFalse();
  }

  @Test
  void utf16Body_withAsciiOnlyBytes_isNotTakenForAscii() {
    // "Hi" in UTF-16BE is 00 48 00 69: every byte is below 0x80, but it is not ASCII text.
    String body = new String(new byte[] {0, 'H', 0, 'i'}, StandardCharsets.ISO_8859_1);
    SearchableText t = text("Content-Type: text/plain; charset=utf-16be\r\n\r\n" + body);
    assertThat(t.bodyContains("hi")).isTrue();
  }

  @Test
  void latin1Body_takesTheGeneralPath() {
    String body = new String(new byte[] {'C', 'a', 'f', (byte) 0xC9}, StandardCharsets.ISO_8859_1);
    SearchableText t = text("Content-Type: text/plain; charset=iso-8859-1\r\n\r\n" + body + "\r\n");
    assertThat(t.bodyContains("café")).isTrue();
  }
}
