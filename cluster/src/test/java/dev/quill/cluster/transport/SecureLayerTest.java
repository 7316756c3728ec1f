package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.Frame;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.security.Principals;
import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.Sid;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sealing transport and the security layer between real in-JVM nodes on loopback TCP: frames
 * captured at the transport and replayed, changed, or sent under another or a retired key; forged
 * principals, misdirected messages, revoked nodes — each dropped, counted and reported, and no
 * handler runs.
 */
class SecureLayerTest {
  private static final MessageType<String, String> WHO =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 40, 1, "WHO", Codecs.STRING, Codecs.STRING);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** What n1's audit hook heard. */
  private record Event(Reason reason, String origin, String principal) {}

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final AtomicInteger served = new AtomicInteger();
  private final List<String> principals = new CopyOnWriteArrayList<>();
  private TestNodes nodes;
  private TrafficKeys keys1;
  private TrafficKeys keys2;
  private ClusterTransport n1;
  private ClusterTransport n2;
  private RpcEndpoint rpc1;
  private RpcEndpoint rpc2;
  private WireTap tap;

  @BeforeEach
  void start() throws Exception {
    nodes = new TestNodes("secure");
    keys1 = new TrafficKeys(TestNodes.TEST_KEYS);
    keys2 = new TrafficKeys(TestNodes.TEST_KEYS);
    SecurityEvents hook = (reason, origin, principal) -> events.add(new Event(reason, origin, principal));
    n1 = nodes.start("n1", "secure", new TransportSecurity.On(keys1, hook, Set.of()));
    n2 = nodes.start("n2", "secure", new TransportSecurity.On(keys2));
    await().atMost(Duration.ofSeconds(15)).until(() -> n1.view().size() == 2 && n2.view().size() == 2);
    rpc1 = new RpcEndpoint(n1);
    rpc1.register(WHO, (from, text) -> {
      served.incrementAndGet();
      principals.add(Principals.currentOr(Sid.node("nobody")).toString());
      return text;
    });
    rpc2 = new RpcEndpoint(n2);
    tap = WireTap.under(n1);
  }

  @AfterEach
  void stop() {
    rpc1.close();
    rpc2.close();
    nodes.close();
  }

  @Test
  void theCallersPrincipal_reachesTheHandler_verified() throws Exception {
    Sid bob = Sid.user("bob@example.org", "n2");
    String answer = Principals.callAs(bob, () -> rpc2.call("n1", WHO, "hi", TIMEOUT).get());
    assertThat(answer).isEqualTo("hi");
    assertThat(principals).containsExactly("user:bob@example.org@n2");
    // Without a bound principal, the node speaks for itself.
    rpc2.call("n1", WHO, "again", TIMEOUT).get();
    assertThat(principals).containsExactly("user:bob@example.org@n2", "node:n2@n2");
    assertThat(n1.securityCounters().opened()).isPositive();
  }

  @Test
  void aNodeClaimingAnotherNodesPrincipal_isDropped_andTheHandlerNeverRuns() throws Exception {
    // A bound principal of another node is never put on the wire: the node speaks for itself instead.
    Principals.callAs(Sid.user("alice@example.org", "n1"), () -> rpc2.call("n1", WHO, "x", TIMEOUT).get());
    assertThat(principals).containsExactly("node:n2@n2");
    // A misbehaving n2 names a principal of n1 (the transport's explicit-principal send does not check).
    // Its reliable stream to n1 then stays stuck on that message, retransmitted and dropped each time.
    n2.send("n1", Sid.user("alice@example.org", "n1"), notice("forged"));
    awaitDrop(Reason.FORGED_SID);
    assertThat(events).contains(new Event(Reason.FORGED_SID, "n2", "user:alice@example.org@n1"));
    Thread.sleep(300);
    assertThat(served).hasValue(1);
  }

  @Test
  void aReplayedFrame_isDropped_andTheHandlerRunsOnce() throws Exception {
    List<WireTap.Frame> captured = captured("once");
    assertThat(captured).isNotEmpty();
    long replaysBefore = n1.securityCounters().dropped().get(Reason.REPLAY);
    captured.forEach(tap::inject);
    assertThat(n1.securityCounters().dropped().get(Reason.REPLAY) - replaysBefore).isEqualTo(captured.size());
    Thread.sleep(300); // a handler that ran anyway would have by now
    assertThat(served).hasValue(1);
  }

  @Test
  void aFlippedByte_inTheCiphertextOrTheContext_failsTheTag() throws Exception {
    WireTap.Frame sealed = captured("original").getFirst();
    byte[] body = sealed.bytes().clone();
    body[body.length - 20] ^= 0x01; // in the ciphertext, just before the tag
    tap.inject(sealed.with(body));
    byte[] context = sealed.bytes().clone();
    context[10] ^= (byte) 0x80; // inside the incarnation
    tap.inject(sealed.with(context));
    assertThat(n1.securityCounters().dropped().get(Reason.BAD_TAG)).isEqualTo(2);
    assertThat(events.stream().filter(e -> e.reason() == Reason.BAD_TAG)).hasSize(2);
    assertThat(served).hasValue(1);
  }

  @Test
  void aNodeWithAnotherClustersKey_cannotJoinReadOrInject() throws Exception {
    ClusterTransport stranger = nodes.start("n3", "secure", new TransportSecurity.On(new TrafficKeys(KeyRing.generate())));
    try (RpcEndpoint rpc3 = new RpcEndpoint(stranger)) {
      awaitDrop(Reason.BAD_TAG);
      assertThat(stranger.view().members()).containsExactly("n3");
      assertThat(n1.view().members()).containsExactly("n1", "n2");
      assertThatThrownBy(() -> rpc3.call("n1", WHO, "let me in", Duration.ofSeconds(2)).get())
          .isInstanceOf(ExecutionException.class);
      assertThat(events).anyMatch(e -> e.reason() == Reason.BAD_TAG && e.origin().equals("n3"));
      assertThat(served).hasValue(0);
    }
  }

  @Test
  void aNodeWithTheLayerOff_isNotHeard() throws Exception {
    ClusterTransport clear = nodes.start("n4", "secure", TransportSecurity.off());
    awaitDrop(Reason.MISSING);
    assertThat(clear.view().members()).containsExactly("n4");
    assertThat(n1.view().members()).containsExactly("n1", "n2");
  }

  @Test
  void aUnicastFrameReplayedToAnotherMember_isOpened_butItsMessagesAreMisdirected() throws Exception {
    List<WireTap.Frame> captured = captured("for n1");
    ClusterTransport n3 = nodes.start("n3", "secure", new TransportSecurity.On(new TrafficKeys(TestNodes.TEST_KEYS)));
    await().atMost(Duration.ofSeconds(15)).until(() -> n3.view().size() == 3 && n1.view().size() == 3);
    WireTap tap3 = WireTap.under(n3);
    // n2 seals per connection, so n3 never saw these sequence numbers: only the messages' own
    // (sealed) destination shows they were not meant for n3.
    captured.forEach(tap3::inject);
    assertThat(n3.securityCounters().dropped().get(Reason.MISDIRECTED)).as("%s, %d frames", n3.securityCounters(), captured.size()).isPositive();
    assertThat(n3.securityCounters().dropped().get(Reason.REPLAY)).isZero();
    assertThat(served).hasValue(1);
  }

  @Test
  void afterARotation_framesUnderTheRetiredKey_areRefused_andNewTrafficFlows() throws Exception {
    List<WireTap.Frame> captured = captured("old key");
    byte[] next = KeyRing.randomKey();
    long now = System.currentTimeMillis();
    for (TrafficKeys keys : List.of(keys1, keys2)) {
      keys.update(ring -> ring.rotate(next, 0, now).retireAllButCurrent());
    }
    captured.forEach(tap::inject);
    assertThat(n1.securityCounters().dropped().get(Reason.RETIRED_KEY)).isEqualTo(captured.size());
    assertThat(rpc2.call("n1", WHO, "new key", TIMEOUT).get()).isEqualTo("new key");
    assertThat(served).hasValue(2);
  }

  @Test
  void aRevokedNode_isRefused_whateverItsKey() throws Exception {
    n1.securityLayer().orElseThrow().revoke("n2");
    assertThatThrownBy(() -> rpc2.call("n1", WHO, "still here?", Duration.ofSeconds(2)).get())
        .isInstanceOf(ExecutionException.class);
    assertThat(n1.securityCounters().dropped().get(Reason.REVOKED)).isPositive();
    assertThat(served).hasValue(0);
  }

  /** The sealed frames n1 received while n2 called it once with {@code text}. */
  private List<WireTap.Frame> captured(String text) throws Exception {
    tap.record(true);
    rpc2.call("n1", WHO, text, TIMEOUT).get();
    tap.record(false);
    return tap.recorded();
  }

  private void awaitDrop(Reason reason) {
    await().atMost(Duration.ofSeconds(10)).until(() -> n1.securityCounters().dropped().get(reason) > 0);
  }

  /** A notice frame of WHO, as RpcEndpoint would send it. */
  private static byte[] notice(String text) {
    WireWriter body = new WireWriter();
    Codecs.STRING.write(body, text);
    return new Frame(Frame.Kind.NOTICE, 0, WHO.id(), WHO.version(), body.toByteArray()).encode();
  }
}
