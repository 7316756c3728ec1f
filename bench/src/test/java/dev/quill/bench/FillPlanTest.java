package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FillPlanTest {
  @Test
  void usersOf_partitionsEveryUserOnce_roundRobin() {
    var plan = new FillPlan(10, 3, 2, "example.test");
    assertThat(plan.usersOf(0)).containsExactly("user1@example.test", "user4@example.test", "user7@example.test",
        "user10@example.test");
    assertThat(plan.usersOf(2)).containsExactly("user3@example.test", "user6@example.test", "user9@example.test");
    var all = new HashSet<String>();
    IntStream.range(0, 3).forEach(n -> all.addAll(plan.usersOf(n)));
    assertThat(all).hasSize(10);
  }

  @Test
  void batches_coverTheNodesUsersInOrder_noneLargerThanAsked() {
    var plan = new FillPlan(1000, 3, 10, "example.test");
    List<List<String>> batches = plan.batches(1, 64);
    assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeBetween(1, 64));
    var flat = new ArrayList<String>();
    batches.forEach(flat::addAll);
    assertThat(flat).isEqualTo(plan.usersOf(1));
    assertThat(batches).hasSize((333 + 63) / 64);
  }

  @Test
  void messageCounts_targetCase_oneMillionOverThreeNodes() {
    var plan = new FillPlan(100_000, 3, 10, "example.test");
    assertThat(plan.totalMessages()).isEqualTo(1_000_000);
    assertThat(plan.messagesOf(0)).isEqualTo(333_340);
    assertThat(plan.messagesOf(1) + plan.messagesOf(2)).isEqualTo(666_660);
    assertThat(IntStream.range(0, 3).mapToLong(n -> plan.usersOf(n).size() * 10L).sum()).isEqualTo(1_000_000);
  }

  @Test
  void noMessages_isAllowed_badArgumentsAreNot() {
    assertThat(new FillPlan(5, 2, 0, "d.test").totalMessages()).isZero();
    assertThatThrownBy(() -> new FillPlan(0, 2, 1, "d.test")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FillPlan(5, 2, -1, "d.test")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FillPlan(5, 2, 1, "d.test").batches(0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FillPlan(5, 2, 1, "d.test").usersOf(2)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void reconstructionOptions_defaultToNoMessages_andParse() {
    var bench = new ReconstructionBench();
    new CommandLine(bench).parseArgs();
    assertThat(bench.messagesPerUser).isZero();
    new CommandLine(bench).parseArgs("--users", "100000", "--messages-per-user", "10", "--message-size", "200");
    assertThat(bench.users).isEqualTo(100_000);
    assertThat(bench.messagesPerUser).isEqualTo(10);
    assertThat(bench.messageSize).isEqualTo(200);
  }
}
