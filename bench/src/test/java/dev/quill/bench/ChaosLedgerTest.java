package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChaosLedgerTest {
  @Test
  void theLastConfirmedFlagChangeIsExpected_untilAChangeIsLeftUncertain() {
    ChaosLedger ledger = new ChaosLedger();
    ledger.flagUncertain("u@chaos.test", "chaos-1"); // before any confirmed change of that user: no failure
    ledger.flagged("u@chaos.test", "chaos-1", true);
    assertThat(ledger.expectedFlagged("u@chaos.test")).as("uncertain for good: the change may still land").isEmpty();

    ledger.flagged("u@chaos.test", "chaos-2", true);
    ledger.flagged("u@chaos.test", "chaos-2", false);
    ledger.flagged("u@chaos.test", "chaos-3", true);
    assertThat(ledger.expectedFlagged("u@chaos.test")).isEqualTo(Map.of("chaos-2", false, "chaos-3", true));
    ledger.flagUncertain("u@chaos.test", "chaos-3");
    assertThat(ledger.expectedFlagged("u@chaos.test")).isEqualTo(Map.of("chaos-2", false));
    assertThat(ledger.flagUncertain("u@chaos.test")).containsExactlyInAnyOrder("chaos-1", "chaos-3");
    assertThat(ledger.flagChangesKnown()).isEqualTo(1);
  }

  @Test
  void deletable_skipsDeletedAndUncertainMessages() {
    ChaosLedger ledger = new ChaosLedger();
    ledger.acked("u@chaos.test", "chaos-1");
    ledger.acked("u@chaos.test", "chaos-2");
    ledger.acked("u@chaos.test", "chaos-3");
    ledger.deleted("u@chaos.test", "chaos-1");
    ledger.deleteUncertain("u@chaos.test", "chaos-2");
    for (int i = 0; i < 20; i++) {
      assertThat(ledger.deletable("u@chaos.test", new Random(i))).contains("chaos-3");
    }
    assertThat(ledger.deletable("nobody@chaos.test", new Random(1))).isEmpty();
  }
}
