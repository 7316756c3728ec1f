package dev.quill.security.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;

/**
 * One audit log record as stored: one line of tab-separated, escaped fields
 *
 * <pre>
 * v1 TAB seq TAB time TAB node TAB subject TAB object TAB name TAB permission TAB decision TAB reason TAB dropped TAB prev TAB hash LF
 * </pre>
 *
 * where {@code hash} is the lower-case hex SHA-256 of {@code prev}, a tab and the bytes of the line
 * before {@code TAB prev} (its <em>canonical bytes</em>), and {@code prev} is the previous
 * record's hash (64 zeros for the first record). In the fields, backslash, tab, CR, LF, other
 * control characters and surrogates are escaped as {@code \\ \t \r \n \\uXXXX}.
 *
 * @param seq 1 for the first record of a node's log, then one more per record, across files
 * @param dropped how many events were dropped (queue full) just before this record
 */
public record AuditRecord(long seq, Instant time, String node, String subject, String object, String name,
                          String permission, String decision, String reason, long dropped, String prev, String hash) {
  /** The {@code prev} of the first record. */
  public static final String GENESIS = "0".repeat(64);
  /** Longest text kept of one field; longer text is cut, so records stay bounded. */
  static final int MAX_FIELD = 512;
  /** Longest stored line accepted when reading. */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private static final String FORMAT = "v1";
  private static final int FIELDS = 13;
  private static final HexFormat HEX = HexFormat.of();

  /** The canonical bytes of a record with these fields (what the hash covers, with prev). */
  static byte[] canonical(long seq, Instant time, String node, AuditEvent e, long dropped) {
    StringBuilder b = new StringBuilder(256);
    b.append(FORMAT).append('\t').append(seq).append('\t').append(time).append('\t');
    for (String field : new String[] {node, e.subject(), e.object(), e.name(), e.permission(), e.decision(), e.reason()}) {
      escape(b, field);
      b.append('\t');
    }
    b.append(dropped);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The hash chaining {@code canonical} to {@code prev}. */
  static String hash(String prev, byte[] canonical, int length) {
    MessageDigest sha = sha256();
    sha.update(prev.getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) '\t');
    sha.update(canonical, 0, length);
    return HEX.formatHex(sha.digest());
  }

  /** The whole stored line for canonical bytes, prev and hash, LF included. */
  static byte[] line(byte[] canonical, String prev, String hash) {
    byte[] tail = ("\t" + prev + "\t" + hash + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[canonical.length + tail.length];
    System.arraycopy(canonical, 0, out, 0, canonical.length);
    System.arraycopy(tail, 0, out, canonical.length, tail.length);
    return out;
  }

  /**
   * Parses one stored line (without its LF) and checks that its hash matches its bytes.
   *
   * @throws IllegalArgumentException naming what is wrong: malformed, or edited (hash mismatch)
   */
  static AuditRecord parse(byte[] line, int length) {
    // prev and hash are the last two fields and are plain hex, so the canonical bytes end at the
    // second-to-last tab.
    int last = lastTab(line, length);
    int secondLast = last <= 0 ? -1 : lastTab(line, last);
    if (secondLast < 0) {
      throw new IllegalArgumentException("malformed record: fewer than " + FIELDS + " fields");
    }
    String text = new String(line, 0, length, StandardCharsets.UTF_8);
    String[] f = text.split("\t", -1);
    if (f.length != FIELDS || !f[0].equals(FORMAT)) {
      throw new IllegalArgumentException("malformed record: " + f.length + " fields (expected " + FIELDS + ")"
          + (f[0].equals(FORMAT) ? "" : " or unknown format '" + cut(f[0]) + "'"));
    }
    String prev = f[11];
    String hash = f[12];
    if (!isHash(prev) || !isHash(hash)) {
      throw new IllegalArgumentException("malformed record: prev or hash is not 64 hex digits");
    }
    AuditRecord r;
    try {
      r = new AuditRecord(Long.parseLong(f[1]), Instant.parse(f[2]), unescape(f[3]), unescape(f[4]), unescape(f[5]),
          unescape(f[6]), unescape(f[7]), unescape(f[8]), unescape(f[9]), Long.parseLong(f[10]), prev, hash);
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException("malformed record: " + e.getMessage());
    }
    if (!hash(prev, line, secondLast).equals(hash)) {
      throw new EditedException("record #" + r.seq() + " was altered: its hash does not match its content");
    }
    return r;
  }

  /** A record whose content does not match its hash. */
  static final class EditedException extends IllegalArgumentException {
    EditedException(String message) {
      super(message);
    }
  }

  private static int lastTab(byte[] line, int end) {
    for (int i = end - 1; i >= 0; i--) {
      if (line[i] == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static boolean isHash(String s) {
    if (s.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static String cut(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "…" : s;
  }

  private static void escape(StringBuilder b, String s) {
    int n = Math.min(s.length(), MAX_FIELD);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> {
          if (Character.isISOControl(c) || Character.isSurrogate(c)) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
  }

  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 == s.length()) {
        b.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case 't' -> b.append('\t');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 'u' -> {
          if (i + 4 >= s.length()) {
            throw new IllegalArgumentException("malformed record: bad \\u escape");
          }
          b.append((char) Integer.parseInt(s, i + 1, i + 5, 16));
          i += 4;
        }
        default -> b.append(e);
      }
    }
    return b.toString();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * One line for people: {@code #seq time node subject object name permission -> decision (reason)},
   * with control characters escaped so that a hostile name cannot drive the reader's terminal.
   */
  public String display() {
    StringBuilder b = new StringBuilder(200).append('#').append(seq).append(' ').append(time).append(' ');
    for (String field : new String[] {node, subject, object, name, permission}) {
      if (!field.isEmpty()) {
        escape(b, field);
        b.append(' ');
      }
    }
    b.append("-> ");
    escape(b, decision);
    b.append(" (");
    escape(b, reason);
    b.append(')');
    if (dropped > 0) {
      b.append(" [").append(dropped).append(" dropped before]");
    }
    return b.toString();
  }
}
