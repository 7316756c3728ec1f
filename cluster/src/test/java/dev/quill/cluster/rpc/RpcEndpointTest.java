package dev.quill.cluster.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.transport.ClusterTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests between three in-JVM nodes, each with its own real JGroups TCP transport on loopback. */
class RpcEndpointTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  static final MessageType<String, String> ECHO =
      new MessageType<>(TypeIds.FIRST_TEST_ID, 1, "ECHO", Codecs.STRING, Codecs.STRING);
  static final MessageType<Long, Void> SLEEP =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 1, 1, "SLEEP", Codecs.VAR_LONG, Codecs.EMPTY);
  static final MessageType<String, Void> FAIL =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 2, 1, "FAIL", Codecs.STRING, Codecs.EMPTY);
  static final MessageType<String, Void> NOBODY_SERVES =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 3, 1, "NOBODY_SERVES", Codecs.STRING, Codecs.EMPTY);
  /** ECHO as a newer peer would speak it. */
  static final MessageType<String, String> ECHO_V2 =
      new MessageType<>(TypeIds.FIRST_TEST_ID, 2, "ECHO", Codecs.STRING, Codecs.STRING);
  /** ECHO's id and version with a body the server's codec cannot read. */
  static final MessageType<byte[], String> ECHO_WRONG_BODY =
      new MessageType<>(TypeIds.FIRST_TEST_ID, 1, "ECHO", Codecs.BYTES, Codecs.STRING);
  static final MessageType<String, Void> NEWS =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 4, 1, "NEWS", Codecs.STRING, Codecs.EMPTY);

  private static TestNodes nodes;
  private static final List<ClusterTransport> transports = new ArrayList<>();
  private static final List<RpcEndpoint> endpoints = new ArrayList<>();
  private static final List<AtomicInteger> echoes = new ArrayList<>();
  private static final List<List<String>> news = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    nodes = new TestNodes("rpc");
    for (String name : List.of("n1", "n2", "n3")) {
      ClusterTransport transport = nodes.start(name);
      transports.add(transport);
      endpoints.add(serving(transport, new AtomicInteger(), new ArrayList<>()));
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> transports.stream().allMatch(t -> t.view().size() == 3));
  }

  private static RpcEndpoint serving(ClusterTransport transport, AtomicInteger echoCount, List<String> heard) {
    RpcEndpoint endpoint = new RpcEndpoint(transport);
    echoes.add(echoCount);
    List<String> synced = java.util.Collections.synchronizedList(heard);
    news.add(synced);
    endpoint.register(ECHO, (from, text) -> {
      echoCount.incrementAndGet();
      return transport.nodeName() + " heard " + text + " from " + from;
    });
    endpoint.register(SLEEP, (from, millis) -> {
      Thread.sleep(millis); // handlers run on virtual threads: blocking is allowed
      return null;
    });
    endpoint.register(FAIL, (from, text) -> {
      if (text.startsWith("busy:")) {
        throw new RpcException(RpcException.Code.UNAVAILABLE, text);
      }
      throw new IllegalStateException(text);
    });
    endpoint.register(NEWS, (from, text) -> {
      synced.add(from + ":" + text);
      return null;
    });
    return endpoint;
  }

  @AfterAll
  static void stopCluster() {
    endpoints.forEach(RpcEndpoint::close);
    nodes.close();
  }

  private static RpcEndpoint endpoint(int i) {
    return endpoints.get(i - 1);
  }

  @Test
  void call_toAnotherNode_returnsItsResponse() throws Exception {
    assertThat(endpoint(1).call("n2", ECHO, "hello", TIMEOUT).get()).isEqualTo("n2 heard hello from n1");
  }

  @Test
  void call_toSelf_goesThroughTheSameDispatch() throws Exception {
    assertThat(endpoint(3).call("n3", ECHO, "me", TIMEOUT).get()).isEqualTo("n3 heard me from n3");
    assertRpcError(() -> endpoint(3).call("n3", NOBODY_SERVES, "x", TIMEOUT).join(), RpcException.Code.UNKNOWN_TYPE);
  }

  @Test
  void callAll_reachesEveryMemberInViewOrder() {
    var answers = endpoint(2).callAll(ECHO, "all", TIMEOUT);
    assertThat(answers.keySet()).containsExactly("n1", "n2", "n3");
    assertThat(answers.get("n1").join()).isEqualTo("n1 heard all from n2");
    assertThat(answers.get("n2").join()).isEqualTo("n2 heard all from n2");
  }

  @Test
  void hundredsOfConcurrentCalls_allAnswered() {
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      calls.add(endpoint(1 + i % 3).call("n" + (1 + (i / 3) % 3), ECHO, "#" + i, TIMEOUT));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i).join()).endsWith(" heard #" + i + " from n" + (1 + i % 3));
    }
  }

  @Test
  void slowHandler_timesOut() {
    long start = System.nanoTime();
    assertRpcError(() -> endpoint(1).call("n2", SLEEP, 3_000L, Duration.ofMillis(300)).join(), RpcException.Code.TIMEOUT);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void unknownType_isATypedError() {
    assertRpcError(() -> endpoint(1).call("n2", NOBODY_SERVES, "x", TIMEOUT).join(), RpcException.Code.UNKNOWN_TYPE);
  }

  @Test
  void unknownVersion_isATypedError_listingTheServedVersions() {
    RpcException e = assertRpcError(() -> endpoint(1).call("n2", ECHO_V2, "x", TIMEOUT).join(),
        RpcException.Code.UNSUPPORTED_VERSION);
    assertThat(e.supportedVersions()).containsExactly(1);
  }

  @Test
  void undecodableRequestBody_isATypedError_andTheHandlerDoesNotRun() {
    int before = echoes.get(1).get();
    // A byte array's length prefix plus arbitrary bytes is not valid UTF-8 text for ECHO's reader.
    assertRpcError(() -> endpoint(1).call("n2", ECHO_WRONG_BODY, new byte[] {(byte) 0xff, (byte) 0xfe}, TIMEOUT).join(),
        RpcException.Code.BAD_REQUEST);
    assertThat(echoes.get(1).get()).isEqualTo(before);
  }

  @Test
  void handlerThatCannotServeNow_isUnavailable_notAFailure() {
    RpcException e = assertRpcError(() -> endpoint(2).call("n3", FAIL, "busy: catching up", TIMEOUT).join(),
        RpcException.Code.UNAVAILABLE);
    assertThat(e).hasMessage("UNAVAILABLE: n3: busy: catching up");
  }

  @Test
  void handlerException_isATypedError_withItsMessage() {
    RpcException e = assertRpcError(() -> endpoint(2).call("n3", FAIL, "disk on fire", TIMEOUT).join(),
        RpcException.Code.HANDLER_FAILED);
    assertThat(e).hasMessageContaining("disk on fire").hasMessageContaining("n3");
  }

  @Test
  void callToANonMember_failsAtOnce() {
    assertRpcError(() -> endpoint(1).call("n9", ECHO, "x", TIMEOUT).join(), RpcException.Code.NOT_A_MEMBER);
  }

  @Test
  void garbledAndTruncatedFrames_areRejected_andTheEndpointKeepsWorking() throws Exception {
    ClusterTransport n1 = transports.get(0);
    RpcEndpoint n3 = endpoint(3);
    int echoesBefore = echoes.get(2).get();
    long rejectedBefore = n3.stats().framesRejected();
    byte[] valid = new Frame(Frame.Kind.REQUEST, 1L << 40, ECHO.id(), ECHO.version(),
        new WireWriter().writeString("never seen").toByteArray()).encode();

    byte[] flipped = valid.clone();
    flipped[valid.length - 6] ^= 0x20; // a letter of the text: still valid UTF-8, but the checksum fails
    byte[] badMagic = valid.clone();
    badMagic[0] = 'X';
    List<byte[]> garbage = List.of(
        flipped, badMagic, Arrays.copyOf(valid, valid.length - 1), Arrays.copyOf(valid, 5), new byte[0],
        "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (byte[] frame : garbage) {
      n1.send("n3", frame);
    }
    // The next call from n1 arrives after the garbage (UNICAST3 keeps n1's order) and still works.
    assertThat(endpoint(1).call("n3", ECHO, "after", TIMEOUT).get()).isEqualTo("n3 heard after from n1");
    assertThat(n3.stats().framesRejected() - rejectedBefore).isEqualTo(garbage.size());
    assertThat(echoes.get(2).get()).isEqualTo(echoesBefore + 1);
  }

  @Test
  void answerFromTheWrongNode_isRejected() throws Exception {
    // n2 forges an answer to a call n1 made to n3; n1 must not take it.
    CompletableFuture<Void> call = endpoint(1).call("n3", SLEEP, 500L, TIMEOUT);
    long rejectedBefore = endpoint(1).stats().framesRejected();
    for (long id = 1; id < 3000; id++) {
      transports.get(1).send("n1", new Frame(Frame.Kind.RESPONSE, id, SLEEP.id(), SLEEP.version(), new byte[0]).encode());
    }
    call.get(5, TimeUnit.SECONDS);
    assertThat(endpoint(1).stats().framesRejected()).isGreaterThan(rejectedBefore);
  }

  @Test
  void broadcast_reachesEveryOtherMember() {
    endpoint(2).broadcast(NEWS, "flash");
    await().atMost(Duration.ofSeconds(5)).until(() ->
        news.get(0).contains("n2:flash") && news.get(2).contains("n2:flash"));
    assertThat(news.get(1)).doesNotContain("n2:flash");
  }

  @Test
  void calleeLeaving_failsItsPendingCallsAtOnce() throws Exception {
    ClusterTransport n4 = nodes.start("n4");
    CountDownLatch entered = new CountDownLatch(1);
    try (RpcEndpoint leaving = new RpcEndpoint(n4)) {
      leaving.register(SLEEP, (from, millis) -> {
        entered.countDown();
        Thread.sleep(millis);
        return null;
      });
      await().atMost(Duration.ofSeconds(15)).until(() -> transports.get(0).view().contains("n4"));
      CompletableFuture<Void> call = endpoint(1).call("n4", SLEEP, 60_000L, Duration.ofSeconds(60));
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
      long start = System.nanoTime();
      n4.close();
      assertRpcError(() -> call.get(10, TimeUnit.SECONDS), RpcException.Code.MEMBER_LEFT);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void register_twiceForOneVersion_orOneIdUnderTwoNames_isRefused() {
    RpcEndpoint any = endpoint(1);
    assertThatThrownBy(() -> any.register(ECHO, (from, text) -> text)).isInstanceOf(IllegalStateException.class);
    var impostor = new MessageType<>(ECHO.id(), 9, "NOT_ECHO", Codecs.STRING, Codecs.STRING);
    assertThatThrownBy(() -> any.register(impostor, (from, text) -> text)).isInstanceOf(IllegalStateException.class);
  }

  private static RpcException assertRpcError(ThrowingCallable call, RpcException.Code code) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call);
    Throwable cause = thrown instanceof CompletionException || thrown instanceof ExecutionException ? thrown.getCause() : thrown;
    assertThat(cause).isInstanceOf(RpcException.class);
    RpcException e = (RpcException) cause;
    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    return e;
  }
}
