package dev.quill.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static final NodeConfig D = NodeConfig.defaults();

  @Test
  void emptyFile_keepsDefaults() {
    assertThat(ConfigLoader.parse("q.toml", "", D)).isEqualTo(D);
  }

  @Test
  void values_overrideDefaults() {
    NodeConfig c = ConfigLoader.parse("q.toml", """
        hostname = "mx.example.test"
        data = "/var/lib/quill"
        [smtp]
        port = 25
        max_message_size = "10M"
        idle_timeout = "90s"
        [pop3]
        port = 110
        [auth]
        failure_delay = "500ms"
        """, D);
    assertThat(c.hostname()).isEqualTo("mx.example.test");
    assertThat(c.data()).isEqualTo(Path.of("/var/lib/quill"));
    assertThat(c.smtp().port()).isEqualTo(25);
    assertThat(c.smtp().maxMessageSize()).isEqualTo(10L << 20);
    assertThat(c.smtp().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.smtp().maxRecipients()).isEqualTo(D.smtp().maxRecipients());
    assertThat(c.pop3().port()).isEqualTo(110);
    assertThat(c.auth().failureDelay()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void imapHeaderCacheSize_defaultsTo64M_setWithAUnit_zeroTurnsItOff() {
    assertThat(D.imap().headerCacheSize()).isEqualTo(64L << 20);
    NodeConfig c = ConfigLoader.parse("q.toml", "[imap]\nheader_cache_size = \"16M\"\n", D);
    assertThat(c.imap().headerCacheSize()).isEqualTo(16L << 20);
    assertThat(ConfigLoader.parse("q.toml", "[imap]\nheader_cache_size = 0\n", D).imap().headerCacheSize()).isZero();
  }

  @Test
  void clusterKeyRotation_offByDefault_setAsADuration_zeroTurnsItOff_badValueRefused() {
    assertThat(D.cluster().keyRotation()).isEqualTo(java.time.Duration.ofHours(24));
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nkey_rotation = \"24h\"\n", D).cluster().keyRotation())
        .isEqualTo(Duration.ofHours(24));
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nkey_rotation = \"0\"\n", D).cluster().keyRotation()).isZero();
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[cluster]\nkey_rotation = \"daily\"\n", D))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("q.toml:2: cluster.key_rotation");
  }

  @Test
  void storeMinFreeSpace_defaultsTo256M_setWithAUnit_zeroTurnsItOff_badValueRefused() {
    assertThat(D.store().minFreeSpace()).isEqualTo(256L << 20);
    assertThat(ConfigLoader.parse("q.toml", "[store]\nmin_free_space = \"1G\"\n", D).store().minFreeSpace())
        .isEqualTo(1L << 30);
    assertThat(ConfigLoader.parse("q.toml", "[store]\nmin_free_space = 0\n", D).store().minFreeSpace()).isZero();
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[store]\nmin_free_space = \"lots\"\n", D))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("q.toml:2: store.min_free_space")
        .hasMessageContaining("not a size");
  }

  @Test
  void portOutOfRange_refusedWithLineAndKey() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "\n[smtp]\nport = 70000\n", D))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("q.toml:3: smtp.port")
        .hasMessageContaining("70000");
  }

  @Test
  void unknownKey_refusedNamingKnownKeys() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[smtp]\nprot = 25\n", D))
        .hasMessageContaining("q.toml:2: smtp.prot")
        .hasMessageContaining("unknown key")
        .hasMessageContaining("port");
  }

  @Test
  void unknownSection_refused() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[imapp]\nport = 1\n", D))
        .hasMessageContaining("q.toml:1")
        .hasMessageContaining("unknown section [imapp]");
  }

  @Test
  void badDuration_refusedWithTheForms() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[smtp]\n\nidle_timeout = \"soon\"\n", D))
        .hasMessageContaining("q.toml:3: smtp.idle_timeout")
        .hasMessageContaining("not a duration");
  }

  @Test
  void wrongType_refused() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[auth]\nallow_plaintext_on_loopback = \"yes\"\n", D))
        .hasMessageContaining("q.toml:2: auth.allow_plaintext_on_loopback")
        .hasMessageContaining("true or false");
  }

  @Test
  void passwordHashTimeBelowFloor_refused() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[auth]\npassword_hash_time = \"1ms\"\n", D))
        .hasMessageContaining("at least 50ms");
  }

  @Test
  void certificateWithoutKey_refused() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[tls]\ncertificate = \"/etc/c.pem\"\n", D))
        .hasMessageContaining("tls.certificate and tls.private_key go together");
  }

  @Test
  void invalidToml_refusedWithLine() {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "hostname = \"a\"\n[smtp\n", D))
        .hasMessageContaining("q.toml:")
        .hasMessageContaining("not valid TOML");
  }

  @Property(tries = 300)
  void anyText_isParsedOrRefusedWithConfigException(@ForAll String text) {
    try {
      ConfigLoader.parse("q.toml", text, D);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("q.toml");
    }
  }

  @Test
  void sizes_andDurations_parse() {
    assertThat(DataSize.parse("4K").bytes()).isEqualTo(4096);
    assertThat(DataSize.parse("50MB").bytes()).isEqualTo(50L << 20);
    assertThat(DataSize.parse("123").bytes()).isEqualTo(123);
    assertThatThrownBy(() -> DataSize.parse("-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataSize.parse("99999999999G")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Durations.parse("300ms")).isEqualTo(Duration.ofMillis(300));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    assertThatThrownBy(() -> Durations.parse("5 minutes")).isInstanceOf(IllegalArgumentException.class);
  }
}
