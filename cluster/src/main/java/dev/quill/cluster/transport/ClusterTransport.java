package dev.quill.cluster.transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import dev.quill.security.Principals;
import dev.quill.security.Sid;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.jgroups.util.ExtendedUUID;
import org.jgroups.util.NameCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's membership in the cluster and its pipe to the other nodes: one JGroups channel, seen
 * through node names.
 *
 * <p>Everything above this class speaks node names; JGroups addresses (which change at every
 * restart) stay inside. The JGroups logical name is the node name, so a node's address maps back
 * to its name in every view. View listeners run one at a time, in view order, on a virtual thread
 * of their own, so a slow listener never holds up JGroups' view installation.
 *
 * <p>Every frame sent carries the principal the sending thread works for ({@link Principals}), and
 * every frame received is handed up with the principal the security layer verified (when the
 * layer is off, the one the sender named).
 */
public final class ClusterTransport implements AutoCloseable {
  /** The key under which a member's address carries its node name. */
  private static final String NAME_KEY = "quill-node";

  static {
    SecureLayer.registerTypes();
    // JGroups prints addresses in its own logs and view ids; show the node name, not the key-value map.
    ExtendedUUID.setPrintFunction(address -> address.keyExists(NAME_KEY)
        ? new String(address.get(NAME_KEY), StandardCharsets.UTF_8) : address.toStringLong());
  }

  private static final Logger log = LoggerFactory.getLogger(ClusterTransport.class);

  /** The current view and its name-to-address index, replaced together. */
  private record Members(ClusterView view, Map<String, Address> addresses) {}

  private final ClusterSettings settings;
  private final JChannel channel;
  private final ExecutorService viewEvents =
      Executors.newSingleThreadExecutor(Thread.ofVirtual().name("quill-cluster-view").factory());
  private final List<ViewSubscriber> subscribers = new CopyOnWriteArrayList<>();
  private volatile Members members;
  private final Sid nodeSid;
  private final PrincipalHeader nodePrincipal;
  /** Null when the security layer is off. */
  private final SecureLayer secure;
  /** Null until the RPC endpoint listens; frames arriving before are kept in {@link #early}. */
  private volatile FrameListener frames;
  /** Frames that arrived before a listener was set (a request from a faster peer while this node starts). */
  private final java.util.ArrayDeque<Object[]> early = new java.util.ArrayDeque<>();
  private static final int MAX_EARLY_FRAMES = 10_000;

  private ClusterTransport(ClusterSettings settings, JChannel channel) {
    this.settings = settings;
    this.channel = channel;
    this.nodeSid = Sid.node(settings.nodeName());
    this.nodePrincipal = new PrincipalHeader(nodeSid);
    this.secure = channel.getProtocolStack().findProtocol(SecureLayer.class);
    this.members = new Members(
        new ClusterView("", 0, List.of(settings.nodeName()), settings.nodeName()), Map.of());
  }

  /**
   * Starts the channel and joins the cluster named in the settings, or forms a cluster of one
   * when no member answers within the join timeout.
   */
  public static ClusterTransport start(ClusterSettings settings) throws ClusterException {
    JChannel channel;
    try {
      channel = new JChannel(JGroupsStack.build(settings));
    } catch (Exception e) {
      throw new ClusterException("cannot build the cluster stack: " + e.getMessage(), e);
    }
    if (settings.security() instanceof TransportSecurity.Off) {
      log.warn("{}: cluster security is OFF: messages between nodes travel in clear and unauthenticated;"
          + " use this only to measure its cost (set [cluster] security = \"on\" with credentials)", settings.nodeName());
    }
    channel.name(settings.nodeName());
    // The name travels inside the address itself, so every view names every member at once; the
    // logical-name cache alone may not know a member that joined a moment ago, and a view with a
    // UUID instead of a name would give that node's buckets to a node that does not exist.
    channel.addAddressGenerator(() -> newAddress(settings.nodeName()));
    // Broadcasts (load gossip) are for the others; this node already knows its own state.
    channel.setDiscardOwnMessages(true);
    ClusterTransport transport = new ClusterTransport(settings, channel);
    channel.setReceiver(transport.new ChannelReceiver());
    try {
      channel.connect(settings.clusterName());
    } catch (Exception e) {
      channel.close();
      transport.viewEvents.shutdown();
      throw new ClusterException("node " + settings.nodeName() + " cannot join cluster "
          + settings.clusterName() + " on " + settings.bindHost() + ":" + settings.bindPort() + ": "
          + e.getMessage(), e);
    }
    // Node names must be unique (the user map hashes them, requests are addressed by them): a node
    // that finds its name taken by another member leaves instead of taking over its work. The other
    // may be this node's own previous run, killed a moment ago and not yet excluded, so it waits as
    // long as failure detection takes before deciding.
    long deadline = System.nanoTime() + settings.timeouts().suspect().plus(settings.timeouts().verifySuspect())
        .plusSeconds(1).toNanos();
    while (nameTakenByAnother(channel, settings.nodeName())) {
      if (System.nanoTime() - deadline > 0) {
        transport.close();
        throw new ClusterException("node name " + settings.nodeName() + " is already used by a live member of cluster "
            + settings.clusterName() + "; give every node its own name (--node-name)");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        transport.close();
        throw new ClusterException("interrupted while joining cluster " + settings.clusterName(), e);
      }
    }
    log.info("{} joined cluster {} on {}:{}, view {}", settings.nodeName(), settings.clusterName(),
        settings.bindHost(), settings.bindPort(), transport.view().members());
    return transport;
  }

