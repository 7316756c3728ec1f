package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A manager's bucket state on its own, without nodes: the holder-record rules that decide when a new
 * holder must be recorded on the profile node first, and what each record names.
 */
class BucketStateTest {
  private static final String USER = "ann@example.org";
  private static final long UV = 1_700_000_000L;

  /** The profile node p, holding INBOX with a record naming only itself. */
  private static ReportedUser profileWithRecord(Set<String> holders) {
    return new ReportedUser(USER, true, List.of(new ReportedFragment("INBOX", UV, 5, 9, Optional.of(holders))));
  }

  private static ReportedUser fragmentOnly() {
    return new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV, 3, 4)));
  }

  @Test
  void aNewHolder_isRecordedFirst_withEveryNodeThatMayHoldTheMailbox() {
    // x was away when this manager took the bucket: it may hold anything, so every record written names it.
    BucketState state = new BucketState("m", 0, List.of("p", "y"), List.of("x"));
    state.apply("p", List.of(profileWithRecord(Set.of("p"))));
    state.apply("y", List.of(fragmentOnly()));

    BucketState.Step<Void> step = state.fragmentStored(USER, "INBOX", "z", true, Set.of("x"));

    assertThat(step).isInstanceOf(BucketState.Step.Reserve.class);
    BucketState.Reservation r = ((BucketState.Step.Reserve<Void>) step).reservation();
    assertThat(r.nodes()).containsExactly("p");
    assertThat(r.request().holders()).hasValueSatisfying(h -> assertThat(h).containsExactlyInAnyOrder("p", "x", "y", "z"));
    assertThat(r.request().uid()).as("no numbers beyond what is reserved").isEqualTo(5);
    state.reserved(r, true);
    assertThat(state.fragmentStored(USER, "INBOX", "z", true, Set.of("x")))
        .as("recorded now: answered at once").isEqualTo(new BucketState.Step.Done<>(new Answer.Ok<>(null)));
    assertThat(state.mailMap(USER, Set.of("x")).mailboxes().getFirst().nodes()).contains("z");
  }

  @Test
  void aHolderTheRecordNames_isAnsweredAtOnce_andAMemberAwayIsMissingOnlyWhereTheRecordNamesIt() {
    BucketState state = new BucketState("m", 0, List.of("p"), List.of("x", "w"));
    state.apply("p", List.of(profileWithRecord(Set.of("p", "x"))));

    assertThat(state.fragmentStored(USER, "INBOX", "p", true, Set.of("x", "w")))
        .isEqualTo(new BucketState.Step.Done<>(new Answer.Ok<>(null)));
    assertThat(state.mailMap(USER, Set.of("x", "w")).mailboxes().getFirst().missing()).containsExactly("x");
  }

  @Test
  void beforeEveryMemberReported_anUnknownMailboxIsAskedAgain_andWithoutAProfileNodeNothingIsRecorded() {
    BucketState state = new BucketState("m", 0, List.of("p", "y"), List.of());
    assertThat(state.fragmentStored(USER, "INBOX", "y", true, Set.of()))
        .isInstanceOf(BucketState.Step.Done.class)
        .extracting(s -> ((BucketState.Step.Done<Void>) s).answer()).isInstanceOf(Answer.Incomplete.class);

    state.apply("y", List.of(fragmentOnly()));
    assertThat(state.fragmentStored(USER, "INBOX", "q", true, Set.of()))
        .as("p has not reported: it may hold the profile")
        .extracting(s -> ((BucketState.Step.Done<Void>) s).answer()).isInstanceOf(Answer.Incomplete.class);

    state.apply("p", List.of()); // p holds nothing of this user: no profile anywhere
    assertThat(state.fragmentStored(USER, "INBOX", "q", true, Set.of()))
        .as("nobody to record on, nobody away").isEqualTo(new BucketState.Step.Done<>(new Answer.Ok<>(null)));
    assertThat(state.fragmentStored(USER, "INBOX", "r", true, Set.of("gone")))
        .as("a member away may be the profile node").extracting(s -> ((BucketState.Step.Done<Void>) s).answer())
        .isInstanceOf(Answer.Unreserved.class);
  }

  @Test
  void aConflict_isListedOnceComplete_takesTheCatalogsUidValidity_andClearsOnlyIfNoNewerOneCame() {
    BucketState state = new BucketState("m", 0, List.of("p", "y"), List.of());
    state.apply("p", List.of(profileWithRecord(Set.of("p", "y"))));
    assertThat(state.conflicts()).isEmpty();
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV + 50, 8, 20)))));

    List<MailboxConflict> conflicts = state.conflicts();
    assertThat(conflicts).hasSize(1);
    MailboxConflict conflict = conflicts.getFirst();
    MailMap.MailboxLocation before = state.mailMap(USER, Set.of()).mailboxes().getFirst();
    assertThat(before.conflict()).isTrue();
    assertThat(before.uidValidity()).as("the higher one meanwhile").isEqualTo(UV + 50);

    assertThat(state.adopt(conflict, UV)).isTrue();
    MailMap.MailboxLocation adopted = state.mailMap(USER, Set.of()).mailboxes().getFirst();
    assertThat(adopted.uidValidity()).isEqualTo(UV);
    assertThat(adopted.highestUid()).as("never lower: the odd fragment's UIDs are not given again").isEqualTo(8);
    // Numbers under the catalog's UIDVALIDITY are reserved again before they are given.
    assertThat(state.allocate(USER, "INBOX", 2, () -> 1)).isInstanceOf(BucketState.Step.Reserve.class);

    // Another disagreement reported meanwhile: this renumbering does not settle it.
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV + 60, 8, 20)))));
    assertThat(state.renumbered(conflict, UV)).isFalse();
    assertThat(state.adopt(conflict, UV)).isFalse();
    MailboxConflict newer = state.conflicts().getFirst();
    assertThat(newer.generation()).isGreaterThan(conflict.generation());
    assertThat(state.adopt(newer, UV)).isTrue();
    assertThat(state.renumbered(newer, UV)).isTrue();
    assertThat(state.conflicts()).isEmpty();
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().conflict()).isFalse();
  }

  @Test
  void conflicts_areNotListedBeforeEveryMemberReported() {
    BucketState state = new BucketState("m", 0, List.of("p", "y", "z"), List.of());
    state.apply("p", List.of(profileWithRecord(Set.of("p", "y"))));
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV - 5, 8, 20)))));
    assertThat(state.conflicts()).as("z may hold yet another fragment").isEmpty();
    state.apply("z", List.of());
    assertThat(state.conflicts()).extracting(MailboxConflict::mailbox).containsExactly("INBOX");
  }
}
