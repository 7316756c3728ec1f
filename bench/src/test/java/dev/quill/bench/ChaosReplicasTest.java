package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChaosReplicasTest {
  private static final String U = "u1@chaos.test";

  /**
   * A listing in the format of {@code quill debug fragments}, one INBOX with the given message and expunged
   * lines, and the same copy of the profile.
   */
  private static ChaosReplicas.Listing node(String name, String... lines) {
    return withProfile(name, "here mailboxes=1 stamp=7 digest=00ff", lines);
  }

  /** As {@link #node}, with {@code profile} after {@code profile=} on the user line. */
  private static ChaosReplicas.Listing withProfile(String name, String profile, String... lines) {
    StringBuilder sb = new StringBuilder("node " + name + ": local copies of 1 user (this node's store only, not the"
        + " merged view)\nuser " + U + " profile=" + profile + "\n"
        + "  mailbox INBOX uidvalidity=1700 uidnext=9 highestmodseq=40 messages=2 expunged=0\n");
    for (String l : lines) {
      sb.append("    ").append(l).append('\n');
    }
    return ChaosReplicas.parse(name, sb.toString());
  }

  private static String msg(long uid, long modSeq, String flags) {
    return "uid=" + uid + " modseq=" + modSeq + " size=120 crc32c=0badf00d flags=" + flags;
  }

  @Test
  void parse_readsCopiesFlagsAndExpunges() {
    ChaosReplicas.Listing l = node("n1", msg(3, 17, "\\Flagged \\Seen"), msg(5, 18, ""), "expunged 1 2 4");
    ChaosReplicas.Fragment f = l.users().get(U).get("INBOX");
    assertThat(f.uidValidity()).isEqualTo(1700);
    assertThat(f.messages()).containsOnlyKeys(3L, 5L);
    assertThat(f.messages().get(3L)).isEqualTo(new ChaosReplicas.Copy(17, 120, "0badf00d",
        java.util.Set.of("\\Flagged", "\\Seen")));
    assertThat(f.messages().get(5L).flags()).isEmpty();
    assertThat(f.expunged()).containsExactly(1L, 2L, 4L);
  }

  @Test
  void parse_refusesALineItDoesNotKnow() {
    assertThatThrownBy(() -> ChaosReplicas.parse("n1", "user " + U + " profile=elsewhere mailboxes=1\n  weird line\n"))
        .hasMessageContaining("weird line");
  }

  @Test
  void identicalCopiesOnTwoNodes_areSafe_evenUnderDifferentModSeqs() {
    ChaosLedger ledger = new ChaosLedger();
    ledger.acked(U, "chaos-1");
    ledger.acked(U, "chaos-2");
    var r = ChaosReplicas.compare(List.of(node("n1", msg(3, 17, "\\Seen"), msg(5, 18, "")),
        node("n2", msg(3, 21, "\\Seen"), msg(5, 18, "")), node("n3")), List.of(), List.of(U),
        Map.of(U, Map.of(3L, "chaos-1", 5L, "chaos-2")), ledger, 2, 2);
    assertThat(r.safe()).isTrue();
    assertThat(r.messages()).isEqualTo(2);
    assertThat(r.modSeqDiffers()).as("a caught-up copy numbers its change anew").isEqualTo(1);
    assertThat(r.underReplicated() + r.overReplicated()).isZero();
  }

  @Test
  void everyKindOfDivergence_isCountedAndNamed() {
    ChaosLedger ledger = new ChaosLedger();
    ledger.acked(U, "chaos-1");
    ledger.acked(U, "chaos-2");
    ledger.acked(U, "chaos-3");
    var r = ChaosReplicas.compare(List.of(
            node("n1", msg(3, 17, "\\Flagged"), msg(5, 18, ""), msg(6, 19, ""), msg(7, 20, "")),
            node("n2", msg(3, 17, ""), msg(6, 19, ""), msg(7, 20, ""), "expunged 5"),
            node("n3", msg(6, 19, ""))),
        List.of("n4: debug fragments failed: timed out"), List.of(U),
        Map.of(U, Map.of(3L, "chaos-1", 5L, "chaos-2", 6L, "chaos-3")), ledger, 2, 2);
    assertThat(r.safe()).isFalse();
    assertThat(r.differing()).as("UID 3: flags differ").isEqualTo(1);
    assertThat(r.expungedHeld()).as("UID 5 on n1, expunged on n2").isEqualTo(1);
    assertThat(r.belowFloor()).as("UID 5, acknowledged, on one node").isEqualTo(1);
    assertThat(r.hidden()).as("UID 7 shown by no node").isEqualTo(1);
    assertThat(r.overReplicated()).as("UID 6 on three nodes").isEqualTo(1);
    assertThat(r.underReplicated()).as("UID 5").isEqualTo(1);
    assertThat(r.unlisted()).isEqualTo(1);
    assertThat(r.details()).anyMatch(d -> d.contains("UID 3 (chaos-1): copies differ") && d.contains("n1=")
        && d.contains("n2="));
    assertThat(r.details()).anyMatch(d -> d.contains("UID 5 (chaos-2): held on [n1] although expunged on [n2]"));
    assertThat(r.details()).anyMatch(d -> d.startsWith("n4: "));
    assertThat(r.notes()).anyMatch(d -> d.contains("UID 6 (chaos-3): 3 copies"));
  }

  @Test
  void anUnacknowledgedMessageOnOneNode_isANoteNotAFailure() {
    var r = ChaosReplicas.compare(List.of(node("n1", msg(9, 30, "")), node("n2")), List.of(), List.of(),
        Map.of(U, Map.of(9L, "chaos-9")), new ChaosLedger(), 2, 2);
    assertThat(r.safe()).isTrue();
    assertThat(r.underReplicated()).isEqualTo(1);
    assertThat(r.notes()).containsExactly(U + "/INBOX UID 9 (chaos-9): 1 of 2 copies, on [n1] (not acknowledged)");
  }

  @Test
  void parse_readsTheProfileCopy_andRefusesAProfileHereWithoutItsStamp() {
    assertThat(node("n1").profiles()).containsExactly(Map.entry(U, new ChaosReplicas.Profile(7, "00ff")));
    assertThat(withProfile("n2", "elsewhere mailboxes=1").profiles()).isEmpty();
    assertThatThrownBy(() -> withProfile("n3", "here mailboxes=1")).hasMessageContaining("needs a stamp");
    assertThatThrownBy(() -> withProfile("n3", "elsewhere mailboxes=1 stamp=7 digest=00ff"))
        .hasMessageContaining("needs a stamp");
  }

  @Test
  void profileCopiesWithAnotherStampOrDigest_fail_namingEachNodesCopy() {
    var r = ChaosReplicas.compare(List.of(node("n1"), withProfile("n2", "here mailboxes=1 stamp=7 digest=00fe"),
        withProfile("n3", "here mailboxes=1 stamp=8 digest=00ff")), List.of(), List.of(U), Map.of(), new ChaosLedger(), 2, 2);
    assertThat(r.safe()).isFalse();
    assertThat(r.profiles()).isEqualTo(1);
    assertThat(r.profilesDiffer()).isEqualTo(1);
    assertThat(r.profilesUnder()).isZero();
    assertThat(r.profilesOver()).as("three copies where two are kept: noted, not a failure").isEqualTo(1);
    assertThat(r.notes()).containsExactly(U + ": profile on 3 nodes [n1, n2, n3]");
    assertThat(r.details()).containsExactly(U + ": profile copies differ: {n1=Profile[stamp=7, digest=00ff], "
        + "n2=Profile[stamp=7, digest=00fe], n3=Profile[stamp=8, digest=00ff]}");
  }

  @Test
  void aProfileOnFewerThanMinOfRAndTheNodes_fails_alsoWhenItIsNowhere() {
    String other = "u2@chaos.test";
    var r = ChaosReplicas.compare(List.of(node("n1"), withProfile("n2", "elsewhere mailboxes=1"),
        withProfile("n3", "elsewhere mailboxes=1")), List.of(), List.of(U, other), Map.of(), new ChaosLedger(), 2, 2);
    assertThat(r.safe()).isFalse();
    assertThat(r.profilesUnder()).isEqualTo(2);
    assertThat(r.details()).containsExactly(U + ": profile on 1 node(s) [n1], 2 needed",
        other + ": profile on 0 node(s) [], 2 needed");

    var alone = ChaosReplicas.compare(List.of(node("n1")), List.of(), List.of(U), Map.of(), new ChaosLedger(), 2, 2);
    assertThat(alone.safe()).as("one node listed: one copy is min(R, 1)").isTrue();
  }
}
