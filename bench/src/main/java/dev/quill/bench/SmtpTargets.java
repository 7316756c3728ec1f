package dev.quill.bench;

import dev.quill.cluster.transport.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SMTP endpoints a benchmark run spreads its connections over, in turn: connection <i>n</i> of the run goes to
 * endpoint <i>n</i> mod <i>k</i>. One endpoint is a single server; several are the nodes of a cluster, each of
 * which accepts mail for every user, so the same load can be offered to one node or to all of them.
 *
 * @param endpoints at least one, in the order given
 */
record SmtpTargets(List<HostPort> endpoints) {
  /** Most endpoints one run accepts; a longer list is a typo, not a cluster on one machine. */
  static final int MAX_ENDPOINTS = 1000;

  SmtpTargets {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no SMTP endpoint given");
    }
  }

  /** A single server. */
  static SmtpTargets of(String host, int port) {
    return new SmtpTargets(List.of(new HostPort(host, port)));
  }

  /**
   * Parses {@code HOST:PORT[,HOST:PORT...]} (IPv6 hosts in brackets, spaces around commas allowed).
   *
   * @throws IllegalArgumentException naming the bad item, for an empty item, a missing or invalid port, or more
   *     than {@link #MAX_ENDPOINTS} items
   */
  static SmtpTargets parse(String list) {
    String[] items = list.split(",", -1);
    if (items.length > MAX_ENDPOINTS) {
      throw new IllegalArgumentException(items.length + " endpoints given, at most " + MAX_ENDPOINTS);
    }
    var endpoints = new ArrayList<HostPort>(items.length);
    for (String item : items) {
      if (item.isBlank()) {
        throw new IllegalArgumentException("empty endpoint in '" + list + "'");
      }
      endpoints.add(HostPort.parse(item));
    }
    return new SmtpTargets(endpoints);
  }

  /** How many endpoints there are. */
  int size() {
    return endpoints.size();
  }

  /** The index of the endpoint the {@code connection}-th connection of the run (from 0) goes to. */
  int indexFor(long connection) {
    return (int) Math.floorMod(connection, (long) endpoints.size());
  }

  /** The endpoint at {@code index}. */
  HostPort get(int index) {
    return endpoints.get(index);
  }

  /** The list as given on the command line, e.g. {@code 127.0.0.1:2525,127.0.0.1:3525}. */
  @Override
  public String toString() {
    return endpoints.stream().map(HostPort::toString).collect(Collectors.joining(","));
  }
}
