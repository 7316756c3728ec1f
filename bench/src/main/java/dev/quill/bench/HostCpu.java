package dev.quill.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The whole machine's CPU time from /proc/stat, so that a run can say how much CPU each message
 * cost — every process on the host counted, servers and load generator alike. Throughput on a
 * shared two-core machine wanders by ±10% between runs; CPU per message wanders far less, which
 * is what comparing two builds needs.
 *
 * @param busyMillis time the CPUs spent on anything but idle and I/O wait, summed over CPUs
 * @param totalMillis all time, summed over CPUs
 */
public record HostCpu(long busyMillis, long totalMillis) {
  /** /proc/stat counts in USER_HZ, which Linux fixes at 100 for user space. */
  private static final long MILLIS_PER_TICK = 10;

  /** Now, or null where /proc/stat cannot be read (not Linux). */
  public static HostCpu now() {
    try {
      return parse(Files.readAllLines(Path.of("/proc/stat")).getFirst());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The aggregate "cpu" line of /proc/stat. */
  static HostCpu parse(String cpuLine) {
    String[] f = cpuLine.trim().split("\\s+");
    if (!f[0].equals("cpu") || f.length < 5) {
      throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + cpuLine);
    }
    long total = 0;
    long idle = 0;
    // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
    for (int i = 1; i < Math.min(f.length, 9); i++) {
      long v = Long.parseLong(f[i]);
      total += v;
      if (i == 4 || i == 5) {
        idle += v;
      }
    }
    return new HostCpu((total - idle) * MILLIS_PER_TICK, total * MILLIS_PER_TICK);
  }

  /** The CPU time between {@code earlier} and this. */
  public HostCpu since(HostCpu earlier) {
    return new HostCpu(busyMillis - earlier.busyMillis, totalMillis - earlier.totalMillis);
  }
}
