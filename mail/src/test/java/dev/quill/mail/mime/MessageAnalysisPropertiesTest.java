package dev.quill.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.mime.SectionSpec.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Whatever the bytes, analysis returns; ENVELOPE and BODYSTRUCTURE are well-formed IMAP by the
 * RFC 9051 grammar ({@link ImapSyntax}); the stored structure reads back to the same answers; no
 * section or BINARY request throws; top-level sections found without the structure are the same bytes.
 */
class MessageAnalysisPropertiesTest {
  private static final List<byte[]> SEEDS = List.of(Fixtures.SIMPLE, Fixtures.ALTERNATIVE, Fixtures.MIXED_BASE64,
      Fixtures.NESTED_RFC822, Fixtures.QP_LATIN1, Fixtures.RFC2231, Fixtures.UTF8_HEADERS, Fixtures.GROUPS,
      Fixtures.MISSING_HEADERS, Fixtures.MALFORMED_BOUNDARY, Fixtures.UNCLOSED);

  /** Fragments that steer mutations towards MIME trouble. */
  private static final List<String> TOKENS = List.of("\r\n", "\n", "\r", "\r\n\r\n", "--b1\r\n", "--outer--", "--inner\r\n",
      "Content-Type: multipart/mixed; boundary=outer\r\n", "Content-Type: message/rfc822\r\n\r\n",
      "Content-Type: text/html; charset=\"x\r\n", "Content-Transfer-Encoding: base64\r\n",
      "Content-Transfer-Encoding: quoted-printable\r\n", "=?utf-8?q?=C3=A9?=", "=?x?B?", " ", ":", ";", ",", "<", ">",
      "\"", "\\", "(", ")", "@", "\u0000", "=\r\n", "=ZZ", "é", "\u00ff", "*0*=", "; name*=utf-8''%", "{5}\r\n", "*");

  @Property(tries = 1500)
  void anyBytes_analysedToWellFormedImap(@ForAll @Size(max = 2000) byte[] message) {
    check(message);
  }

  @Property(tries = 1500)
  void mutatedRealMessages_analysedToWellFormedImap(@ForAll("mutated") byte[] message) {
    check(message);
  }

  @Property(tries = 300)
  void deeplyNested_boundedAndWellFormed(@ForAll("nested") byte[] message) {
    check(message);
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    Arbitrary<byte[]> seed = Arbitraries.of(SEEDS);
    Arbitrary<List<int[]>> edits = Combinators.combine(
            Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 100_000),
            Arbitraries.integers().between(0, 60), Arbitraries.integers().between(0, TOKENS.size() - 1))
        .as((op, at, len, token) -> new int[] {op, at, len, token})
        .list().ofMinSize(1).ofMaxSize(8);
    return Combinators.combine(seed, edits).as(MessageAnalysisPropertiesTest::mutate);
  }

  private static byte[] mutate(byte[] seed, List<int[]> edits) {
    List<Byte> m = new ArrayList<>();
    for (byte b : seed) {
      m.add(b);
    }
    for (int[] e : edits) {
      int at = m.isEmpty() ? 0 : e[1] % (m.size() + 1);
      int len = Math.min(e[2], m.size() - at);
      switch (e[0]) {
        case 0 -> m.subList(at, at + len).clear(); // delete
        case 1 -> { // insert a token
          byte[] t = TOKENS.get(e[3]).getBytes(StandardCharsets.UTF_8);
          for (int i = t.length - 1; i >= 0; i--) {
            m.add(at, t[i]);
          }
        }
        case 2 -> m.addAll(at, new ArrayList<>(m.subList(at, at + len))); // duplicate
        default -> { // flip bytes
          for (int i = at; i < at + len; i++) {
            m.set(i, (byte) (m.get(i) ^ (e[3] + 1)));
          }
        }
      }
    }
    byte[] out = new byte[m.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = m.get(i);
    }
    return out;
  }

  @Provide
  Arbitrary<byte[]> nested() {
    return Combinators.combine(Arbitraries.integers().between(1, 250), Arbitraries.of(true, false), Arbitraries.of(true, false))
        .as((depth, rfc822, close) -> {
          StringBuilder sb = new StringBuilder("Subject: deep\r\n");
          for (int i = 0; i < depth; i++) {
            sb.append(rfc822 && i % 2 == 1 ? "Content-Type: message/rfc822\r\n\r\nSubject: level " + i + "\r\n"
                : "Content-Type: multipart/mixed; boundary=\"b" + i + "\"\r\n\r\n--b" + i + "\r\n");
          }
          sb.append("Content-Type: text/plain\r\n\r\nleaf\r\n");
          if (close) {
            for (int i = depth - 1; i >= 0; i--) {
              if (!(rfc822 && i % 2 == 1)) {
                sb.append("--b").append(i).append("--\r\n");
              }
            }
          }
          return sb.toString().getBytes(StandardCharsets.US_ASCII);
        });
  }

  private static void check(byte[] message) {
    MessageAnalysis a = MessageAnalysis.analyze(message);
    byte[] envelope = a.envelope();
    byte[] body = a.bodyStructure(false);
    byte[] bodyStructure = a.bodyStructure(true);
    ImapSyntax.checkEnvelope(ImapSyntax.parse(envelope));
    ImapSyntax.checkBody(ImapSyntax.parse(body), false);
    ImapSyntax.checkBody(ImapSyntax.parse(bodyStructure), true);

    var derived = a.toDerived();
    MessageAnalysis back = MessageAnalysis.decode(derived.structure());
    assertThat(back.envelope()).isEqualTo(envelope);
    assertThat(back.bodyStructure(false)).isEqualTo(body);
    assertThat(back.bodyStructure(true)).isEqualTo(bodyStructure);
    assertThat(back.sentDate()).isEqualTo(a.sentDate());
    SearchableText text = SearchableText.decode(derived.searchText());
    text.textContains("a");
    text.headerContains("subject", "");

    for (int[] path : List.of(new int[0], new int[] {1}, new int[] {2}, new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2, 1},
        new int[] {2, 2}, new int[] {3}, new int[] {-1}, new int[] {1, 1, 1, 1, 1, 1})) {
      for (Kind kind : Kind.values()) {
        byte[] s = back.section(message, new SectionSpec(path, kind, List.of("subject", "content-type")));
        assertThat(s).isEqualTo(a.section(message, new SectionSpec(path, kind, List.of("subject", "content-type"))));
        if (kind == Kind.ALL && path.length == 0) {
          assertThat(s).isEqualTo(message);
        }
        SectionSpec spec = new SectionSpec(path, kind, List.of("subject", "Content-Type"));
        byte[] direct = MessageAnalysis.topLevelSection(message, spec);
        if (MessageAnalysis.isTopLevel(spec)) {
          assertThat(direct).as("top-level %s without the structure", kind).isEqualTo(a.section(message, spec));
        } else {
          assertThat(direct).isNull();
        }
      }
      assertThat(back.binary(message, path).map(b -> b.length)).isEqualTo(a.binary(message, path).map(b -> b.length));
    }
  }
}
