package dev.quill.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmtpConfigTest {

  @Test
  void defaults_rfcLimitsAndTimeouts() {
    SmtpConfig c = SmtpConfig.defaults("mx.test");
    assertThat(c.mode()).isEqualTo(SmtpConfig.Mode.RELAY_IN);
    assertThat(c.maxMessageSize()).isEqualTo(50L * 1024 * 1024);
    assertThat(c.maxRecipients()).isEqualTo(100);
    assertThat(c.commandLineLimit()).isEqualTo(512);
    assertThat(c.textLineLimit()).isEqualTo(1000);
    assertThat(c.commandTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.dataBlockTimeout()).isEqualTo(Duration.ofMinutes(3));
    assertThat(c.dataTerminationTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.pregreetWait()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.maxErrors()).isEqualTo(20);
    assertThat(c.allowPlaintextAuthOnLoopback()).isTrue();
  }

  @Test
  void submissionDefaults_submissionModeWithoutPregreet() {
    SmtpConfig c = SmtpConfig.submissionDefaults("mx.test");
    assertThat(c.isSubmission()).isTrue();
    assertThat(c.pregreetWait()).isZero();
  }

  @Test
  void with_changesOneField() {
    SmtpConfig c = SmtpConfig.defaults("mx.test").withMaxRecipients(7);
    assertThat(c.maxRecipients()).isEqualTo(7);
    assertThat(c).isEqualTo(SmtpConfig.defaults("mx.test").withMaxRecipients(7));
    assertThat(c.withMaxRecipients(100)).isEqualTo(SmtpConfig.defaults("mx.test"));
  }

  @Test
  void invalidValues_rejectedNamingFieldAndValue() {
    assertThatThrownBy(() -> SmtpConfig.defaults("mx.test").withCommandLineLimit(100))
        .hasMessageContaining("smtp.commandLineLimit 100");
    assertThatThrownBy(() -> SmtpConfig.defaults("mx.test").withTextLineLimit(80))
        .hasMessageContaining("smtp.textLineLimit 80");
    assertThatThrownBy(() -> SmtpConfig.defaults("mx.test").withCommandTimeout(Duration.ZERO))
        .hasMessageContaining("smtp.commandTimeout");
    assertThatThrownBy(() -> SmtpConfig.defaults("mx test")).hasMessageContaining("smtp.hostname");
    assertThatThrownBy(() -> SmtpConfig.defaults("mx.test").withPregreetWait(Duration.ofMillis(-1)))
        .hasMessageContaining("smtp.pregreetWait");
  }

  @Test
  void textLineLimitZero_meansUnlimited() {
    assertThat(SmtpConfig.defaults("mx.test").withTextLineLimit(0).textLineLimit()).isZero();
  }
}
