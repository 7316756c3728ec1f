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
}