  public String nodeName() {
    return settings.nodeName();
  }

  public String clusterName() {
    return settings.clusterName();
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** The channel, for tests that put a protocol of their own into the stack. */
  JChannel channel() {
    return channel;
  }

  /** The view installed last. */
  public ClusterView view() {
    return members.view();
  }

  /**
   * Calls {@code listener} with the current view and then with every later one, in order, each
   * view once.
   */
  public void addViewListener(Consumer<ClusterView> listener) {
    ViewSubscriber subscriber = new ViewSubscriber(listener);
    subscribers.add(subscriber);
    viewEvents.execute(() -> subscriber.deliver(members.view()));
  }

  /**
   * Sets the one receiver of frames from other nodes (the RPC endpoint) and hands it, in order, the
   * frames that arrived before it was set: a peer may ask this node something the moment the view
   * includes it, before its services are registered.
   */
  public void setFrameListener(FrameListener listener) {
    synchronized (early) {
      for (Object[] f : early) {
        deliver(listener, (String) f[0], (Sid) f[4], (byte[]) f[1], (int) f[2], (int) f[3]);
      }
      early.clear();
      this.frames = listener;
    }
  }

  private void deliver(FrameListener listener, String from, Sid principal, byte[] buffer, int offset, int length) {
    try {
      listener.onFrame(from, principal, buffer, offset, length);
    } catch (RuntimeException e) {
      // A listener bug must not reach JGroups' receiver thread, which would drop the rest of a batch.
      log.error("{} <-- {}: frame listener failed", nodeName(), from, e);
    }
  }

  /**
   * Sends {@code frame} to the member named {@code node} for the principal the calling thread works
   * for ({@link #currentPrincipal}); the array must not change afterwards.
   */
  public void send(String node, byte[] frame) throws ClusterException {
    send(node, currentPrincipal(), frame);
  }

  /** Sends {@code frame} to {@code node} for {@code principal}, which must be one of this node's. */
  public void send(String node, Sid principal, byte[] frame) throws ClusterException {
    Address target = members.addresses().get(node);
    if (target == null) {
      throw new ClusterException(node + " is not a member of view " + view().id());
    }
    transmit(new BytesMessage(target, frame), principal);
  }

  /** Sends {@code frame} to every other member, for the principal the calling thread works for. */
  public void broadcast(byte[] frame) throws ClusterException {
    transmit(new BytesMessage(null, frame), currentPrincipal());
  }

  /**
   * The principal bound to the calling thread if it is one of this node's, else the node itself: a
   * node speaks only for its own principals (receivers drop anything else as forged), so a request
   * made while serving another node's principal goes out as this node.
   */
  public Sid currentPrincipal() {
    Sid bound = Principals.currentOr(nodeSid);
    return bound.node().equals(nodeSid.node()) ? bound : nodeSid;
  }

  /** This node's own SID. */
  public Sid nodeSid() {
    return nodeSid;
  }

  /** The security layer's counts; all zero and {@code enabled = false} when it is off. */
  public SecurityCounters securityCounters() {
    return secure == null ? SecurityCounters.off() : secure.counters();
  }

  /** The security layer, empty when it is off: policy version source, revocation. */
  public Optional<SecureLayer> securityLayer() {
    return Optional.ofNullable(secure);
  }

  /** Where the policy version stamped on every message comes from; ignored when the layer is off. */
  public void policyVersion(LongSupplier version) {
    if (secure != null) {
      secure.policyVersion(version);
    }
  }

  /** Told of each message stamped with a newer policy version than this node's; ignored when the layer is off. */
  public void onNewerPolicy(NewerPolicy listener) {
    if (secure != null) {
      secure.onNewerPolicy(listener);
    }
  }

  private void transmit(Message message, Sid principal) throws ClusterException {
    message.putHeader(PrincipalHeader.MAGIC, principal.equals(nodeSid) ? nodePrincipal : new PrincipalHeader(principal));
    try {
      channel.send(message);
    } catch (Exception e) {
      throw new ClusterException("send failed: " + e.getMessage(), e);
    }
  }

  /**
   * Leaves the cluster (a graceful leave: the coordinator installs a view without this node at
   * once, so the others need not wait for failure detection), then releases the channel.
   */
  @Override
  public void close() {
    channel.disconnect();
    channel.close();
    viewEvents.shutdown();
  }

  private void install(View view) {
    List<String> names = new ArrayList<>(view.size());
    Map<String, Address> addresses = new HashMap<>();
    for (Address address : view.getMembers()) {
      String name = nameOf(address);
      names.add(name);
      // Two live nodes with one name: seen for a moment while a newcomer with a taken name finds
      // out and leaves (see start); the older keeps the name.
      if (addresses.putIfAbsent(name, address) != null) {
        log.warn("{}: two members are named {} in view {}; the newer one leaves",
            nodeName(), name, view.getViewId());
      }
    }
    String creator = nameOf(view.getViewId().getCreator());
    long sequence = view.getViewId().getId();
    ClusterView installed = new ClusterView(creator + "|" + sequence, sequence, names, nameOf(view.getCoord()),
        view instanceof org.jgroups.MergeView);
    members = new Members(installed, Map.copyOf(addresses));
    log.debug("{}: view {} {}", nodeName(), installed.id(), names);
    viewEvents.execute(() -> subscribers.forEach(s -> s.deliver(installed)));
  }

  private static boolean nameTakenByAnother(JChannel channel, String name) {
    for (Address member : channel.getView().getMembers()) {
      if (!member.equals(channel.getAddress()) && name.equals(nameOf(member))) {
        return true;
      }
    }
    return false;
  }

  /** A fresh member address that carries {@code nodeName}. */
  static ExtendedUUID newAddress(String nodeName) {
    return ExtendedUUID.randomUUID(nodeName).put(NAME_KEY, nodeName.getBytes(StandardCharsets.UTF_8));
  }

  /** A member's node name: from its address, else JGroups' name cache, else the address itself. */
  static String nameOf(Address address) {
    if (address instanceof ExtendedUUID extended && extended.keyExists(NAME_KEY)) {
      return new String(extended.get(NAME_KEY), StandardCharsets.UTF_8);
    }
    String name = NameCache.get(address);
    return name != null ? name : String.valueOf(address);
  }

  /** A listener plus the last view it saw, so that it never sees one twice. Used on viewEvents only. */
  private static final class ViewSubscriber {
    private final Consumer<ClusterView> listener;
    private String lastId;

    ViewSubscriber(Consumer<ClusterView> listener) {
      this.listener = listener;
    }

    void deliver(ClusterView view) {
      if (view.id().equals(lastId)) {
        return;
      }
      lastId = view.id();
      try {
        listener.accept(view);
      } catch (RuntimeException e) {
        log.error("view listener failed on view {}", view.id(), e);
      }
    }
  }

  /** JGroups' callbacks; kept apart so that the public class does not expose Receiver's methods. */
  private final class ChannelReceiver implements Receiver {
    @Override
    public void viewAccepted(View view) {
      install(view);
    }

    @Override
    public void receive(Message message) {
      if (!message.hasArray()) {
        log.warn("{} <-- {}: dropped a message without a byte payload", nodeName(), nameOf(message.getSrc()));
        return;
      }
      String from = nameOf(message.getSrc());
      Sid principal = principalOf(message, from);
      if (principal == null) {
        return;
      }
      FrameListener listener = frames;
      if (listener != null) { // the usual case: no lock once the endpoint listens
        deliver(listener, from, principal, message.getArray(), message.getOffset(), message.getLength());
        return;
      }
      synchronized (early) {
        listener = frames;
        if (listener == null) {
          if (early.size() < MAX_EARLY_FRAMES) {
            early.add(new Object[] {from, message.getArray(), message.getOffset(), message.getLength(), principal});
          } else {
            log.warn("{} <-- {}: dropped a frame, {} already wait for this node's services to start", nodeName(), from,
                MAX_EARLY_FRAMES);
          }
          return;
        }
      }
      deliver(listener, from, principal, message.getArray(), message.getOffset(), message.getLength());
    }

    /** The verified (layer on) or named (layer off) principal; the node itself for a peer that names none. */
    private Sid principalOf(Message message, String from) {
      PrincipalHeader header = message.getHeader(PrincipalHeader.MAGIC);
      try {
        return header != null ? header.principal() : Sid.node(from);
      } catch (IllegalArgumentException e) {
        log.warn("{} <-- {}: dropped a frame whose principal is not a security identifier: {}", nodeName(), from,
            e.getMessage());
        return null;
      }
    }
  }
}
