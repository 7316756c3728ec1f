package dev.quill.cluster.rpc;

import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.security.Principals;
import dev.quill.security.Sid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed requests between nodes, Active-Message style: each message type has one handler per
 * version on every node, and a call is a {@link CompletableFuture} of the typed response.
 *
 * <p>Frames ({@link Frame}) travel as the byte payload of plain JGroups messages rather than in a
 * protocol layer of our own: UNICAST3 under them already gives reliable, ordered, flow-controlled
 * delivery, and a payload keeps our format independent of JGroups headers. Layers that must see
 * every message (SID stamping, issue 6) belong in the stack; request dispatch does not.
 *
 * <p>Threads: frames arrive on JGroups receiver threads, which only decode the header and hand off.
 * Every handler and every completion runs on a virtual thread, so handlers may block on disk and
 * a caller's dependent stages never stall the receiver. A call to this node itself goes through the
 * same encode, dispatch and decode path without the network, so it behaves exactly like a remote one
 * (only its answer completes on the worker that served it, not on yet another virtual thread).
 *
 * <p>Failures: a garbled or truncated frame is dropped with one (rate-limited) WARN line and no
 * handler sees it; an unknown type, unknown version, undecodable request or failing handler is
 * answered with an error frame that fails the caller's future with a {@link RpcException}. Calls
 * time out, and fail at once when the callee leaves the view.
 *
 * <p>Principals: a request travels for the principal its caller works for, and its handler runs with
 * {@link Principals} bound to the principal the receiving transport verified, so the handler (and
 * what it calls on this node) acts for the remote caller. Answers travel as the answering node; what a
 * caller does when its answer comes (the future's dependent stages) runs as the caller again. Before a
 * request from another node runs, the {@link AccessCheck} decides on its principal; a refusal answers
 * {@link RpcException.Code#DENIED} and the handler never runs.
 */
public final class RpcEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RpcEndpoint.class);

  private final ClusterTransport transport;
  private final String self;
  private final Map<Integer, Map<Integer, Registration<?, ?>>> handlers = new ConcurrentHashMap<>();
  private final Map<Long, Pending<?>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextCorrelationId = new AtomicLong();
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledThreadPoolExecutor timer;
  private final RejectLog rejects;
  private final AtomicLong callsSent = new AtomicLong();
  private final AtomicLong requestsDenied = new AtomicLong();
  private volatile AccessCheck access = AccessCheck.ALLOW_ALL;
  private final AtomicLong requestsServed = new AtomicLong();
  private final AtomicLong errorsSent = new AtomicLong();
  private volatile Predicate<Throwable> expectedFailures = e -> false;
  private volatile boolean closed;

  public RpcEndpoint(ClusterTransport transport) {
    this(transport, true);
  }

  /**
   * An endpoint that, unless {@code listenNow}, receives nothing until {@link #listen}: register
   * every service first, so that no early request is answered "unknown type" (the transport keeps
   * frames that arrive meanwhile).
   */
  public RpcEndpoint(ClusterTransport transport, boolean listenNow) {
    this.transport = transport;
    this.self = transport.nodeName();
    this.rejects = new RejectLog(log, self);
    // One platform thread for all timeouts; cancelled timeouts leave the queue at once, so a
    // high call rate with long timeouts does not pile up dead tasks.
    this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("quill-rpc-timeouts").daemon(true).factory());
    timer.setRemoveOnCancelPolicy(true);
    transport.addViewListener(this::failCallsToDeparted);
    if (listenNow) {
      listen();
    }
  }

  /** Starts receiving requests and answers (and the frames that arrived before). */
  public void listen() {
    transport.setFrameListener(this::receive);
  }

  /**
   * Serves {@code type} with {@code handler}.
   *
   * @throws IllegalStateException if this version of the type already has a handler, or the id is
   *     registered under another name (two services picked the same id)
   */
  public <Q, R> void register(MessageType<Q, R> type, RequestHandler<Q, R> handler) {
    Map<Integer, Registration<?, ?>> versions = handlers.computeIfAbsent(type.id(), id -> new ConcurrentHashMap<>());
    for (Registration<?, ?> other : versions.values()) {
      if (!other.type().name().equals(type.name())) {
        throw new IllegalStateException("type id " + type.id() + " is already " + other.type() + ", not " + type);
      }
    }
    if (versions.putIfAbsent(type.version(), new Registration<>(type, handler)) != null) {
      throw new IllegalStateException(type + " already has a handler");
    }
  }

  /**
   * Sends {@code request} to {@code node} (which may be this node) and returns its response.
   * The future fails with {@link RpcException}; it never hangs past {@code timeout}.
   */
  public <Q, R> CompletableFuture<R> call(String node, MessageType<Q, R> type, Q request, Duration timeout) {
    CompletableFuture<R> future = new CompletableFuture<>();
    if (closed) {
      future.completeExceptionally(new RpcException(RpcException.Code.CLOSED, self + " is closed"));
      return future;
    }
    byte[] frame;
    long id = nextCorrelationId.incrementAndGet();
    try {
      frame = new Frame(Frame.Kind.REQUEST, id, type.id(), type.version(), encode(type.request(), request)).encode();
    } catch (RuntimeException e) {
      future.completeExceptionally(new RpcException(RpcException.Code.SEND_FAILED,
          type + " request did not encode: " + e.getMessage()));
      return future;
    }
    // Registered before the view is read: a view change after this point finds the call and fails it.
    Pending<R> call = new Pending<>(node, type, future, Principals.currentOr(null));
    pending.put(id, call);
    ScheduledFuture<?> expiry;
    try {
      expiry = timer.schedule(() -> future.completeExceptionally(new RpcException(
          RpcException.Code.TIMEOUT, node + " did not answer " + type + " within " + timeout.toMillis() + " ms")),
          timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      pending.remove(id, call);
      future.completeExceptionally(new RpcException(RpcException.Code.CLOSED, self + " is closed"));
      return future;
    }
    future.whenComplete((r, e) -> {
      pending.remove(id, call);
      expiry.cancel(false);
    });
    callsSent.incrementAndGet();
    if (node.equals(self)) {
      dispatchLocally(Principals.currentOr(transport.nodeSid()), frame);
    } else if (!transport.view().contains(node)) {
      future.completeExceptionally(new RpcException(RpcException.Code.NOT_A_MEMBER,
          node + " is not in view " + transport.view().id()));
    } else {
      try {
        transport.send(node, frame);
      } catch (ClusterException e) {
        future.completeExceptionally(new RpcException(RpcException.Code.SEND_FAILED, e.getMessage()));
      }
    }
    return future;
  }

  /** Calls every member of the current view, this node included; the map is in view order. */
  public <Q, R> Map<String, CompletableFuture<R>> callAll(MessageType<Q, R> type, Q request, Duration timeout) {
    Map<String, CompletableFuture<R>> calls = new LinkedHashMap<>();
    for (String node : transport.view().members()) {
      calls.put(node, call(node, type, request, timeout));
    }
    return calls;
  }

  /**
   * Sends a one-way notice to every other member: no answer, no error frame, no delivery guarantee
   * beyond the transport's (a member that leaves may miss it). For gossip.
   */
  public <Q> void broadcast(MessageType<Q, ?> type, Q notice) {
    if (closed) {
      return;
    }
    byte[] frame = new Frame(Frame.Kind.NOTICE, 0, type.id(), type.version(), encode(type.request(), notice)).encode();
    try {
      transport.broadcast(frame);
    } catch (ClusterException e) {
      log.debug("{}: broadcast of {} failed: {}", self, type, e.getMessage());
    }
  }

  /** This node's name, as calls address it. */
  public String self() {
    return self;
  }

  public RpcStats stats() {
    return new RpcStats(callsSent.get(), requestsServed.get(), errorsSent.get(), rejects.total());
  }

  /** Fails every outstanding call with {@link RpcException.Code#CLOSED} and stops serving. */
  @Override
  public void close() {
    closed = true;
    for (Pending<?> call : List.copyOf(pending.values())) {
      call.future().completeExceptionally(new RpcException(RpcException.Code.CLOSED, self + " closed"));
    }
    timer.shutdownNow();
    workers.shutdown();
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Sets the check every request from another node passes before its handler runs (the policy's
   * enforcement manager); until then every request is let through.
   */
  public void setAccessCheck(AccessCheck check) {
    this.access = java.util.Objects.requireNonNull(check, "access check");
  }

  /** Requests from other nodes refused by the access check since start. */
  public long requestsDenied() {
    return requestsDenied.get();
  }

  /** Entry point for every frame from the transport, and for frames this node sends itself. */
  private void receive(String from, Sid principal, byte[] buffer, int offset, int length) {
    Frame frame;
    try {
      frame = Frame.decode(buffer, offset, length);
    } catch (WireException e) {
      rejects.reject(from, e.getMessage() + " (" + length + " bytes)");
      return;
    }
    switch (frame.kind()) {
      case REQUEST, NOTICE -> submit(() -> Principals.runAs(principal, () -> serve(from, frame)));
      case RESPONSE, ERROR -> answer(from, frame);
    }
  }

  private void dispatchLocally(Sid principal, byte[] frame) {
    submit(() -> receive(self, principal, frame, 0, frame.length));
  }

  private void submit(Runnable task) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("{}: closed, dropping work", self);
    }
  }

  /** Runs the handler for a request or notice, on a virtual thread. */
  private void serve(String from, Frame frame) {
    Map<Integer, Registration<?, ?>> versions = handlers.get(frame.typeId());
    if (versions == null) {
      rejects.reject(from, "unknown type " + frame.typeId());
      refuse(from, frame, new RpcError(RpcException.Code.UNKNOWN_TYPE,
          self + " has no handler for type " + frame.typeId(), List.of()));
      return;
    }
    Registration<?, ?> registration = versions.get(frame.typeVersion());
    if (registration == null) {
      List<Integer> served = new ArrayList<>(versions.keySet());
      served.sort(null);
      rejects.reject(from, "type " + frame.typeId() + " version " + frame.typeVersion() + " not served");
      refuse(from, frame, new RpcError(RpcException.Code.UNSUPPORTED_VERSION,
          self + " serves type " + frame.typeId() + " in versions " + served + ", not " + frame.typeVersion(), served));
      return;
    }
    serveWith(registration, from, frame);
  }

  private <Q, R> void serveWith(Registration<Q, R> registration, String from, Frame frame) {
    MessageType<Q, R> type = registration.type();
    if (!from.equals(self)) {
      Sid principal = Principals.currentOr(transport.nodeSid());
      Optional<String> refusal = access.refusal(from, principal, type);
      if (refusal.isPresent()) {
        requestsDenied.incrementAndGet();
        refuse(from, frame, new RpcError(RpcException.Code.DENIED, self + " refuses " + type.name() + " to "
            + principal + ": " + refusal.get(), List.of()));
        return;
      }
    }
    Q request;
    try {
      request = decode(type.request(), frame.payload());
    } catch (WireException e) {
      rejects.reject(from, type + " body: " + e.getMessage());
      refuse(from, frame, new RpcError(RpcException.Code.BAD_REQUEST,
          type + " request did not decode on " + self + ": " + e.getMessage(), List.of()));
      return;
    }
    byte[] response;
    try {
      requestsServed.incrementAndGet();
      response = encode(type.response(), registration.handler().handle(from, request));
    } catch (Exception e) {
      if (e instanceof RpcException r
          && (r.code() == RpcException.Code.UNAVAILABLE || r.code() == RpcException.Code.FENCED)) {
        // not a failure: the handler cannot serve now (the caller asks another copy or later), or
        // refuses a deposed manager's numbers (the caller numbers the write again)
        refuse(from, frame, new RpcError(r.code(), r.getMessage().substring(r.code().name().length() + 2), List.of()));
        return;
      }
      if (expectedFailures.test(e)) {
        log.debug("{} <-- {}: {} refused: {}", self, from, type, e.toString());
      } else {
        log.warn("{} <-- {}: {} handler failed: {}", self, from, type, e.toString());
      }
      refuse(from, frame, new RpcError(RpcException.Code.HANDLER_FAILED, String.valueOf(e.getMessage()), List.of()));
      return;
    }
    if (frame.kind() == Frame.Kind.REQUEST) {
      reply(from, new Frame(Frame.Kind.RESPONSE, frame.correlationId(), frame.typeId(), frame.typeVersion(), response));
    }
  }

  /** Answers a request with an error frame; a notice is only logged (nobody waits for it). */
  private void refuse(String from, Frame request, RpcError error) {
    if (request.kind() == Frame.Kind.NOTICE) {
      log.debug("{} <-- {}: notice of type {} refused: {}", self, from, request.typeId(), error.message());
      return;
    }
    errorsSent.incrementAndGet();
    reply(from, new Frame(Frame.Kind.ERROR, request.correlationId(), request.typeId(), request.typeVersion(),
        encode(RpcError.CODEC, error)));
  }

  private void reply(String to, Frame frame) {
    if (to.equals(self)) {
      // The answer to a call to this node completes on the worker that served the call: a virtual
      // thread of ours with nothing else to do, so no second hand-off; the body was still encoded.
      Pending<?> call = pending.get(frame.correlationId());
      if (call != null) {
        call.complete(frame);
      }
      return;
    }
    byte[] bytes = frame.encode();
    try {
      transport.send(to, transport.nodeSid(), bytes);
    } catch (ClusterException e) {
      // The caller left; its own side fails the call on the view change.
      log.debug("{} --> {}: answer not sent: {}", self, to, e.getMessage());
    }
  }

  /** Completes the call a response or error frame answers, if it is still waiting and the frame fits it. */
  private void answer(String from, Frame frame) {
    Pending<?> call = pending.get(frame.correlationId());
    if (call == null) {
      log.debug("{} <-- {}: answer #{} came after its call ended", self, from, frame.correlationId());
      return;
    }
    if (!call.node().equals(from) || call.type().id() != frame.typeId() || call.type().version() != frame.typeVersion()) {
      rejects.reject(from, "answer #" + frame.correlationId() + " does not match the call to " + call.node()
          + " of " + call.type());
      return;
    }
    submit(() -> call.complete(frame));
  }

  private void failCallsToDeparted(ClusterView view) {
    for (Pending<?> call : pending.values()) {
      if (!call.node().equals(self) && !view.contains(call.node())) {
        call.future().completeExceptionally(new RpcException(RpcException.Code.MEMBER_LEFT,
            call.node() + " left (view " + view.id() + ") before answering " + call.type()));
      }
    }
  }

  private static <T> byte[] encode(Codec<T> codec, T value) {
    WireWriter out = new WireWriter();
    codec.write(out, value);
    return out.toByteArray();
  }

  private static <T> T decode(Codec<T> codec, byte[] payload) throws WireException {
    WireReader in = new WireReader(payload);
    T value = codec.read(in);
    in.expectEnd();
    return value;
  }

  /** A handler with its type, so that decoding, handling and encoding stay typed. */
  private record Registration<Q, R>(MessageType<Q, R> type, RequestHandler<Q, R> handler) {}

  /**
   * A call waiting for its answer.
   *
   * @param caller the principal the caller worked for (null: none bound): its future completes as it
   */
  private record Pending<R>(String node, MessageType<?, R> type, CompletableFuture<R> future, Sid caller) {
    void complete(Frame frame) {
      if (caller == null) {
        settle(frame);
      } else {
        Principals.runAs(caller, () -> settle(frame));
      }
    }

    private void settle(Frame frame) {
      try {
        if (frame.kind() == Frame.Kind.ERROR) {
          RpcError error = decode(RpcError.CODEC, frame.payload());
          future.completeExceptionally(new RpcException(error.code(), node + ": " + error.message(),
              error.supportedVersions()));
        } else {
          future.complete(decode(type.response(), frame.payload()));
        }
      } catch (WireException e) {
        future.completeExceptionally(new RpcException(RpcException.Code.BAD_RESPONSE,
            type + " answer from " + node + " did not decode: " + e.getMessage()));
      }
    }
  }

  /**
   * Handler failures that are answers the caller expects rather than faults (a node whose disk is
   * full refusing a write): they are answered as any failure, but logged at DEBUG instead of WARN,
   * since the node with the condition logs it once itself.
   */
  public void expectedFailures(Predicate<Throwable> expected) {
    this.expectedFailures = expected;
  }
}
