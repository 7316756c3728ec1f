package dev.quill.mail.mime;

import java.nio.charset.StandardCharsets;

/** Real-world shaped messages for the MIME tests, written for these tests; LF in the text blocks becomes CRLF. */
final class Fixtures {
  private Fixtures() {}

  /** A text block with CRLF line ends, as UTF-8 bytes. */
  static byte[] crlf(String text) {
    return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static final byte[] SIMPLE = crlf("""
      Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
      From: Fred Foobar <foobar@Blurdybloop.example>
      Subject: afternoon meeting
      To: mooch@owatagu.siam.edu.example
      Message-Id: <B27397-0100000@Blurdybloop.example>
      MIME-Version: 1.0
      Content-Type: TEXT/PLAIN; CHARSET=US-ASCII

      Hello Joe, do you think we can meet at 3:30 tomorrow?
      """);

  static final byte[] ALTERNATIVE = crlf("""
      From: "Doe, Jane" <jane@example.org>
      To: bob@example.com
      Cc: Carol <carol@example.net>, dave@example.net
      Subject: Lunch
      Date: Tue, 1 Apr 2025 12:00:00 +0200
      Message-ID: <alt-1@example.org>
      In-Reply-To: <prev@example.com>
      MIME-Version: 1.0
      Content-Type: multipart/alternative; boundary="b1"

      This is a multi-part message in MIME format.
      --b1
      Content-Type: text/plain; charset=utf-8
      Content-Transfer-Encoding: 7bit

      Shall we have lunch?
      --b1
      Content-Type: text/html; charset=utf-8

      <html><body><p>Shall we have <b>lunch</b>?</p><script>var secret = 1;</script></body></html>
      --b1--
      """);

  static final byte[] MIXED_BASE64 = crlf("""
      From: alice@example.org
      To: bob@example.com
      Subject: report
      Date: 2 Apr 2025 08:15 GMT
      MIME-Version: 1.0
      Content-Type: multipart/mixed; boundary="==outer=="

      --==outer==
      Content-Type: text/plain

      See attached.
      --==outer==
      Content-Type: application/pdf; name="report.pdf"
      Content-Disposition: attachment; filename="report.pdf"
      Content-Transfer-Encoding: base64
      Content-ID: <part2@example.org>
      Content-Description: The report
      Content-Language: en, de
      Content-Location: http://example.org/report.pdf

      JVBERi0xLjQK
      SGVsbG8gd29y
      bGQ=
      --==outer==--
      epilogue
      """);

  static final byte[] NESTED_RFC822 = crlf("""
      From: fwd@example.org
      To: list@example.com
      Subject: Fwd: hello
      MIME-Version: 1.0
      Content-Type: multipart/mixed; boundary=outer

      --outer
      Content-Type: text/plain; charset=us-ascii

      Forwarded below.
      --outer
      Content-Type: message/rfc822

      From: Orig Sender <orig@example.net>
      To: fwd@example.org
      Subject: hello
      Date: Wed, 3 Apr 2025 10:00:00 -0500
      Content-Type: multipart/alternative; boundary=inner

      --inner
      Content-Type: text/plain

      inner plain
      --inner
      Content-Type: text/enriched

      inner enriched
      --inner--

      --outer--
      """);

  static final byte[] QP_LATIN1 = concat(crlf("""
      From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
      To: Keld =?iso-8859-1?q?J=F8rn_Simonsen?= <keld@dkuug.dk>
      Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
       =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
      MIME-Version: 1.0
      Content-Type: text/plain; charset=iso-8859-1
      Content-Transfer-Encoding: quoted-printable

      Caf=E9 cr=E8me br=FBl=E9e, tr=E8s =
      bien.
      """), "Na\u00efve: ".getBytes(StandardCharsets.ISO_8859_1), crlf("raw 8-bit line\n"));

  static final byte[] RFC2231 = crlf("""
      From: a@example.org
      Subject: params
      MIME-Version: 1.0
      Content-Type: application/x-stuff;
       title*0*=us-ascii'en'This%20is%20even%20more%20;
       title*1*=%2A%2A%2Afun%2A%2A%2A%20;
       title*2="isn't it!"
      Content-Disposition: attachment; filename="fallback.txt";
       filename*=UTF-8''%E2%82%AC%20rates.txt

      data
      """);

  static final byte[] UTF8_HEADERS = crlf("""
      From: Jörg Müller <joerg@example.de>
      To: "Zoë" <zoe@example.com>
      Subject: Grüße aus Köln
      Date: Thu, 4 Apr 2025 09:30:00 +0100
      MIME-Version: 1.0
      Content-Type: text/plain; charset=utf-8
      Content-Transfer-Encoding: 8bit

      Schöne Grüße! ΣΊΣΥΦΟΣ
      """);

  static final byte[] GROUPS = crlf("""
      From: Pete <pete@silly.example>
      To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
      Cc: Undisclosed recipients:;
      Bcc: "quoted \\"name\\"" <@route1,@route2:user@host.test>
      Subject: groups
      Date: Thu, 13 Feb 1969 23:32:54 -0330

      body
      """);

  static final byte[] MISSING_HEADERS = crlf("""
      X-Only: nothing useful

      just text
      """);

  static final byte[] MALFORMED_BOUNDARY = crlf("""
      From: x@example.org
      Subject: broken
      Content-Type: multipart/mixed; boundary="missing"

      --wrong
      Content-Type: text/plain

      the boundary never comes
      """);

  static final byte[] UNCLOSED = crlf("""
      Subject: unclosed
      Content-Type: multipart/mixed; boundary=b

      --b
      no header line here
      --b
      Content-Type: text/plain; charset=utf-8

      last part, no close delimiter
      """);

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
