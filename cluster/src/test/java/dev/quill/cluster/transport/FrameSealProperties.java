package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever frame arrives, the seal drops it with a reason or opens it verified and new; nothing escapes. */
class FrameSealProperties {
  private static final KeyRing RING = KeyRing.generate();

  /** A seal and what it refused. */
  private record Node(FrameSeal seal, SecurityDrops drops, Set<String> revoked) {
    long dropped(Reason reason) {
      return drops.counts().get(reason);
    }

    long droppedTotal() {
      return drops.counts().values().stream().mapToLong(Long::longValue).sum();
    }

    /** The plaintext of {@code frame}, or null when it was dropped. */
    byte[] open(byte[] frame) {
      byte[] copy = frame.clone();
      int offset = seal.open(copy, copy.length);
      return offset < 0 ? null : Arrays.copyOfRange(copy, offset, copy.length - FrameSeal.TAG_BYTES);
    }
  }

  @Property(tries = 500)
  void anyBytes_asAFrame_areDroppedWithAReason(@ForAll @Size(max = 3000) byte[] frame, @ForAll boolean sealedVersion) {
    if (sealedVersion && frame.length > 0) {
      frame[0] = FrameContext.VERSION; // past the first check, into the context's parsing and the tag
    }
    Node receiver = node("n1", RING);
    assertThat(receiver.open(frame)).isNull();
    assertThat(receiver.droppedTotal()).isEqualTo(1);
  }

  @Property(tries = 300)
  void aSealedFrame_withAnyBitFlipped_isDropped(
      @ForAll @Size(max = 2000) byte[] body, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll @IntRange(min = 0, max = 7) int bit) throws Exception {
    byte[] sealed = node("n2", RING).seal().seal(body, 0, body.length);
    byte[] changed = sealed.clone();
    changed[position % changed.length] ^= (byte) (1 << bit);
    Node receiver = node("n1", RING);
    assertThat(receiver.open(changed)).isNull();
    assertThat(receiver.droppedTotal()).isEqualTo(1);
    // The untouched frame does open, with its body intact: the drop above was the flip's doing.
    assertThat(receiver.open(sealed)).isEqualTo(body);
  }

  @Property(tries = 100)
  void aFrameInsideAnArray_isSealedFromItsRangeOnly(
      @ForAll @Size(max = 500) byte[] around, @ForAll @IntRange(min = 0, max = 500) int offset,
      @ForAll @IntRange(min = 0, max = 500) int length) throws Exception {
    int from = Math.min(offset, around.length);
    int to = Math.min(from + length, around.length);
    byte[] sealed = node("n2", RING).seal().seal(around, from, to - from);
    assertThat(node("n1", RING).open(sealed)).isEqualTo(Arrays.copyOfRange(around, from, to));
  }

  @Example
  void aFrameOpenedTwice_isAReplayTheSecondTime() throws Exception {
    byte[] sealed = node("n2", RING).seal().seal(new byte[] {1, 2, 3}, 0, 3);
    Node receiver = node("n1", RING);
    assertThat(receiver.open(sealed)).containsExactly(1, 2, 3);
    assertThat(receiver.open(sealed)).isNull();
    assertThat(receiver.dropped(Reason.REPLAY)).isEqualTo(1);
  }

  @Example
  void aFrameUnderAKeyTheReceiverNeverHad_isAnUnknownKey() throws Exception {
    KeyRing later = RING.rotate(KeyRing.randomKey(), 0, System.currentTimeMillis());
    byte[] sealed = node("n2", later).seal().seal(new byte[] {1}, 0, 1);
    Node receiver = node("n1", RING);
    assertThat(receiver.open(sealed)).isNull();
    assertThat(receiver.dropped(Reason.UNKNOWN_KEY)).isEqualTo(1);
  }

  @Example
  void aFrameUnderAnotherClustersKey_failsTheTag() throws Exception {
    byte[] sealed = node("n2", KeyRing.generate()).seal().seal(new byte[] {1}, 0, 1);
    Node receiver = node("n1", RING);
    assertThat(receiver.open(sealed)).isNull();
    assertThat(receiver.dropped(Reason.BAD_TAG)).isEqualTo(1);
  }

  @Example
  void aFrameUnderARetiredKey_isRefused() throws Exception {
    byte[] sealed = node("n2", RING).seal().seal(new byte[] {1}, 0, 1);
    KeyRing rotated = RING.rotate(KeyRing.randomKey(), 0, System.currentTimeMillis()).retireAllButCurrent();
    Node receiver = node("n1", rotated);
    assertThat(receiver.open(sealed)).isNull();
    assertThat(receiver.dropped(Reason.RETIRED_KEY)).isEqualTo(1);
  }

  @Example
  void aFrameFromARevokedNode_isRefused_andAReprieveDoesNotMakeItAReplay() throws Exception {
    byte[] sealed = node("n2", RING).seal().seal(new byte[] {1}, 0, 1);
    Node receiver = node("n1", RING);
    receiver.revoked().add("n2");
    assertThat(receiver.open(sealed)).isNull();
    assertThat(receiver.dropped(Reason.REVOKED)).isEqualTo(1);
    receiver.revoked().remove("n2");
    assertThat(receiver.open(sealed)).containsExactly(1);
  }

  @Example
  void aFrameStampedWithANewerPolicy_tellsTheListener() throws Exception {
    Node sender = node("n2", RING);
    sender.seal().policyVersion(() -> 7);
    byte[] sealed = sender.seal().seal(new byte[] {1}, 0, 1);
    Node receiver = node("n1", RING);
    receiver.seal().policyVersion(() -> 5);
    long[] seen = new long[1];
    receiver.seal().onNewerPolicy((origin, version) -> seen[0] = origin.equals("n2") ? version : -1);
    receiver.open(sealed);
    assertThat(seen[0]).isEqualTo(7);
  }

  private static Node node(String name, KeyRing ring) {
    SecurityDrops drops = new SecurityDrops(name, SecurityEvents.NONE);
    Set<String> revoked = ConcurrentHashMap.newKeySet();
    return new Node(new FrameSeal(name, new TrafficKeys(ring), drops, revoked), drops, revoked);
  }
}
