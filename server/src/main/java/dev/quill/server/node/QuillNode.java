package dev.quill.server.node;

import dev.quill.cluster.clock.HybridClock;
import dev.quill.cluster.directory.Directory;
import dev.quill.cluster.directory.ProfileAccess;
import dev.quill.cluster.directory.ProfileReplicas;
import dev.quill.cluster.directory.TombstonePruner;
import dev.quill.cluster.keys.KeyDistribution;
import dev.quill.cluster.keys.KeyRotation;
import dev.quill.cluster.keys.RevocationSync;
import dev.quill.cluster.keys.RevokedNodes;
import dev.quill.cluster.mail.ClusterDelivery;
import dev.quill.cluster.mail.ClusterMailStore;
import dev.quill.cluster.mail.FragmentAccess;
import dev.quill.cluster.mail.FragmentService;
import dev.quill.cluster.mail.LoadBalancer;
import dev.quill.cluster.mail.MissedChanges;
import dev.quill.cluster.mail.PendingRenames;
import dev.quill.cluster.mail.Rebalancer;
import dev.quill.cluster.mail.Renumberer;
import dev.quill.cluster.mail.ReplicaSync;
import dev.quill.cluster.mail.SyncHints;
import dev.quill.cluster.manager.ChangeNotices;
import dev.quill.cluster.manager.MaildropLeases;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ManagerService;
import dev.quill.cluster.manager.ManagerStatus;
import dev.quill.cluster.node.ClusterNode;
import dev.quill.cluster.node.NodeStats;
import dev.quill.cluster.security.PolicyAccessCheck;
import dev.quill.cluster.security.PolicyDistribution;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.imap.ImapService;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.pop3.MaildropLocks;
import dev.quill.mail.pop3.Pop3Config;
import dev.quill.mail.pop3.Pop3Service;
import dev.quill.mail.smtp.SmtpService;
import dev.quill.mail.tls.TlsContexts;
import dev.quill.security.Principals;
import dev.quill.security.SecurityEvents;
import dev.quill.security.Sid;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.TrafficKeys;
import dev.quill.server.admin.AdminEndpoint;
import dev.quill.server.admin.AdminService;
import dev.quill.server.admin.ClusterRebalance;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.LocalFragments;
import dev.quill.server.admin.MemberControl;
import dev.quill.server.admin.RebalanceControl;
import dev.quill.server.admin.SecurityControl;
import dev.quill.server.admin.StoreAdminOps;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.metrics.MetricsEndpoint;
import dev.quill.server.metrics.MetricsText;
import dev.quill.store.MailStore;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Quill node: opens the store, joins the cluster when a cluster port is configured, builds TLS,
 * and runs the SMTP, submission, POP3, IMAP and admin listeners over the store. {@link #close()}
 * stops accepting, lets sessions finish within the grace period, leaves the cluster and closes the
 * store cleanly.
 *
 * <p>In a cluster the mail services and the admin channel use a {@link ClusterMailStore}: any user's
 * mail on any node, gathered from and routed to the nodes holding it. Standalone, they use the
 * local store directly, exactly as before clustering existed.
 */
public final class QuillNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QuillNode.class);

  /** How long {@code cluster status} waits for each member's counts before showing it unreachable. */
  static final Duration STATS_TIMEOUT = Duration.ofSeconds(2);
  /** The members this node knows of, in its data directory: a restart still counts those presumed down. */
  static final String MEMBERS_FILE = "cluster-members";
  /** Fragment renames of a RENAME that some holder did not make yet, retried across restarts. */
  static final String PENDING_RENAMES_FILE = "pending-renames";
  /** How long a mail operation waits for another node (a manager, a fragment, a profile). */
  static final Duration CLUSTER_TIMEOUT = Duration.ofSeconds(10);
  /** How often every node compares the stamps of its profiles with the other members (anti-entropy). */
  static final Duration PROFILE_SYNC_INTERVAL = Duration.ofSeconds(30);
  /** How often a manager looks for mailboxes whose fragments disagree on UIDVALIDITY (free while there are none). */
  static final Duration RENUMBER_INTERVAL = Duration.ofSeconds(1);

  private final NodeConfig config;
  private final MailStore store;
  /** What the mail services and the admin channel use: the local store, or the cluster's. */
  private MailStore mail;
  private final Map<String, ProtocolServer> servers = new LinkedHashMap<>();
  private ClusterNode cluster;
  /** This node's share of the managers' soft state (mail maps, UID allocation); null when standalone. */
  private ManagerService managers;
  /** This node's POP3 sessions' maildrop locks at the users' managers; null when standalone. */
  private MaildropLeases maildrops;
  /** Moves this node's fragments to another node when asked ({@code cluster rebalance}); null when standalone. */
  private Rebalancer rebalancer;
  private Renumberer renumberer;
  private ReplicaSync catchUp;
  /** Serves traffic key rotations; null when standalone or with security off. */
  private KeyDistribution keyDistribution;
  /** Spreads the revoked names to members that missed a revocation; null when standalone or with security off. */
  private RevocationSync revocationSync;
  /** Rotates the traffic key on a schedule and on demand; null when standalone or with security off. */
  private KeyRotation keyRotation;
  /** The policy, its enforcement and the audit log; null when standalone. */
  private NodeSecurity security;
  /** Keeps the policy the same on every member; null when standalone. */
  private PolicyDistribution policyDistribution;
  private ProfileReplicas profileReplicas;
  private TombstonePruner tombstones;
  private SyncHints hints;
  private ProtocolServer admin;
  /** The metrics page over HTTP; null unless {@code [metrics] port} is set. */
  private MetricsEndpoint metrics;
  private boolean closed;

  private QuillNode(NodeConfig config, MailStore store) {
    this.config = config;
    this.store = store;
    this.mail = store;
  }

  /**
   * Opens the data directory, joins the cluster if one is configured, and starts every listener;
   * on failure nothing stays open.
   */
  public static QuillNode start(NodeConfig config) throws IOException {
    Files.createDirectories(config.data());
    MailStore store = StoreFactory.open(config);
    QuillNode node = new QuillNode(config, store);
    try {
      if (config.cluster().enabled()) {
        node.security = NodeSecurity.open(config.data(), nodeName(config));
        // the revoked names are refused from the first message heard, not only after a catch-up
        node.joinCluster(clusterSettings(config, node.security.events(), RevokedNodes.load(
            config.data().resolve(RevokedNodes.FILE))));
        // a node that missed a policy change or a revocation takes it before it serves
        node.policyDistribution.catchUp();
        if (node.revocationSync != null) {
          node.revocationSync.catchUp();
        }
      }
      node.startListeners();
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** The node's name in the cluster: the configured one, else the host's name. */
  static String nodeName(NodeConfig config) throws IOException {
    NodeConfig.Cluster c = config.cluster();
    return c.nodeName() != null ? c.nodeName() : NodeConfig.Cluster.checkName(InetAddress.getLocalHost().getHostName());
  }

  /**
   * The cluster settings a configuration describes (cluster port set); defaults resolved here, once.
   *
   * @param events told of every message the security layer refuses (the audit log)
   * @param revoked node names refused from the start ({@code <data>/security/revoked})
   */
  static ClusterSettings clusterSettings(NodeConfig config, SecurityEvents events, Set<String> revoked)
      throws IOException {
    NodeConfig.Cluster c = config.cluster();
    String name = nodeName(config);
    String bind = c.bind() != null ? c.bind() : config.bind();
    if (InetAddress.getByName(bind).isAnyLocalAddress()) {
      // Peers connect to the address the transport binds to, so it must be one they can reach.
      throw new IllegalArgumentException("cluster.bind: the cluster transport needs a concrete address that the other"
          + " nodes can reach, not " + bind + "; set cluster.bind or --cluster-bind");
    }
    return new ClusterSettings(c.name(), name, bind, c.port(), 0, c.join(), c.timeouts())
        .withSecurity(transportSecurity(c, name, events, revoked));
  }

  /**
   * The security layer a clustered node runs with: on, under the key ring of its credential file
   * (saved back there after every rotation), unless the configuration turns it off.
   *
   * @throws IllegalArgumentException if security is on and there is no credential, or it is another node's
   */
  static TransportSecurity transportSecurity(NodeConfig.Cluster c, String nodeName) throws IOException {
    return transportSecurity(c, nodeName, SecurityEvents.NONE, Set.of());
  }

  /** The same, telling {@code events} of every refused message and refusing the {@code revoked} nodes. */
  static TransportSecurity transportSecurity(NodeConfig.Cluster c, String nodeName, SecurityEvents events,
      Set<String> revoked) throws IOException {
    if (!c.security()) {
      return TransportSecurity.off();
    }
    if (c.credentials() == null) {
      throw new IllegalArgumentException("cluster.credentials: a clustered node needs a credential (the cluster"
          + " security layer is on). Create the cluster's CA once with ./quill cluster init --dir CA_DIR, issue this"
          + " node's with ./quill cluster add-node " + nodeName + " --ca CA_DIR --out FILE, then set [cluster]"
          + " credentials = \"FILE\" or --cluster-credentials FILE");
    }
    Path file = c.credentials();
    NodeCredential credential = NodeCredential.read(file);
    if (!credential.node().equals(nodeName)) {
      throw new IllegalArgumentException("cluster.credentials: " + file + " was issued to " + credential.node()
          + ", not to this node (" + nodeName + "); issue one with ./quill cluster add-node " + nodeName);
    }
    TrafficKeys keys = new TrafficKeys(credential.ring());
    keys.onChange(ring -> {
      try {
        credential.withRing(ring).write(file);
      } catch (IOException e) {
        log.error("cannot save the rotated cluster key ring to {}: {}; after a restart this node starts with its"
            + " older keys and takes the current one from a member again; check the file's disk and permissions",
            file, e.toString());
      }
    });
    return new TransportSecurity.On(keys, events, revoked, credential);
  }

  private void joinCluster(ClusterSettings settings) throws IOException {
    try {
      cluster = ClusterNode.start(settings, config.cluster().buckets(), store::pendingWrites, this::localStats,
          config.data().resolve(MEMBERS_FILE), this::startClusterServices);
    } catch (ClusterException e) {
      throw new IOException(e.getMessage(), e);
    }
    cluster.addMapListener((view, map, moves) -> log.info(
        "event=view id={} members={} coordinator={} buckets={} moved={}", view.id(), view.members(),
        view.coordinator(), map.bucketsOf(settings.nodeName()).length, moves.size()));
  }

  /**
   * Registers the node's cluster services before any other node's request is read: the managers
   * (told of every view with the map before it, to find the moved buckets), the storing side of
   * deliveries, access to this node's fragments and profiles, the directory of domains and aliases,
   * and change notices; then builds the cluster-wide store the mail services use.
   */
  private void startClusterServices(ClusterNode node) {
    if (node.transport().settings().security() instanceof TransportSecurity.On on) {
      RevokedNodes revoked;
      NodeCredential credential;
      try {
        revoked = new RevokedNodes(node.name(), config.data().resolve(RevokedNodes.FILE),
            node.transport().securityLayer().orElseThrow());
        credential = NodeCredential.read(config.cluster().credentials());
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + config.data().resolve(RevokedNodes.FILE) + " or the node"
            + " credential " + config.cluster().credentials() + ": " + e.getMessage(), e);
      }
      startKeyServices(node, on, revoked, credential);
      revocationSync = new RevocationSync(node.name(), node.rpc(), revoked, node::view, CLUSTER_TIMEOUT,
          credential.caPublic(), refusedOrders(node));
      node.addMapListener((view, map, moves) -> revocationSync.viewChanged(view));
    }
    // Every request from another node is checked against the cluster policy under its verified SID.
    node.rpc().setAccessCheck(new PolicyAccessCheck(security.enforcement()));
    node.transport().policyVersion(security.policies()::version);
    policyDistribution = new PolicyDistribution(node.name(), node.rpc(), security.policies(),
        config.data().resolve(NodeSecurity.POLICY_FILE), node::view, CLUSTER_TIMEOUT);
    node.addMapListener((view, map, moves) -> policyDistribution.viewChanged(view));
    // a message stamped with a newer policy than this node's: fetch it now, not at the next view change
    node.transport().onNewerPolicy(policyDistribution::newerVersionSeen);
    ManagerClient client = new ManagerClient(node.rpc(), node::map, CLUSTER_TIMEOUT, 20, Duration.ofMillis(50));
    maildrops = new MaildropLeases(node.name(), client, CLUSTER_TIMEOUT);
    managers = new ManagerService(node.name(), node.rpc(), store, node.map().buckets(), Clock.systemUTC(),
        node::membersSeen, maildrops::held, node::missingMembers);
    FragmentService storing = new FragmentService(node.rpc(), store, managers);
    AtomicBoolean catchingUp = new AtomicBoolean();
    // catchUp is set below, before the endpoint listens (no request reaches this before)
    FragmentAccess fragments = new FragmentAccess(node.rpc(), store, (user, box) -> catchUp.unreadable(user, box),
        managers);
    ProfileAccess profiles = new ProfileAccess(node.rpc(), store);
    long offset = config.cluster().clockOffsetMillis();
    HybridClock clock = new HybridClock(() -> System.currentTimeMillis() + offset);
    Directory directory = new Directory(node.name(), node.rpc(), store, () -> node.view().members(), clock);
    ChangeNotices notices = new ChangeNotices(node.name(), node.rpc(), node::map);
    LoadBalancer balancer = new LoadBalancer(config.cluster().spread());
    profileReplicas = new ProfileReplicas(node.name(), node.rpc(), store, clock, client, () -> node.view().members(),
        config.cluster().replication().profiles(), () -> node.view().members().size() + node.missingMembers().size(),
        (user, holders, count) -> profileSpares(node, balancer, user, holders, count), profiles::announceChanged,
        CLUSTER_TIMEOUT);
    catchUp = new ReplicaSync(node.name(), store, fragments, storing, client, () -> node.view().members(),
        CLUSTER_TIMEOUT, catchingUp, config.cluster().replication().replicas());
    node.addForgetListener(gone -> {
      if (config.cluster().replication().replicas() > 1) {
        catchUp.requestReplicate(); // what the forgotten node held gets its copies back
      }
    });
    MissedChanges missed = config.cluster().replication().replicas() > 1
        ? (hints = new SyncHints(node.rpc(), catchUp, () -> node.view().members(), CLUSTER_TIMEOUT))
        : MissedChanges.NONE;
    AtomicReference<UserMap> previous = new AtomicReference<>();
    AtomicReference<Set<String>> wasMissing = new AtomicReference<>(Set.of());
    node.addMapListener((view, map, moves) -> {
      UserMap before = previous.getAndSet(map);
      managers.viewChanged(view, before, map);
      notices.viewChanged(map);
      // The newcomers get this node's domains and aliases; on its first view, everybody else does.
      List<String> joined = new ArrayList<>(map.members());
      joined.removeAll(before == null ? List.of(node.name()) : before.members());
      directory.membersJoined(joined);
      // Catch-up: when this node comes (back) into a cluster with others, and when a member it had
      // counted as down returns (it may hold changes made on its side of a partition).
      // With one copy of each message there is nothing to catch up from.
      boolean replicated = config.cluster().replication().replicas() > 1;
      boolean firstWithOthers = replicated && (before == null || before.members().size() <= 1)
          && map.members().size() > 1;
      boolean returned = replicated && joined.stream().anyMatch(wasMissing.get()::contains);
      wasMissing.set(node.missingMembers());
      if (map.members().size() > 1 && (before == null || !joined.isEmpty() || view.merged())) {
        profileReplicas.requestSync(); // a member came (back): compare profile stamps with it
      }
      if (firstWithOthers) {
        catchUp.requestCatchUp();
      } else if (returned || (replicated && view.merged())) {
        // a merge: this node may have been excluded and readmitted without seeing it, or the other
        // side may hold changes made during a partition; every node compares, none hides its copies
        catchUp.requestSyncAll();
      }
    });
    rebalancer = new Rebalancer(node.name(), node.rpc(), store, storing, fragments, client, notices,
        () -> node.view().members(), CLUSTER_TIMEOUT);
    ClusterDelivery delivery = new ClusterDelivery(node.name(), client, storing,
        new LoadBalancer(config.cluster().spread()), () -> storingCandidates(node), node.loads()::get, CLUSTER_TIMEOUT,
        config.cluster().replication(), () -> node.view().members().size() + node.missingMembers().size(), missed);
    ClusterMailStore clustered = new ClusterMailStore(node.name(), store, client, fragments, profiles, profileReplicas,
        directory,
        delivery, notices, maildrops, () -> node.view().members(), node::missingMembers, CLUSTER_TIMEOUT,
        config.cluster().replication(), catchUp::unreadable, missed,
        new PendingRenames(node.name(), fragments, storing, client, missed, () -> node.view().members(), CLUSTER_TIMEOUT,
            config.data().resolve(PENDING_RENAMES_FILE)));
    node.addMapListener((view, map, moves) -> clustered.membershipChanged());
    renumberer = new Renumberer(node.name(), managers, fragments, config.cluster().replication().replicas(),
        CLUSTER_TIMEOUT, clustered::announce);
    renumberer.start(RENUMBER_INTERVAL);
    profileReplicas.start(PROFILE_SYNC_INTERVAL);
    Duration grace = config.cluster().tombstoneGrace();
    tombstones = new TombstonePruner(node.name(), node.rpc(), store, clock, () -> node.view().members(),
        node::membersSeen, grace, CLUSTER_TIMEOUT);
    // often enough that a tombstone goes soon after its grace period, seldom enough to cost nothing
    tombstones.start(Collections.max(List.of(Duration.ofSeconds(1),
        Collections.min(List.of(grace.dividedBy(4), Duration.ofMinutes(10))))));
    if (config.cluster().replication().replicas() > 1) {
      catchUp.startSweeps(config.cluster().antiEntropyInterval(), node::missingMembers);
    }
    mail = clustered;
  }

  /**
   * Up to {@code count} live nodes, least loaded first, that do not hold a user's profile: its new
   * copies; equal loads go by the user's own order of the nodes, so copies spread over the cluster.
   */
  private static List<String> profileSpares(ClusterNode node, LoadBalancer balancer, String user, Set<String> holders,
      int count) {
    List<String> candidates = storingCandidates(node).stream().filter(n -> !holders.contains(n)).toList();
    if (candidates.isEmpty() || count < 1) {
      return List.of();
    }
    return balancer.chooseAll(Set.of(), candidates, node.name(), node.loads()::get, Math.min(count, candidates.size()),
        LoadBalancer.tieKey(user));
  }

  /** Members that may store new mail: the view without the nodes that announced they are leaving. */
  private static List<String> storingCandidates(ClusterNode node) {
    List<String> members = new ArrayList<>(node.view().members());
    members.removeAll(node.leavingMembers());
    return members;
  }

  /** This node's counts and how far its catch-up or anti-entropy is, for {@code cluster status}. */
  private NodeStats localStats() {
    ReplicaSync sync = catchUp;
    return LocalCounts.of(store).withSync(sync == null || config.cluster().replication().replicas() < 2 ? "-"
        : sync.progress());
  }

  /** This node's replication of profiles, for tests; empty when standalone. */
  public java.util.Optional<ProfileReplicas> profileReplicas() {
    return java.util.Optional.ofNullable(profileReplicas);
  }

  /** This node's pruning of tombstones, for tests; empty when standalone. */
  public java.util.Optional<TombstonePruner> tombstones() {
    return java.util.Optional.ofNullable(tombstones);
  }

  /** This node's catch-up of replicated messages, for tests; empty when standalone. */
  public java.util.Optional<ReplicaSync> catchUp() {
    return java.util.Optional.ofNullable(catchUp);
  }

  /** Refused key and revocation orders go to the security layer: counted, audited, logged. */
  private static dev.quill.cluster.keys.RefusedOrders refusedOrders(ClusterNode node) {
    return (from, what) -> node.transport().securityLayer().ifPresent(layer -> layer.refusedOrder(from, what));
  }

  /** Serves key rotations with this node's X25519 key from its credential (read again: only the ring was kept). */
  private void startKeyServices(ClusterNode node, TransportSecurity.On on, RevokedNodes revoked,
      NodeCredential credential) {
    try {
      keyDistribution = new KeyDistribution(node.rpc(), node.transport(), on.keys(), credential.privateKey(),
          credential.publicKey(), credential.caPublic(), revoked);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the node credential " + config.cluster().credentials() + ": "
          + e.getMessage(), e);
    }
    keyRotation = new KeyRotation(node.name(), node.rpc(), node::view, on.keys(), credential, CLUSTER_TIMEOUT,
        refusedOrders(node));
    keyRotation.start(config.cluster().keyRotation());
  }

  /** Moves the cluster to a new traffic key now, through the security server ({@code cluster rotate-key}). */
  private List<String> rotateKey() {
    if (keyRotation == null) {
      throw new IllegalArgumentException("this node runs without cluster security: there are no keys to rotate");
    }
    return keyRotation.rotateNow();
  }

  /** The current traffic key sealed for a credential being issued ({@code cluster add-node --data}). */
  private Map.Entry<Integer, byte[]> sealKey(byte[] x25519Public) {
    if (keyRotation == null) {
      throw new IllegalArgumentException("this node runs without cluster security: there is no key to give");
    }
    try {
      return keyRotation.sealCurrent(java.security.KeyFactory.getInstance("X25519")
          .generatePublic(new java.security.spec.X509EncodedKeySpec(x25519Public)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X25519 public key: " + e.getMessage(), e);
    }
  }

  /** Rotates the cluster to key {@code keyId} and locks {@code revoked} out ({@code cluster revoke}). */
  private List<String> rekey(dev.quill.server.admin.RekeyOrder order) {
    if (keyDistribution == null) {
      throw new IllegalArgumentException("this node runs without cluster security: there are no keys to rotate");
    }
    // an operator's command, not a request on a client's path: a member slow for a moment (GC, a busy
    // machine) must not fail the rotation, which would leave old keys accepted until it is run again
    return keyDistribution.rotate(order.keyId(), order.sealed(), order.signatures(), order.retireSignature(),
        order.revoked(), order.revocationSignature(), CLUSTER_TIMEOUT);
  }

  /** Gives {@code gone} up on every member and says, per member, whether it confirmed. */
  private List<String> forget(String gone) {
    List<String> lines = new ArrayList<>();
    cluster.forget(gone, STATS_TIMEOUT).forEach((member, call) -> {
      try {
        call.join();
        lines.add(member + ": forgotten");
      } catch (RuntimeException e) {
        lines.add(member + ": did not confirm (" + e.getMessage() + "); run the command again");
      }
    });
    return lines;
  }

  /** The managers' state on this node, for status and tests; empty when standalone. */
  public java.util.Optional<ManagerStatus> managerStatus() {
    return java.util.Optional.ofNullable(managers).map(ManagerService::status);
  }

  /** What {@code cluster status} shows: this node's view of the cluster and every member's counts. */
  public ClusterReport clusterReport() {
    if (cluster == null) {
      return ClusterReports.standalone(config.hostname(), LocalCounts.of(store));
    }
    return ClusterReports.clustered(cluster.status(), cluster.memberStats(STATS_TIMEOUT));
  }

  private void startListeners() throws IOException {
    InetAddress bind = InetAddress.getByName(config.bind());
    SSLContext tls = config.tls().certificate() != null
        ? TlsContexts.fromPem(config.tls().certificate(), config.tls().privateKey())
        : TlsContexts.selfSigned(config.hostname(), config.data());
    NodeConfig.Auth a = config.auth();
    LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Limits(a.failureDelay(), a.maxFailuresPerIp(),
        a.maxFailuresPerUser(), a.failureWindow()), Clock.systemUTC());
    NodeConfig.Smtp s = config.smtp();
    SmtpService smtp = new SmtpService(ServiceConfigs.smtp(config, false), mail, tls, throttle, Clock.systemUTC());
    SmtpService submission = new SmtpService(ServiceConfigs.smtp(config, true), mail, tls, throttle, Clock.systemUTC());
    start(new ListenerConfig("smtp", bind, s.port(), false, s.maxConnections(), s.maxConnectionsPerIp(),
        smtp.busyReply(), config.gracePeriod()), tls, smtp);
    start(new ListenerConfig("submission", bind, config.submission().port(), false, s.maxConnections(),
        s.maxConnectionsPerIp(), submission.busyReply(), config.gracePeriod()), tls, submission);
    if (config.submission().implicitTlsPort() > 0) {
      start(new ListenerConfig("submissions", bind, config.submission().implicitTlsPort(), true, s.maxConnections(),
          s.maxConnectionsPerIp(), null, config.gracePeriod()), tls, submission);
    }
    NodeConfig.Pop3 p = config.pop3();
    Pop3Config pop3 = ServiceConfigs.pop3(config);
    MaildropLocks locks = new MaildropLocks();
    String popBusy = "-ERR [SYS/TEMP] too many connections, try again later";
    start(new ListenerConfig("pop3", bind, p.port(), false, p.maxConnections(), p.maxConnectionsPerIp(), popBusy,
        config.gracePeriod()), tls, new Pop3Service(pop3, mail, tls, throttle, locks));
    if (p.implicitTlsPort() > 0) {
      start(new ListenerConfig("pop3s", bind, p.implicitTlsPort(), true, p.maxConnections(), p.maxConnectionsPerIp(),
          popBusy, config.gracePeriod()), tls, new Pop3Service(pop3, mail, tls, throttle, locks));
    }
    NodeConfig.Imap i = config.imap();
    ImapService imap = new ImapService(ServiceConfigs.imap(config), mail, tls, throttle, Clock.systemUTC());
    String imapBusy = "* BYE [UNAVAILABLE] too many connections, try again later";
    start(new ListenerConfig("imap", bind, i.port(), false, i.maxConnections(), i.maxConnectionsPerIp(), imapBusy,
        config.gracePeriod()), tls, imap);
    if (i.implicitTlsPort() > 0) {
      start(new ListenerConfig("imaps", bind, i.implicitTlsPort(), true, i.maxConnections(), i.maxConnectionsPerIp(),
          null, config.gracePeriod()), tls, imap);
    }

    String token = AdminEndpoint.newToken();
    admin = new ProtocolServer(new ListenerConfig("admin", InetAddress.getLoopbackAddress(), 0, false, 16, 16, null,
        Duration.ofSeconds(2)), null, asService("admin", new AdminService(new StoreAdminOps(mail, false), this::clusterReport,
        cluster == null ? RebalanceControl.STANDALONE
            : new ClusterRebalance(rebalancer, () -> cluster.memberStats(STATS_TIMEOUT)),
        cluster == null ? MemberControl.STANDALONE : new MemberControl() {
          @Override
          public List<String> forget(String node) {
            return QuillNode.this.forget(node);
          }

          @Override
          public List<String> rekey(dev.quill.server.admin.RekeyOrder order) {
            return QuillNode.this.rekey(order);
          }

          @Override
          public List<String> rotateKey() {
            return QuillNode.this.rotateKey();
          }

          @Override
          public Map.Entry<Integer, byte[]> sealKey(byte[] x25519Public) {
            return QuillNode.this.sealKey(x25519Public);
          }
        },
        users -> LocalFragments.of(cluster == null ? "standalone" : cluster.name(), store, users),
        cluster == null ? SecurityControl.STANDALONE : securityControl(), token)));
    int adminPort = admin.start();
    new AdminEndpoint(adminPort, token).write(config.data());
    if (config.metrics().port() > 0) {
      String name = cluster == null ? config.hostname() : cluster.name();
      SecurityControl control = cluster == null ? null : securityControl();
      metrics = MetricsEndpoint.start(config.metrics().bind(), config.metrics().port(),
          () -> MetricsText.render(name, cluster != null, control == null ? null : control.show()));
    }
    log.info("node started hostname={} data={} ports={} cluster={}", config.hostname(), config.data().toAbsolutePath(),
        ports(), cluster == null ? "none" : cluster.name() + "@" + config.cluster().port());
  }

  private void start(ListenerConfig listener, SSLContext tls, ConnectionHandler handler) throws IOException {
    ProtocolServer server = new ProtocolServer(listener, tls, asService(listener.name(), handler));
    servers.put(listener.name(), server);
    server.start();
  }

  /** The admin channel's view of the cluster policy: push through the security server, show this node's state. */
  private SecurityControl securityControl() {
    return new SecurityControl() {
      @Override
      public PushReport push(String text) {
        PolicyDistribution.PushResult r = policyDistribution.push(text);
        return new PushReport(r.version(), r.installed(), r.missing());
      }

      @Override
      public Report show() {
        var counts = security.enforcement().snapshot();
        var transport = cluster.transport().securityCounters();
        Map<String, Long> dropped = new java.util.TreeMap<>();
        transport.dropped().forEach((reason, n) -> dropped.put(reason.name(), n));
        return new Report(cluster.name(), cluster.view().coordinator(), security.policies().version(),
            security.policies().policy().toText(), counts.allows(), counts.audits(), counts.denies(),
            security.audit().written(), security.audit().dropped(), transport.enabled(), transport.sealed(),
            transport.opened(), dropped);
      }
    };
  }

  /**
   * Runs each session of a listener as its service's principal ({@code service:imap@n1}; submission
   * and the implicit-TLS ports as their protocol's), which becomes the user's once the user logs in:
   * what the cluster's policy sees on every request the session makes to other nodes.
   */
  private ConnectionHandler asService(String listener, ConnectionHandler handler) {
    String service = switch (listener) {
      case "submissions" -> "submission";
      case "pop3s" -> "pop3";
      case "imaps" -> "imap";
      default -> listener;
    };
    Sid sid = Sid.service(service, cluster == null ? config.hostname() : cluster.name());
    return connection -> Principals.session(sid, () -> {
      handler.handle(connection);
      return null;
    });
  }

  /** The bound port of the metrics page, when it is served. */
  public java.util.OptionalInt metricsPort() {
    return metrics == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(metrics.port());
  }

  /** The bound port of each listener, by service name ("smtp", "submission", "pop3", ...). */
  public Map<String, Integer> ports() {
    Map<String, Integer> m = new LinkedHashMap<>();
    servers.forEach((name, s) -> m.put(name, s.port()));
    return m;
  }

  /** The node's own store (its share of the cluster's mail; all of it when standalone). */
  public MailStore store() {
    return store;
  }

  /** The store the mail services use: the cluster's when clustered, else {@link #store()}. */
  public MailStore mailStore() {
    return mail;
  }

  /** The node's cluster membership, or null when no cluster port is configured. */
  public ClusterNode cluster() {
    return cluster;
  }

  /**
   * Announces the leave to the cluster (its balancers stop choosing this node), stops all listeners
   * (sessions get the grace period), then leaves the cluster (the others see a graceful leave at
   * once, not a failure), then closes the store. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (cluster != null) {
      cluster.announceLeaving(); // the others stop storing new mail here while sessions finish
    }
    try {
      Files.deleteIfExists(AdminEndpoint.file(config.data()));
    } catch (IOException e) {
      log.warn("could not remove {}: {}", AdminEndpoint.file(config.data()), e.toString());
    }
    List<Thread> stoppers = new ArrayList<>();
    for (ProtocolServer s : servers.values()) {
      stoppers.add(Thread.ofVirtual().start(s::close)); // in parallel: one grace period, not one per listener
    }
    for (Thread t : stoppers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (admin != null) {
      admin.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    if (keyRotation != null) {
      keyRotation.close();
    }
    if (renumberer != null) {
      renumberer.close();
    }
    if (rebalancer != null) {
      rebalancer.close();
    }
    if (mail instanceof ClusterMailStore clustered) {
      clustered.close(); // its background renames
    }
    if (catchUp != null) {
      catchUp.close();
    }
    if (hints != null) {
      hints.close();
    }
    if (profileReplicas != null) {
      profileReplicas.close();
    }
    if (tombstones != null) {
      tombstones.close();
    }
    if (maildrops != null) {
      maildrops.close();
    }
    if (managers != null) {
      managers.close();
    }
    if (cluster != null) {
      cluster.close();
      log.info("event=leave node={}", cluster.name());
    }
    if (security != null) {
      security.close(); // after the transport: its last refusals are audited too
    }
    store.close();
    log.info("node stopped data={}", config.data().toAbsolutePath());
  }
}
