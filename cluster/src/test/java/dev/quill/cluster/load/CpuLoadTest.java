package dev.quill.cluster.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The CPU load of the CPUs a process may run on, from /proc files written here. */
class CpuLoadTest {

  @Example
  void cpuListsOfTaskset_areRead() {
    BitSet cpus = CpuLoad.allowedCpus(List.of("Name:\tjava", "Cpus_allowed:\t5", "Cpus_allowed_list:\t0,2-3,7"));
    assertThat(cpus.stream().boxed().toList()).containsExactly(0, 2, 3, 7);
    assertThat(CpuLoad.allowedCpus(List.of("Name:\tjava"))).as("no line: every CPU").isNull();
  }

  @Property
  void aRangeList_namesExactlyItsCpus(@ForAll @IntRange(min = 0, max = 500) int from, @ForAll @IntRange(min = 0, max = 20) int width) {
    BitSet cpus = CpuLoad.allowedCpus(List.of("Cpus_allowed_list:\t" + from + "-" + (from + width)));
    assertThat(cpus.cardinality()).isEqualTo(width + 1);
    assertThat(cpus.nextSetBit(0)).isEqualTo(from);
  }

  @Example
  void onlyTheAllowedCpus_count() throws Exception {
    Path dir = procFiles("0");
    Path status = dir.resolve("status");
    Path stat = dir.resolve("stat");
    // user nice system idle iowait irq softirq steal guest guest_nice
    Files.writeString(stat, """
        cpu  200 0 0 200 0 0 0 0 0 0
        cpu0 100 0 0 100 0 0 0 0 0 0
        cpu1 100 0 0 100 0 0 0 0 0 0
        intr 1
        """);
    CpuLoad load = new CpuLoad(status, stat);
    assertThat(load.sample()).as("since boot").isEqualTo(0.5);
    // cpu0 (ours, with a hog) fully busy since; cpu1 fully idle
    Files.writeString(stat, """
        cpu  300 0 0 300 0 0 0 0 0 0
        cpu0 180 0 10 100 0 5 5 0 0 0
        cpu1 100 0 0 200 0 0 0 0 0 0
        """);
    assertThat(load.sample()).isEqualTo(1.0);
    Files.writeString(status, "Cpus_allowed_list:\t1\n");
    Files.writeString(stat, """
        cpu1 100 0 0 300 0 0 0 0 0 0
        """);
    assertThat(load.sample()).as("moved to cpu1: its own counters since boot").isEqualTo(0.25);
  }

  @Example
  void iowaitIsIdle_andUnreadableFilesFallBackToTheMachine() throws Exception {
    Path dir = procFiles("0-1");
    Path status = dir.resolve("status");
    Path stat = dir.resolve("stat");
    Files.writeString(stat, "cpu0 10 0 0 50 40 0 0 0\ncpu1 10 0 0 50 40 0 0 0\n");
    assertThat(new CpuLoad(status, stat).sample()).isEqualTo(0.1);
    double fallback = new CpuLoad(dir.resolve("missing"), stat).sample();
    assertThat(fallback == -1 || (fallback >= 0 && fallback <= 1)).isTrue();
  }

  /** A directory for a fake {@code status} (with the given CPU list, deleted at exit) and {@code stat}. */
  private static Path procFiles(String cpuList) throws Exception {
    Path dir = Files.createTempDirectory("cpuload");
    dir.toFile().deleteOnExit();
    Path status = dir.resolve("status");
    Files.writeString(status, "Cpus_allowed_list:\t" + cpuList + "\n");
    status.toFile().deleteOnExit();
    dir.resolve("stat").toFile().deleteOnExit();
    return dir;
  }
}
