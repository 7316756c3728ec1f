package dev.quill.bench;

import java.util.List;

/** One SMTP reply (RFC 5321 §4.2): the three-digit code and its text lines without the code prefix. */
record SmtpReply(int code, List<String> lines) {
  boolean isPositive() {
    return code >= 200 && code < 300;
  }

  /** First line as the server sent it, capped at 100 characters, for error reports. */
  String summary() {
    String first = lines.isEmpty() ? "" : lines.getFirst();
    String s = code + " " + first;
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
