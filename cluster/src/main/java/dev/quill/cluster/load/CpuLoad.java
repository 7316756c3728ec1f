package dev.quill.cluster.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * The CPU load a node reports: how busy the CPUs this process may run on were since the previous
 * sample, from 0 to 1. On a dedicated machine that is the whole machine; in a container or under
 * {@code taskset} it is only the node's own CPUs, so a CPU hog sharing them makes the node look
 * busy while nodes on other CPUs of the same machine do not. Linux: {@code /proc/self/status}
 * (Cpus_allowed_list) and {@code /proc/stat}; elsewhere the JVM's machine-wide figure.
 *
 * <p>Not thread-safe: one reporter samples it.
 */
public final class CpuLoad {
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final Path status;
  private final Path stat;
  private BitSet lastAllowed;
  private long lastBusy = -1;
  private long lastTotal = -1;

  /** Reads this process's CPUs from the real {@code /proc}. */
  public CpuLoad() {
    this(Path.of("/proc/self/status"), Path.of("/proc/stat"));
  }

  /** Reads the given files (tests supply their own). */
  CpuLoad(Path status, Path stat) {
    this.status = status;
    this.stat = stat;
  }

  /** Load since the previous call (the first call: since boot), or -1 when nothing can say. */
  public double sample() {
    try {
      BitSet allowed = allowedCpus(Files.readAllLines(status));
      long[] now = busyAndTotal(Files.readAllLines(stat), allowed);
      // A new CPU set (taskset, cpuset change) has its own counters: start over from them.
      boolean fresh = lastTotal < 0 || now[1] <= lastTotal || !Objects.equals(allowed, lastAllowed);
      double load = fresh ? ratio(now[0], now[1]) : ratio(now[0] - lastBusy, now[1] - lastTotal);
      lastAllowed = allowed;
      lastBusy = now[0];
      lastTotal = now[1];
      return load;
    } catch (IOException | RuntimeException e) {
      double machine = OS.getCpuLoad();
      return machine < 0 ? -1 : Math.min(machine, 1);
    }
  }

  private static double ratio(long busy, long total) {
    return total <= 0 ? 0 : Math.max(0, Math.min(1, (double) busy / total));
  }

  /** The CPUs of a {@code Cpus_allowed_list:} line such as {@code 0-3,6}; null (every CPU) when the line is missing. */
  static BitSet allowedCpus(List<String> statusLines) {
    for (String line : statusLines) {
      if (line.startsWith("Cpus_allowed_list:")) {
        BitSet cpus = new BitSet();
        for (String part : line.substring(line.indexOf(':') + 1).trim().split(",")) {
          if (part.isBlank()) {
            continue;
          }
          int dash = part.indexOf('-');
          int from = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).trim());
          int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).trim());
          cpus.set(from, to + 1);
        }
        return cpus;
      }
    }
    return null;
  }

  /**
   * Busy and total jiffies of the allowed CPUs' {@code cpuN} lines: total is user + nice + system +
   * idle + iowait + irq + softirq + steal (guest time is already in user), busy is total less idle
   * and iowait.
   *
   * @param allowed the CPUs to count, or null for all
   */
  static long[] busyAndTotal(List<String> statLines, BitSet allowed) {
    long busy = 0;
    long total = 0;
    boolean any = false;
    for (String line : statLines) {
      if (!line.startsWith("cpu") || line.length() < 4 || !Character.isDigit(line.charAt(3))) {
        continue;
      }
      String[] f = line.trim().split("\\s+");
      int cpu = Integer.parseInt(f[0].substring(3));
      if ((allowed != null && !allowed.get(cpu)) || f.length < 5) {
        continue;
      }
      long sum = 0;
      for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
        sum += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
      busy += sum - idle;
      total += sum;
      any = true;
    }
    if (!any) {
      throw new IllegalStateException("no line of /proc/stat for the allowed CPUs");
    }
    return new long[] {busy, total};
  }
}
