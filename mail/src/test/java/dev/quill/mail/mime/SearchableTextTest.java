package dev.quill.mail.mime;

import static dev.quill.mail.mime.Fixtures.crlf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SEARCH matching over the stored text: decoded charsets and encoded words, case folding, sections, bounds. */
class SearchableTextTest {

  private static SearchableText text(byte[] message) {
    return SearchableText.decode(MessageAnalysis.analyze(message).toDerived().searchText());
  }

  @Test
  void body_quotedPrintableLatin1_decodedAndFolded() {
    SearchableText t = text(Fixtures.QP_LATIN1);
    assertThat(t.bodyContains("CAFÉ CRÈME")).isTrue();
    assertThat(t.bodyContains("très bien")).isTrue(); // soft line break joined
    assertThat(t.bodyContains("naïve")).isTrue(); // raw 8-bit, read as the declared charset
    assertThat(t.bodyContains("Caf=E9")).isFalse();
    assertThat(t.bodyContains("Pirard")).isFalse(); // header text is not body text
  }

  @Test
  void header_encodedWordsDecoded() {
    SearchableText t = text(Fixtures.QP_LATIN1);
    assertThat(t.headerContains("Subject", "can read this you understand")).isTrue(); // two charsets, joined
    assertThat(t.headerContains("FROM", "andré pirard")).isTrue();
    assertThat(t.headerContains("to", "jørn simonsen")).isTrue();
    assertThat(t.headerContains("to", "andré")).isFalse();
    assertThat(t.textContains("ANDRÉ")).isTrue();
    assertThat(t.textContains("bien")).isTrue();
  }

  @Test
  void header_emptyNeedle_matchesPresence() {
    SearchableText t = text(Fixtures.ALTERNATIVE);
    assertThat(t.headerContains("in-reply-to", "")).isTrue();
    assertThat(t.headerContains("X-Absent", "")).isFalse();
    assertThat(t.headerContains("cc", "CAROL")).isTrue();
    assertThat(t.headerContains("c", "carol")).isFalse(); // field names match whole
  }

  @Test
  void body_htmlStripped_scriptDropped() {
    byte[] m = crlf("Content-Type: text/html; charset=utf-8\n\n<p>Fish &amp; <i>chi</i>ps&#33;</p><script>var secret=1</script><style>p{}</style>");
    SearchableText t = text(m);
    assertThat(t.bodyContains("fish & chips!")).isTrue();
    assertThat(t.bodyContains("secret")).isFalse();
    assertThat(t.bodyContains("<p>")).isFalse();
  }

  @Test
  void body_utf8_unicodeFolding() {
    SearchableText t = text(Fixtures.UTF8_HEADERS);
    assertThat(t.bodyContains("σίσυφος")).isTrue(); // final sigma folds to sigma
    assertThat(t.bodyContains("SCHÖNE GRÜSSE")).isFalse(); // no ß -> ss expansion
    assertThat(t.bodyContains("schöne grüße")).isTrue();
    assertThat(t.headerContains("subject", "GRÜSSE")).isFalse();
    assertThat(t.headerContains("subject", "grüße aus köln")).isTrue();
  }

  @Test
  void body_nestedMessages_textPartsAndEncapsulatedHeadersSearched_attachmentsNot() {
    assertThat(text(Fixtures.NESTED_RFC822).bodyContains("inner enriched")).isTrue();
    assertThat(text(Fixtures.NESTED_RFC822).bodyContains("orig sender")).isTrue();
    assertThat(text(Fixtures.MIXED_BASE64).bodyContains("see attached")).isTrue();
    assertThat(text(Fixtures.MIXED_BASE64).bodyContains("hello world")).isFalse(); // application/pdf
  }

  @Test
  void text_isBoundedAtOneMebibyte() {
    StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
    big.append("a".repeat(SearchTextBuilder.MAX_TEXT + 1000)).append("needle");
    byte[] stored = MessageAnalysis.analyze(big.toString().getBytes()).toDerived().searchText();
    assertThat(stored.length).isLessThanOrEqualTo(SearchTextBuilder.MAX_TEXT + 8);
    assertThat(SearchableText.decode(stored).bodyContains("needle")).isFalse();
    assertThat(SearchableText.decode(stored).bodyContains("aaaa")).isTrue();
  }

  @Test
  void decode_rejectsForeignBytes() {
    assertThatThrownBy(() -> SearchableText.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SearchableText.decode(new byte[] {1, 100})).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * SEARCH BODY over 10,000 messages: what the IMAP layer does per message is decode (three reads,
   * no copy) and a byte scan. No timing is asserted; this checks the path gives the right answers at
   * that scale.
   */
  @Test
  void body_tenThousandMessages_matchesExactlyTheMarkedOnes() {
    List<byte[]> stored = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String marker = i % 100 == 0 ? " Zebra" : "";
      byte[] m = crlf("Subject: message " + i + "\nContent-Type: text/plain; charset=utf-8\n\n"
          + "Lorem ipsum dolor sit amet, consectetur adipiscing elit " + i + marker + ".\n".repeat(1 + i % 5));
      stored.add(MessageAnalysis.analyze(m).toDerived().searchText());
    }
    int hits = 0;
    for (byte[] s : stored) {
      if (SearchableText.decode(s).bodyContains("zEBRA")) {
        hits++;
      }
    }
    assertThat(hits).isEqualTo(100);
  }
}
