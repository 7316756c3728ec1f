package dev.quill.bench.security;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the security layer's cost: sealing and opening one message with the JDK's AEAD
 * ciphers and nothing else — no copying, no serialising, ciphers and buffers reused, a fresh nonce
 * each time (in microseconds per seal plus open). Whatever the layer's design, each message (or each
 * frame of messages) pays at least this twice per request: the request and its answer.
 *
 * <p>{@code aesGcm} is what the layer uses; {@code chaCha20Poly1305} is the JDK's other AEAD, for the
 * comparison.
 *
 * <p>Run (from the repository root, JDK 25):
 *
 * <pre>
 * ./mvnw -q -o -pl store,security,cluster,mail,server,bench -DskipTests package
 * java -cp bench/target/quill-bench.jar org.openjdk.jmh.Main AeadCostBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AeadCostBenchmark {
  @Param({"256", "1024", "4096", "65536"})
  int size;

  private final byte[] aad = new byte[48];
  private byte[] message;
  private byte[] sealed;
  private byte[] opened;
  private final byte[] nonce = new byte[12];
  private long counter;
  private SecretKeySpec aesKey;
  private SecretKeySpec chachaKey;
  private Cipher aesSeal;
  private Cipher aesOpen;
  private Cipher chachaSeal;
  private Cipher chachaOpen;

  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    byte[] key = new byte[32];
    SecureRandom random = new SecureRandom();
    random.nextBytes(key);
    message = new byte[size];
    random.nextBytes(message);
    sealed = new byte[size + 16];
    opened = new byte[size];
    aesKey = new SecretKeySpec(key, "AES");
    chachaKey = new SecretKeySpec(key, "ChaCha20");
    aesSeal = Cipher.getInstance("AES/GCM/NoPadding");
    aesOpen = Cipher.getInstance("AES/GCM/NoPadding");
    chachaSeal = Cipher.getInstance("ChaCha20-Poly1305");
    chachaOpen = Cipher.getInstance("ChaCha20-Poly1305");
  }

  @Benchmark
  public byte[] aesGcm() throws GeneralSecurityException {
    return sealAndOpen(aesSeal, aesOpen, aesKey, new GCMParameterSpec(128, nextNonce()));
  }

  @Benchmark
  public byte[] chaCha20Poly1305() throws GeneralSecurityException {
    return sealAndOpen(chachaSeal, chachaOpen, chachaKey, new IvParameterSpec(nextNonce()));
  }

  private byte[] sealAndOpen(Cipher seal, Cipher open, SecretKeySpec key, AlgorithmParameterSpec spec)
      throws GeneralSecurityException {
    seal.init(Cipher.ENCRYPT_MODE, key, spec);
    seal.updateAAD(aad);
    int n = seal.doFinal(message, 0, size, sealed, 0);
    open.init(Cipher.DECRYPT_MODE, key, spec);
    open.updateAAD(aad);
    open.doFinal(sealed, 0, n, opened, 0);
    return opened;
  }

  /** A nonce never used before with this key (the ciphers refuse to encrypt twice under one). */
  private byte[] nextNonce() {
    long c = ++counter;
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
    }
    return nonce.clone();
  }
}
