package dev.quill.mail.mime;

import static dev.quill.mail.mime.Fixtures.crlf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.mail.mime.SectionSpec.Kind;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden tests: exact ENVELOPE and BODYSTRUCTURE values, sections and BINARY of hand-written messages. */
class MessageAnalysisTest {

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static String section(byte[] message, Kind kind, List<String> fields, int... part) {
    return s(MessageAnalysis.analyze(message).section(message, new SectionSpec(part, kind, fields)));
  }

  private static String section(byte[] message, Kind kind, int... part) {
    return section(message, kind, List.of(), part);
  }

  @Test
  void simpleText_envelopeAndBodyLikeRfc9051Example() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.SIMPLE);
    assertThat(s(a.envelope())).isEqualTo("(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\""
        + " ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\"))"
        + " ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) ((NIL NIL \"mooch\" \"owatagu.siam.edu.example\"))"
        + " NIL NIL NIL \"<B27397-0100000@Blurdybloop.example>\")");
    assertThat(s(a.bodyStructure(false))).isEqualTo("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1)");
    assertThat(s(a.bodyStructure(true))).isEqualTo("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1 NIL NIL NIL NIL)");
    assertThat(a.sentDate()).contains(ZonedDateTime.parse("1994-02-07T21:52:25-08:00"));
  }

  @Test
  void alternative_multipartWithExtensionData() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.ALTERNATIVE);
    assertThat(s(a.bodyStructure(false))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 20 1)"
        + "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 92 1) \"alternative\")");
    assertThat(s(a.bodyStructure(true))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL)"
        + "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 92 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b1\") NIL NIL NIL)");
    assertThat(s(a.envelope())).contains("((\"Doe, Jane\" NIL \"jane\" \"example.org\"))")
        .contains("((\"Carol\" NIL \"carol\" \"example.net\")(NIL NIL \"dave\" \"example.net\"))")
        .endsWith(" NIL \"<prev@example.com>\" \"<alt-1@example.org>\")");
  }

  @Test
  void mixedWithBase64Attachment_allPartFields() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.MIXED_BASE64);
    assertThat(s(a.bodyStructure(true))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 13 1 NIL NIL NIL NIL)"
        + "(\"application\" \"pdf\" (\"name\" \"report.pdf\") \"<part2@example.org>\" \"The report\" \"base64\" 32 NIL"
        + " (\"attachment\" (\"filename\" \"report.pdf\")) (\"en\" \"de\") \"http://example.org/report.pdf\")"
        + " \"mixed\" (\"boundary\" \"==outer==\") NIL NIL NIL)");
    assertThat(a.binary(Fixtures.MIXED_BASE64, new int[] {2})).hasValueSatisfying(
        b -> assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo("%PDF-1.4\nHello world"));
    assertThat(a.binary(Fixtures.MIXED_BASE64, new int[] {1})).hasValueSatisfying(b -> assertThat(s(b)).isEqualTo("See attached."));
    assertThat(section(Fixtures.MIXED_BASE64, Kind.ALL, 2)).isEqualTo("JVBERi0xLjQK\r\nSGVsbG8gd29y\r\nbGQ=");
  }

  @Test
  void nestedRfc822_structureNests() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.NESTED_RFC822);
    assertThat(s(a.bodyStructure(false))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 16 1)"
        + "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 285"
        + " (\"Wed, 3 Apr 2025 10:00:00 -0500\" \"hello\" ((\"Orig Sender\" NIL \"orig\" \"example.net\"))"
        + " ((\"Orig Sender\" NIL \"orig\" \"example.net\")) ((\"Orig Sender\" NIL \"orig\" \"example.net\"))"
        + " ((NIL NIL \"fwd\" \"example.org\")) NIL NIL NIL NIL)"
        + " ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 11 1)"
        + "(\"text\" \"enriched\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 14 1) \"alternative\") 15) \"mixed\")");
  }

  @Test
  void nestedRfc822_sectionsFollowRfc9051PartNumbers() {
    byte[] m = Fixtures.NESTED_RFC822;
    assertThat(section(m, Kind.ALL, 1)).isEqualTo("Forwarded below.");
    assertThat(section(m, Kind.MIME, 1)).isEqualTo("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    assertThat(section(m, Kind.MIME, 2)).isEqualTo("Content-Type: message/rfc822\r\n\r\n");
    assertThat(section(m, Kind.ALL, 2)).startsWith("From: Orig Sender <orig@example.net>\r\n").endsWith("--inner--\r\n");
    assertThat(section(m, Kind.HEADER, 2)).startsWith("From: Orig Sender").endsWith("boundary=inner\r\n\r\n");
    assertThat(section(m, Kind.TEXT, 2)).startsWith("--inner\r\n").endsWith("--inner--\r\n");
    assertThat(section(m, Kind.HEADER_FIELDS, List.of("SUBJECT"), 2)).isEqualTo("Subject: hello\r\n\r\n");
    assertThat(section(m, Kind.ALL, 2, 1)).isEqualTo("inner plain");
    assertThat(section(m, Kind.ALL, 2, 2)).isEqualTo("inner enriched");
    assertThat(section(m, Kind.MIME, 2, 1)).isEqualTo("Content-Type: text/plain\r\n\r\n");
    assertThat(section(m, Kind.ALL, 2, 3)).isEmpty();
    assertThat(section(m, Kind.ALL, 3)).isEmpty();
    assertThat(section(m, Kind.ALL, 1, 1)).isEmpty();
    assertThat(section(m, Kind.HEADER, 1)).isEmpty();
    assertThat(section(m, Kind.ALL, 0)).isEmpty();
    assertThat(section(m, Kind.MIME)).isEmpty();
  }

  @Test
  void topLevelSections() {
    byte[] m = Fixtures.NESTED_RFC822;
    assertThat(section(m, Kind.ALL)).isEqualTo(s(m));
    assertThat(section(m, Kind.HEADER)).startsWith("From: fwd@example.org\r\n").endsWith("boundary=outer\r\n\r\n");
    assertThat(section(m, Kind.TEXT)).startsWith("--outer\r\n").endsWith("--outer--\r\n");
    assertThat(section(m, Kind.HEADER_FIELDS, List.of("subject", "FROM")))
        .isEqualTo("From: fwd@example.org\r\nSubject: Fwd: hello\r\n\r\n");
    assertThat(section(m, Kind.HEADER_FIELDS_NOT, List.of("subject", "from", "mime-version", "content-type")))
        .isEqualTo("To: list@example.com\r\n\r\n");
    assertThat(section(m, Kind.HEADER_FIELDS, List.of("x-absent"))).isEqualTo("\r\n");
  }

  @Test
  void headerFields_keepFoldedLines() {
    assertThat(section(Fixtures.QP_LATIN1, Kind.HEADER_FIELDS, List.of("Subject")))
        .isEqualTo("Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
            + " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\r\n\r\n");
  }

  @Test
  void singlePartMessage_partOneIsItsBody() {
    byte[] m = Fixtures.SIMPLE;
    String body = "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assertThat(section(m, Kind.ALL, 1)).isEqualTo(body);
    assertThat(section(m, Kind.TEXT)).isEqualTo(body);
    assertThat(section(m, Kind.MIME, 1)).isEqualTo(section(m, Kind.HEADER)).endsWith("CHARSET=US-ASCII\r\n\r\n");
    assertThat(section(m, Kind.ALL, 2)).isEmpty();
    assertThat(section(m, Kind.ALL, 1, 1)).isEmpty();
  }

  @Test
  void quotedPrintableLatin1_binaryDecodes_envelopeKeepsEncodedWords() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.QP_LATIN1);
    assertThat(a.binary(Fixtures.QP_LATIN1, new int[] {1})).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.ISO_8859_1))
        .isEqualTo("Café crème brûlée, très bien.\r\nNaïve: raw 8-bit line\r\n"));
    assertThat(s(a.envelope())).contains("((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" NIL \"PIRARD\" \"vm1.ulg.ac.be\"))")
        .contains("\"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\"");
    assertThat(s(a.bodyStructure(false))).isEqualTo("(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"quoted-printable\" 67 3)");
  }

  @Test
  void rfc2231_continuationsJoined_extendedFormKept() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.RFC2231);
    assertThat(s(a.bodyStructure(true))).isEqualTo("(\"application\" \"x-stuff\""
        + " (\"title*\" \"us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!\") NIL NIL \"7BIT\" 6 NIL"
        + " (\"attachment\" (\"filename\" \"fallback.txt\" \"filename*\" \"UTF-8''%E2%82%AC%20rates.txt\")) NIL NIL)");
  }

  @Test
  void rfc2231_plainContinuations_joinedUnderBaseName() {
    byte[] m = crlf("Content-Type: text/plain; charset=utf-8; name*0=\"long \"; name*1=name.txt\n\nx\n");
    assertThat(s(MessageAnalysis.analyze(m).bodyStructure(false)))
        .isEqualTo("(\"text\" \"plain\" (\"charset\" \"utf-8\" \"name\" \"long name.txt\") NIL NIL \"7BIT\" 3 1)");
  }

  @Test
  void utf8Headers_sentAsLiterals() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.UTF8_HEADERS);
    assertThat(s(a.envelope())).isEqualTo("(\"Thu, 4 Apr 2025 09:30:00 +0100\" {17}\r\nGrüße aus Köln"
        + " (({13}\r\nJörg Müller NIL \"joerg\" \"example.de\")) (({13}\r\nJörg Müller NIL \"joerg\" \"example.de\"))"
        + " (({13}\r\nJörg Müller NIL \"joerg\" \"example.de\")) (({4}\r\nZoë NIL \"zoe\" \"example.com\")) NIL NIL NIL NIL)");
    ImapSyntax.checkEnvelope(ImapSyntax.parse(a.envelope()));
  }

  @Test
  void groups_rfc9051GroupSyntax_routeAsAdl() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.GROUPS);
    assertThat(s(a.envelope())).isEqualTo("(\"Thu, 13 Feb 1969 23:32:54 -0330\" \"groups\""
        + " ((\"Pete\" NIL \"pete\" \"silly.example\")) ((\"Pete\" NIL \"pete\" \"silly.example\")) ((\"Pete\" NIL \"pete\" \"silly.example\"))"
        + " ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL))"
        + " ((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL))"
        + " ((\"quoted \\\"name\\\"\" \"@route1,@route2\" \"user\" \"host.test\")) NIL NIL)");
  }

  @Test
  void addresses_obsoleteAndOddForms() {
    assertThat(AddressParser.parse("user@host (Real Name)")).containsExactly(new Envelope.Address("Real Name", null, "user", "host"));
    assertThat(AddressParser.parse("John Q. Public <jqp@x.test>, , bare"))
        .containsExactly(new Envelope.Address("John Q. Public", null, "jqp", "x.test"), new Envelope.Address(null, null, "bare", ""));
    assertThat(AddressParser.parse("\"john doe\"@x.test")).containsExactly(new Envelope.Address(null, null, "\"john doe\"", "x.test"));
    assertThat(AddressParser.parse("<>")).containsExactly(new Envelope.Address(null, null, "", ""));
    assertThat(AddressParser.parse("")).isEmpty();
    assertThat(AddressParser.parse("g: a@b")).containsExactly(Envelope.Address.groupStart("g"),
        new Envelope.Address(null, null, "a", "b"), Envelope.Address.GROUP_END);
  }

  @Test
  void missingHeaders_allNil_defaultContentType() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.MISSING_HEADERS);
    assertThat(s(a.envelope())).isEqualTo("(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    assertThat(s(a.bodyStructure(false))).isEqualTo("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 11 1)");
    assertThat(a.sentDate()).isEmpty();
  }

  @Test
  void emptySenderAndReplyTo_defaultToFrom() {
    byte[] m = crlf("From: a@b.test\nSender:\nReply-To: \n\nx");
    assertThat(s(MessageAnalysis.analyze(m).envelope()))
        .isEqualTo("(NIL NIL ((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) NIL NIL NIL NIL NIL)");
  }

  @Test
  void boundaryNeverFound_oneTextChildOverTheBody() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.MALFORMED_BOUNDARY);
    assertThat(s(a.bodyStructure(false))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 63 4) \"mixed\")");
    assertThat(section(Fixtures.MALFORMED_BOUNDARY, Kind.ALL, 1)).startsWith("--wrong\r\n").endsWith("never comes\r\n");
  }

  @Test
  void unclosedMultipart_headerlessFirstPart_lastPartRunsToTheEnd() {
    MessageAnalysis a = MessageAnalysis.analyze(Fixtures.UNCLOSED);
    assertThat(s(a.bodyStructure(false))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 19 1)"
        + "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 31 1) \"mixed\")");
    assertThat(section(Fixtures.UNCLOSED, Kind.ALL, 1)).isEqualTo("no header line here");
    assertThat(section(Fixtures.UNCLOSED, Kind.MIME, 1)).isEmpty();
    assertThat(section(Fixtures.UNCLOSED, Kind.ALL, 2)).isEqualTo("last part, no close delimiter\r\n");
  }

  @Test
  void boundaryPrefixOfAnotherLine_notADelimiter() {
    byte[] m = crlf("Content-Type: multipart/mixed; boundary=ab\n\n--ab\n\n--abc is text\n--ab--\n");
    assertThat(section(m, Kind.ALL, 1)).isEqualTo("--abc is text");
  }

  @Test
  void digest_defaultsChildrenToRfc822() {
    byte[] m = crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n");
    MessageAnalysis a = MessageAnalysis.analyze(m);
    assertThat(s(a.bodyStructure(false))).startsWith("((\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 21 (NIL \"one\"");
    assertThat(section(m, Kind.HEADER_FIELDS, List.of("subject"), 1)).isEqualTo("Subject: one\r\n\r\n");
  }

  @Test
  void bareLfMessage_analysedAsWell() {
    byte[] m = "Subject: lf\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n"
        .getBytes(StandardCharsets.US_ASCII);
    MessageAnalysis a = MessageAnalysis.analyze(m);
    assertThat(s(a.bodyStructure(false))).isEqualTo("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 2 1) \"mixed\")");
    assertThat(section(m, Kind.ALL, 1)).isEqualTo("hi");
  }

  @Test
  void binary_unknownEncoding_empty_identityEncodings_raw() {
    byte[] m = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n");
    assertThat(MessageAnalysis.analyze(m).binary(m, new int[] {1})).isEmpty();
    assertThat(MessageAnalysis.analyze(Fixtures.UTF8_HEADERS).binary(Fixtures.UTF8_HEADERS, new int[] {1}))
        .hasValueSatisfying(b -> assertThat(s(b)).isEqualTo("Schöne Grüße! ΣΊΣΥΦΟΣ\r\n"));
    assertThat(MessageAnalysis.analyze(m).binary(m, new int[] {4})).hasValueSatisfying(b -> assertThat(b).isEmpty());
  }

  @Test
  void binary_lenientBase64_ignoresGarbageAndWhitespace() {
    byte[] m = crlf("Content-Transfer-Encoding: BASE64\n\naGVs*bG8g\n d29y!bGQ=\n");
    assertThat(MessageAnalysis.analyze(m).binary(m, new int[] {1}))
        .hasValueSatisfying(b -> assertThat(s(b)).isEqualTo("hello world"));
  }

  @Test
  void decode_roundTripsTheStructure() {
    for (byte[] m : List.of(Fixtures.SIMPLE, Fixtures.NESTED_RFC822, Fixtures.UTF8_HEADERS, Fixtures.GROUPS, Fixtures.RFC2231)) {
      MessageAnalysis a = MessageAnalysis.analyze(m);
      MessageAnalysis b = MessageAnalysis.decode(a.toDerived().structure());
      assertThat(b.envelope()).isEqualTo(a.envelope());
      assertThat(b.bodyStructure(true)).isEqualTo(a.bodyStructure(true));
      assertThat(b.section(m, new SectionSpec(new int[] {2, 1}, Kind.MIME, List.of())))
          .isEqualTo(a.section(m, new SectionSpec(new int[] {2, 1}, Kind.MIME, List.of())));
      assertThat(b.sentDate()).isEqualTo(a.sentDate());
    }
  }

  @Test
  void decode_rejectsForeignBytes() {
    assertThatThrownBy(() -> MessageAnalysis.decode(new byte[] {9, 1, 2})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version 9");
    assertThatThrownBy(() -> MessageAnalysis.decode(new byte[] {1, 1})).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageAnalysis.decode(MessageAnalysis.analyze(Fixtures.SIMPLE).toDerived().structure()).toDerived())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sentDate_obsoleteAndSloppyForms() {
    assertThat(DateParser.parse("Fri, 21 Nov 97 09:55:06 GMT")).contains(ZonedDateTime.parse("1997-11-21T09:55:06Z"));
    assertThat(DateParser.parse("21 Nov 1997 09:55 EST")).contains(ZonedDateTime.parse("1997-11-21T09:55-05:00"));
    assertThat(DateParser.parse("Mon Jan  2 15:04:05 2006")).contains(ZonedDateTime.parse("2006-01-02T15:04:05Z"));
    assertThat(DateParser.parse("Thu,\r\n 13 Feb 1969 23:32 -0330 (Newfoundland Time)"))
        .contains(ZonedDateTime.parse("1969-02-13T23:32-03:30"));
    assertThat(DateParser.parse("1-Jan-2024 10:00:00 +0000")).contains(ZonedDateTime.parse("2024-01-01T10:00Z"));
    assertThat(DateParser.parse("31 Feb 2025 10:00 +0000")).isEmpty();
    assertThat(DateParser.parse("yesterday")).isEmpty();
    assertThat(DateParser.parse(null)).isEmpty();
  }
}
