package dev.quill.security.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA, node credentials, key rings and sealed key delivery, with the JDK's own crypto. */
class KeysTest {
  @TempDir
  Path dir;

  @Test
  void aCredential_roundTripsThroughItsFile_signedByTheCa_withTheCasRing() throws Exception {
    ClusterCa ca = ClusterCa.init(dir.resolve("ca"));
    NodeCredential issued = ca.issue("n1", Clock.systemUTC());
    Path file = dir.resolve("n1.cred");
    issued.write(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca.key")))).isEqualTo("rw-------");
    NodeCredential read = NodeCredential.read(file);
    assertThat(read.node()).isEqualTo("n1");
    assertThat(read.serial()).isEqualTo(1);
    assertThat(read.ring()).isEqualTo(ca.ring());
    assertThat(ca.issued(read)).isTrue();
    assertThat(ca.issue("n2", Clock.systemUTC()).serial()).isEqualTo(2);
    assertThatThrownBy(() -> ClusterCa.init(dir.resolve("ca"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aCredentialWithAChangedName_failsItsSignature() throws Exception {
    ClusterCa ca = ClusterCa.init(dir.resolve("ca"));
    Path file = dir.resolve("n1.cred");
    ca.issue("n1", Clock.systemUTC()).write(file);
    Files.writeString(file, Files.readString(file).replace("node = n1", "node = n9"));
    assertThatThrownBy(() -> NodeCredential.read(file)).hasMessageContaining("signature does not verify");
    ClusterCa other = ClusterCa.init(dir.resolve("other"));
    assertThat(other.issued(ca.issue("n2", Clock.systemUTC()))).isFalse();
  }

  @Test
  void aRevokedName_isNotIssuedAgain() throws Exception {
    ClusterCa ca = ClusterCa.init(dir.resolve("ca"));
    ca.revoke("n3");
    assertThat(ca.revoked()).containsExactly("n3");
    assertThatThrownBy(() -> ca.issue("n3", Clock.systemUTC())).hasMessageContaining("revoked");
  }

  @Test
  void aRotation_keepsTheOldKeyForItsGracePeriod_andARevocationRetiresItAtOnce() {
    KeyRing ring = KeyRing.generate();
    KeyRing rotated = ring.rotate(KeyRing.randomKey(), 1_000, 10_000);
    assertThat(rotated.current().id()).isEqualTo(2);
    assertThat(rotated.find(1).acceptedAt(10_500)).isTrue();
    assertThat(rotated.find(1).acceptedAt(11_001)).isFalse();
    assertThat(rotated.retireAllButCurrent().find(1).acceptedAt(10_000)).isFalse();
    assertThat(KeyRing.decode(rotated.encode())).isEqualTo(rotated);
  }

  @Test
  void anAcceptedKey_isHeardButNotSentWith_untilTheSwitch_thenTheOldOneHasItsGrace_andDeadKeysGo() {
    KeyRing ring = KeyRing.generate().rotate(KeyRing.randomKey(), 0, 0).retireAllButCurrent(); // 1 retired, 2 current
    KeyRing accepted = ring.accept(TrafficKey.of(3, TrafficKey.Status.GRACE, 0, KeyRing.randomKey()), 50_000);
    assertThat(accepted.current().id()).isEqualTo(2);
    assertThat(accepted.find(3).acceptedAt(40_000)).isTrue();
    assertThat(accepted.maxId()).isEqualTo(3);
    KeyRing switched = accepted.switchTo(3, 1_000, 40_000);
    assertThat(switched.current().id()).isEqualTo(3);
    assertThat(switched.find(2).acceptedAt(41_000)).isTrue();
    assertThat(switched.find(2).acceptedAt(41_001)).isFalse();
    assertThat(switched.find(1)).as("a retired key is dropped").isNull();
    assertThat(switched.switchTo(3, 1_000, 40_000)).isEqualTo(switched);
    assertThatThrownBy(() -> switched.switchTo(9, 1_000, 40_000)).hasMessageContaining("accepted first");
    assertThatThrownBy(() -> switched.without(3)).hasMessageContaining("current");
    assertThat(switched.without(2).find(2)).isNull();
  }

  @Test
  void aPublicCredential_isVouchedForOnlyByItsCa_andOnlyForItsName() throws Exception {
    ClusterCa ca = ClusterCa.init(dir.resolve("ca"));
    NodeCredential n1 = ca.issue("n1", Clock.systemUTC());
    byte[] caKey = n1.caPublic();
    assertThat(n1.publicPart().issuedBy(caKey, "n1")).isTrue();
    assertThat(n1.publicPart().issuedBy(caKey, "n2")).isFalse();
    NodeCredential foreign = ClusterCa.init(dir.resolve("other")).issue("n1", Clock.systemUTC());
    assertThat(foreign.publicPart().issuedBy(caKey, "n1")).isFalse();
    PublicCredential renamed = new PublicCredential("n2", n1.serial(), n1.issued(), n1.x25519Public(), caKey,
        n1.signature());
    assertThat(renamed.issuedBy(caKey, "n2")).as("signature covers the name").isFalse();
  }

  @Test
  void aSealedKey_opensOnlyForItsRecipient() throws Exception {
    ClusterCa ca = ClusterCa.init(dir.resolve("ca"));
    NodeCredential n1 = ca.issue("n1", Clock.systemUTC());
    NodeCredential n2 = ca.issue("n2", Clock.systemUTC());
    byte[] raw = KeyRing.randomKey();
    byte[] sealed = KeySealing.seal(7, raw, n1.publicKey());
    assertThat(KeySealing.open(7, sealed, n1.privateKey(), n1.publicKey())).isEqualTo(raw);
    assertThatThrownBy(() -> KeySealing.open(7, sealed, n2.privateKey(), n2.publicKey()))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> KeySealing.open(8, sealed, n1.privateKey(), n1.publicKey()))
        .isInstanceOf(GeneralSecurityException.class);

    // the authenticated form: only n1 opens it, and only as coming from n2
    NodeCredential n3 = ca.issue("n3", Clock.systemUTC());
    byte[] granted = KeySealing.sealFrom(7, raw, n1.publicKey(), n2.privateKey(), n2.publicKey());
    assertThat(KeySealing.openFrom(7, granted, n1.privateKey(), n1.publicKey(), n2.publicKey())).isEqualTo(raw);
    assertThatThrownBy(() -> KeySealing.openFrom(7, granted, n1.privateKey(), n1.publicKey(), n3.publicKey()))
        .as("claimed to come from n3").isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> KeySealing.openFrom(7, granted, n3.privateKey(), n3.publicKey(), n2.publicKey()))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> KeySealing.open(7, granted, n1.privateKey(), n1.publicKey()))
        .as("neither form opens as the other").isInstanceOf(GeneralSecurityException.class);
  }
}
