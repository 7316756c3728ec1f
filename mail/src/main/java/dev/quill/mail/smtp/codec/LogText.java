package dev.quill.mail.smtp.codec;

/** Makes client-supplied text safe for one log line: printable ASCII only, capped in length. */
public final class LogText {
  private LogText() {}

  /** The usual cap for client text in logs. */
  public static final int MAX = 100;

  /**
   * Escapes control and non-ASCII characters as {@code \xNN} / {@code \\uNNNN} and caps the
   * result at {@code max} characters, marking a cut with "...".
   */
  public static String escape(String s, int max) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
    int i = 0;
    for (; i < s.length() && sb.length() < max; i++) {
      char ch = s.charAt(i);
      if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
        sb.append(ch);
      } else if (ch == '\\') {
        sb.append("\\\\");
      } else if (ch < 0x100) {
        sb.append(String.format("\\x%02x", (int) ch));
      } else {
        sb.append(String.format("\\u%04x", (int) ch));
      }
    }
    if (i < s.length()) {
      sb.setLength(Math.min(sb.length(), max));
      sb.append("...");
    }
    return sb.toString();
  }

  /** {@link #escape(String, int)} with the usual cap. */
  public static String escape(String s) {
    return escape(s, MAX);
  }
}
