package dev.quill.mail.smtp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {

  @Test
  void lines_singleLineWithEnhancedCode_rendered() {
    assertThat(SmtpReplies.NEED_MAIL_BEFORE_RCPT.lines()).containsExactly("503 5.5.1 Need MAIL before RCPT");
  }

  @Test
  void lines_multiLine_dashesThenSpace() {
    var reply = new SmtpReply(250, null, List.of("mx.example", "PIPELINING", "SIZE 10"));
    assertThat(reply.lines()).containsExactly("250-mx.example", "250-PIPELINING", "250 SIZE 10");
  }

  @Test
  void lines_multiLineWithEnhanced_codeOnEveryLine() {
    assertThat(SmtpReplies.HELP.lines()).allMatch(l -> l.matches("214[- ]2\\.0\\.0 .*"));
  }

  @Test
  void constructor_badCode_rejected() {
    assertThatThrownBy(() -> SmtpReply.plain(99, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SmtpReply(250, null, List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void logText_controlAndLongText_escapedAndCapped() {
    assertThat(LogText.escape("a\r\nb\u0000")).isEqualTo("a\\x0d\\x0ab\\x00");
    assertThat(LogText.escape("x".repeat(150))).isEqualTo("x".repeat(100) + "...");
    assertThat(LogText.escape("x".repeat(100))).isEqualTo("x".repeat(100));
    assertThat(LogText.escape(null)).isEmpty();
  }
}
