package dev.quill.cluster.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * The JGroups protocol stack of a Quill node, built in code from {@link ClusterSettings} (no XML:
 * every value is visible here and typed).
 *
 * <p>Bottom to top, each layer has one job:
 * <ul>
 *   <li>TCP: the transport; one connection per peer, works where multicast does not (clouds, containers).
 *       When security is on, {@link SealingTcp}: seals every frame that leaves (a bundle of messages)
 *       and opens every one that arrives, so that everything above — discovery included — is
 *       confidential, authenticated and never replayed
 *   <li>SecureLayer (when security is on): puts the principal on every message that leaves and checks
 *       it on every one that arrives (a node speaks only for its own principals; revoked, misdirected)
 *   <li>TCPPING: discovery from the seed list (plus this node, so that a restarted seed finds its peers)
 *   <li>MERGE3: finds and merges partitions that healed (two coordinators that see each other)
 *   <li>FD_SOCK2: notices a crashed process at once (its failure-detection socket closes)
 *   <li>FD_ALL3: notices a hung process (no heartbeat for {@code suspect})
 *   <li>VERIFY_SUSPECT2: double-checks a suspicion before excluding, so one lost heartbeat costs nothing
 *   <li>NAKACK2: reliable, ordered broadcasts (load gossip, later view-wide notices)
 *   <li>UNICAST3: reliable, ordered point-to-point messages (every request and response)
 *   <li>STABLE: garbage-collects broadcasts every member has seen
 *   <li>GMS: group membership, views, joins and leaves
 *   <li>MFC / UFC: flow control, so a fast sender cannot fill a slow receiver's memory
 *   <li>FRAG4: splits large messages (mail bodies) into fragments below the transport's limit
 * </ul>
 */
final class JGroupsStack {
  private JGroupsStack() {}

  static List<Protocol> build(ClusterSettings settings) throws UnknownHostException {
    InetAddress bind = InetAddress.getByName(settings.bindHost());
    if (bind.isAnyLocalAddress()) {
      // The bind address is also the address peers are told to connect to (and our own TCPPING entry).
      throw new IllegalArgumentException("cluster bind host must be a concrete address, not " + settings.bindHost());
    }
    ClusterSettings.Timeouts t = settings.timeouts();

    SecureLayer secure = null;
    if (settings.security() instanceof TransportSecurity.On on) {
      secure = new SecureLayer(settings.nodeName(), on.keys(), on.events(), on.credential());
      on.revoked().forEach(secure::revoke);
    }
    TCP tcp = secure != null ? secure.newTransport() : new QuietTcp();
    tcp.setBindAddress(bind);
    tcp.setBindPort(settings.bindPort());
    tcp.setPortRange(settings.portRange());
    // JGroups leaves Nagle on: an answer written while the request's ACK is still delayed waited
    // for that ACK, about 40 ms on Linux, at every lone request (a POP3 login made five of them).
    tcp.tcpNodelay(true);

    // The seeds plus ourselves: a node that is itself a seed must find the others' answers the
    // same way, and a list without it makes a restarted seed form a separate cluster more easily.
    List<InetSocketAddress> hosts = new ArrayList<>();
    hosts.add(new InetSocketAddress(bind, settings.bindPort()));
    for (HostPort seed : settings.seeds()) {
      hosts.add(seed.toSocketAddress());
    }
    if (tcp instanceof SealingTcp sealing) {
      List<org.jgroups.PhysicalAddress> others = new ArrayList<>();
      for (InetSocketAddress h : hosts.subList(1, hosts.size())) {
        if (!h.equals(hosts.get(0))) {
          others.add(new org.jgroups.stack.IpAddress(h));
        }
      }
      sealing.seeds(others);
    }
    TCPPING ping = new TCPPING();
    ping.setInitialHosts(hosts);
    ping.setPortRange(settings.portRange());

    MERGE3 merge = new MERGE3()
        .setMinInterval(t.mergeMin().toMillis())
        .setMaxInterval(t.mergeMax().toMillis());

    FD_SOCK2 sockets = new FD_SOCK2().setBindAddress(bind);

    FD_ALL3 heartbeats = new FD_ALL3().setInterval(t.heartbeat().toMillis()).setTimeout(t.suspect().toMillis());

    VERIFY_SUSPECT2 verify = new VERIFY_SUSPECT2().setTimeout(t.verifySuspect().toMillis());

    GMS gms = new GMS()
        .setJoinTimeout(t.join().toMillis())
        .setLeaveTimeout(t.join().toMillis())
        // JGroups prints a banner with the local address to stdout by default; the node logs instead.
        .printLocalAddress(false);

    List<Protocol> stack = new ArrayList<>(List.of(tcp));
    if (secure != null) {
      stack.add(secure);
    }
    stack.addAll(List.of(ping, merge, sockets, heartbeats, verify, new NAKACK2(), new UNICAST3(),
        new STABLE(), gms, new MFC(), new UFC(), new FRAG4()));
    return stack;
  }
}
