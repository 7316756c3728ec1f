package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
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
    assertThat(r.nodes()).as("the profile node, then a holder: a majority of the two members").containsExactly("p", "y");
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

  /**
   * Finding 10: a reservation goes to the live profile nodes and then to other members until a
   * majority of the cluster (the view and the members presumed down) holds it — holders first, then
   * the manager itself, then the rest in view order — so that any later manager, which hears every
   * member of a view holding a majority, hears of it. A view without a majority reserves nothing.
   */
  @Test
  void aReservation_reachesAMajorityOfTheCluster_andNoneIsMadeWithoutOne() {
    Set<String> down = new java.util.HashSet<>(Set.of("d"));
    BucketState state = new BucketState("m", 0, List.of("p", "m", "y", "z"), List.of("d"), () -> Set.copyOf(down));
    for (String node : List.of("m", "y", "z")) {
      state.apply(node, List.of());
    }
    state.apply("p", List.of(profileWithRecord(Set.of("p", "z"))));
    state.apply("z", List.of(fragmentOnly()));

    // Five members (d presumed down): three must hold it — the profile node, the holder z, then the manager.
    BucketState.Step<UidGrant> step = state.allocate(USER, "INBOX", 1, () -> 1);
    BucketState.Reservation r = ((BucketState.Step.Reserve<UidGrant>) step).reservation();
    assertThat(r.nodes()).containsExactly("p", "z", "m");
    assertThat(r.request().holders()).hasValueSatisfying(h -> assertThat(h).contains("p", "z", "m", "d"));
    state.reserved(r, true);
    BucketState.Step<UidGrant> given = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(((BucketState.Step.Done<UidGrant>) given).answer()).isInstanceOfSatisfying(Answer.Ok.class,
        ok -> assertThat(((UidGrant) ok.value()).fragmentNodes()).as("m's fragment holds no mail: not for placement")
            .containsExactly("p", "z"));
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().nodes()).as("but read, deleted, renamed")
        .containsExactly("m", "p", "z");

    // y and z gone too: two of five in the view. Numbers already reserved are still given (a majority
    // holds them), none beyond.
    state.membersChanged(Set.of("y", "z"), Set.of());
    down.addAll(Set.of("y", "z"));
    BucketState.Step<UidGrant> within = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(within).isInstanceOf(BucketState.Step.Done.class);
    assertThat(((BucketState.Step.Done<UidGrant>) within).answer()).isInstanceOf(Answer.Ok.class);
    BucketState.Step<UidGrant> beyond = state.allocate(USER, "INBOX", (int) BucketState.UID_BLOCK * 2, () -> 1);
    assertThat(((BucketState.Step.Done<UidGrant>) beyond).answer()).isInstanceOfSatisfying(Answer.Unreserved.class,
        refused -> assertThat(refused.describe()).contains("only 2 of 5 members", "d, y, z presumed down",
            "a majority, 3"));

    // d forgotten (no longer presumed down): two of four is still no majority; y back makes three of four.
    down.remove("d");
    assertThat(((BucketState.Step.Done<UidGrant>) state.allocate(USER, "INBOX", 2_000, () -> 1)).answer())
        .isInstanceOf(Answer.Unreserved.class);
    state.membersChanged(Set.of(), Set.of("y"));
    down.remove("y");
    state.apply("y", List.of());
    BucketState.Step<UidGrant> again = state.allocate(USER, "INBOX", 2_000, () -> 1);
    assertThat(((BucketState.Step.Reserve<UidGrant>) again).reservation().nodes()).containsExactly("p", "m", "y");
  }

  /**
   * A member that refused a reservation (a full disk, no answer) is passed over by the next ones while
   * others can make the majority, and taken again when none are left or once one succeeded; a profile
   * node must take every reservation, refusal or not.
   */
  @Test
  void aMemberThatRefusedAReservation_isPassedOverWhileOthersCanTakeIt() {
    BucketState state = new BucketState("m", 0, List.of("p", "m", "y", "z"), List.of());
    for (String node : List.of("m", "y", "z")) {
      state.apply(node, List.of());
    }
    state.apply("p", List.of(profileWithRecord(Set.of("p"))));
    BucketState.Reservation first = reservation(state.allocate(USER, "INBOX", 1, () -> 1));
    assertThat(first.nodes()).containsExactly("p", "m", "y");
    state.reserved(first, false, "y");
    BucketState.Reservation second = reservation(state.allocate(USER, "INBOX", 1, () -> 1));
    assertThat(second.nodes()).as("z instead of y").containsExactly("p", "m", "z");
    state.reserved(second, false, "z");
    BucketState.Reservation third = reservation(state.allocate(USER, "INBOX", 1, () -> 1));
    assertThat(third.nodes()).as("no one else left: y again").containsExactly("p", "m", "y");
    state.reserved(third, false, "p");
    assertThat(reservation(state.allocate(USER, "INBOX", 1, () -> 1)).nodes()).contains("p");
  }

  private static BucketState.Reservation reservation(BucketState.Step<UidGrant> step) {
    return ((BucketState.Step.Reserve<UidGrant>) step).reservation();
  }

  /**
   * A fragment reported empty on a node without the profile (one a reservation made, or emptied) is
   * read, deleted and renamed with the others but not offered for placement, and is not missing when
   * its node leaves; reported again with mail, it is a holder like any.
   */
  @Test
  void aFragmentReportedEmpty_isListedButNotForPlacement_andNotMissingWhenItLeaves() {
    BucketState state = new BucketState("m", 0, List.of("p", "y", "e"), List.of());
    state.apply("p", List.of(profileWithRecord(Set.of("p", "y", "e"))));
    state.apply("y", List.of(fragmentOnly()));
    state.apply("e", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV, 5, 9,
        Optional.empty(), true)))));
    BucketState.Step<UidGrant> step = state.allocate(USER, "INBOX", 1, () -> 1);
    state.reserved(((BucketState.Step.Reserve<UidGrant>) step).reservation(), true);
    BucketState.Step<UidGrant> given = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(((BucketState.Step.Done<UidGrant>) given).answer()).isInstanceOfSatisfying(Answer.Ok.class,
        ok -> assertThat(((UidGrant) ok.value()).fragmentNodes()).containsExactly("p", "y"));
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().nodes()).containsExactly("e", "p", "y");

    state.membersChanged(Set.of("e"), Set.of());
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().missing()).as("e held nothing").isEmpty();
    state.membersChanged(Set.of(), Set.of("e"));
    state.apply("e", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV, 6, 10)))));
    BucketState.Step<UidGrant> later = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(((BucketState.Step.Done<UidGrant>) later).answer()).isInstanceOfSatisfying(Answer.Ok.class,
        ok -> assertThat(((UidGrant) ok.value()).fragmentNodes()).containsExactly("e", "p", "y"));
  }

  @Test
  void aConflict_isListedOnceComplete_renumberedAboveEveryUid_andClearedOnlyIfNoNewerOneCame() {
    BucketState state = new BucketState("m", 0, List.of("p", "y"), List.of());
    state.apply("p", List.of(profileWithRecord(Set.of("p", "y"))));
    assertThat(state.conflicts()).isEmpty();
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV - 50, 8, 20)))));

    List<MailboxConflict> conflicts = state.conflicts();
    assertThat(conflicts).hasSize(1);
    MailboxConflict conflict = conflicts.getFirst();
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().conflict()).isTrue();

    RenumberStart start = state.beginRenumbering(conflict, 3, () -> 1);
    assertThat(start.uidValidity()).as("the higher one stays").isEqualTo(UV);
    assertThat(start.firstUid()).as("above every UID reported, reservations included").isEqualTo(9);
    assertThat(start.modSeq()).isEqualTo(21);
    assertThat(start.reservedUid()).isGreaterThanOrEqualTo(11);
    assertThat(start.reservationNodes()).as("the profile node, then a holder: a majority of the two members")
        .containsExactly("p", "y");
    assertThat(start.holders()).containsExactlyInAnyOrder("p", "y");
    assertThat(state.beginRenumbering(conflict, 3, () -> 1)).as("one at a time").isNull();
    BucketState.Step<UidGrant> waiting = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(waiting).as("allocations wait for it").isInstanceOf(BucketState.Step.Wait.class);

    // Another disagreement reported meanwhile: this renumbering does not settle it.
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV - 60, 8, 20)))));
    state.finishRenumbering(conflict, start, true);
    assertThat(((BucketState.Step.Wait<UidGrant>) waiting).done()).isDone();
    MailboxConflict newer = state.conflicts().getFirst();
    assertThat(newer.generation()).isGreaterThan(conflict.generation());
    assertThat(state.beginRenumbering(conflict, 1, () -> 1)).as("the older one is gone").isNull();

    RenumberStart again = state.beginRenumbering(newer, 1, () -> 1);
    assertThat(again.firstUid()).as("the first renumbering's UIDs are never given again").isEqualTo(12);
    state.finishRenumbering(newer, again, true);
    assertThat(state.conflicts()).isEmpty();
    assertThat(state.mailMap(USER, Set.of()).mailboxes().getFirst().conflict()).isFalse();
    BucketState.Step<UidGrant> after = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(after).as("within the renumbering's reservation: given at once").isInstanceOf(BucketState.Step.Done.class);
    assertThat(((BucketState.Step.Done<UidGrant>) after).answer()).isInstanceOfSatisfying(Answer.Ok.class,
        ok -> assertThat(((UidGrant) ok.value()).firstUid()).isEqualTo(13));
  }

  private static final long MAX_UID = 0xffff_ffffL;

  /** The profile node p's INBOX with its highest UID (reserved and given) at {@code highest}. */
  private static BucketState nearTheEnd(long highest) {
    BucketState state = new BucketState("m", 0, List.of("p"), List.of());
    state.apply("p", List.of(new ReportedUser(USER, true, List.of(new ReportedFragment("INBOX", UV, highest, 40,
        Optional.of(Set.of("p")))))));
    return state;
  }

  @Test
  void usedUpUids_refuseForNow_thenEveryMessageStartsOverAtUid1_underAHigherUidValidity() {
    BucketState state = nearTheEnd(MAX_UID - 2);
    BucketState.Step<UidGrant> last = state.allocate(USER, "INBOX", 2, () -> 1);
    if (last instanceof BucketState.Step.Reserve<UidGrant> reserve) {
      state.reserved(reserve.reservation(), true);
      last = state.allocate(USER, "INBOX", 2, () -> 1);
    }
    assertThat(last).as("the last two")
        .isInstanceOfSatisfying(BucketState.Step.Done.class, done -> assertThat(done.answer()).isInstanceOf(Answer.Ok.class));
    BucketState.Step<UidGrant> refused = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(refused).as("never a UID above 2^32 - 1, nor one given before")
        .isEqualTo(new BucketState.Step.Done<>(new Answer.Unreserved<>("the UIDs of " + USER + "/INBOX under UIDVALIDITY "
            + UV + " are used up; it is being renumbered under a new one")));
    MailboxConflict exhausted = state.conflicts().getFirst();
    assertThat(exhausted.exhausted()).isTrue();

    RenumberStart start = state.beginRenumbering(exhausted, 7, () -> UV - 5); // a clock behind: still above
    assertThat(start.uidValidity()).isEqualTo(UV + 1);
    assertThat(start.firstUid()).isEqualTo(1);
    assertThat(start.modSeq()).as("MODSEQs never start over: above the two given").isEqualTo(43);
    assertThat(start.reservedUid()).isGreaterThanOrEqualTo(7);
    assertThat(state.allocate(USER, "INBOX", 1, () -> 1)).isInstanceOf(BucketState.Step.Wait.class);
    state.finishRenumbering(exhausted, start, true);

    assertThat(state.conflicts()).isEmpty();
    BucketState.Step<UidGrant> next = state.allocate(USER, "INBOX", 1, () -> 1);
    assertThat(((BucketState.Step.Done<UidGrant>) next).answer()).isInstanceOfSatisfying(Answer.Ok.class, ok -> {
      UidGrant grant = (UidGrant) ok.value();
      assertThat(grant.uidValidity()).isEqualTo(UV + 1);
      assertThat(grant.firstUid()).isEqualTo(8);
      assertThat(grant.firstModSeq()).isEqualTo(44);
    });
  }

  @Test
  void aFailedRenumberingOfAUsedUpMailbox_leavesADisagreement_andADisagreementWithoutRoomRenumbersEverything() {
    BucketState state = nearTheEnd(MAX_UID);
    assertThat(state.allocate(USER, "INBOX", 1, () -> 1)).isInstanceOf(BucketState.Step.Done.class);
    MailboxConflict exhausted = state.conflicts().getFirst();
    RenumberStart start = state.beginRenumbering(exhausted, 3, () -> UV + 100);
    assertThat(start.uidValidity()).isEqualTo(UV + 100);
    state.finishRenumbering(exhausted, start, false);
    // Some fragments may have moved to the new UIDVALIDITY: the others are renumbered above as a disagreement.
    MailboxConflict left = state.conflicts().getFirst();
    assertThat(left.exhausted()).isFalse();
    RenumberStart rest = state.beginRenumbering(left, 3, () -> 1);
    assertThat(rest.uidValidity()).isEqualTo(UV + 100);
    assertThat(rest.firstUid()).isEqualTo(4);
    state.finishRenumbering(left, rest, true);

    // A disagreement whose messages do not fit above the highest UID becomes a used-up mailbox.
    BucketState full = nearTheEnd(MAX_UID - 1);
    full.apply("p", List.of(new ReportedUser(USER, true, List.of(new ReportedFragment("INBOX", UV, MAX_UID - 1, 40,
        Optional.of(Set.of("p", "y")))))));
    full.membersChanged(Set.of(), Set.of("y"));
    full.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV - 9, 5, 5)))));
    MailboxConflict tooMany = full.conflicts().getFirst();
    assertThat(full.beginRenumbering(tooMany, 5, () -> 1)).isNull();
    assertThat(full.conflicts()).singleElement().satisfies(c -> assertThat(c.exhausted()).isTrue());
  }

  @Test
  void aFailedRenumbering_keepsTheConflict_andReservesAgainBeforeGiving() {
    BucketState state = new BucketState("m", 0, List.of("p", "y"), List.of());
    state.apply("p", List.of(profileWithRecord(Set.of("p", "y"))));
    state.apply("y", List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("INBOX", UV + 7, 8, 20)))));
    MailboxConflict conflict = state.conflicts().getFirst();
    RenumberStart start = state.beginRenumbering(conflict, 2, () -> 1);
    assertThat(start.uidValidity()).isEqualTo(UV + 7);
    state.finishRenumbering(conflict, start, false);
    assertThat(state.conflicts()).containsExactly(conflict);
    assertThat(state.allocate(USER, "INBOX", 1, () -> 1)).isInstanceOf(BucketState.Step.Reserve.class);
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

  // ---- POP3 maildrop locks

  private static ReportedUser lockOnly(long token) {
    return new ReportedUser(USER, false, List.of(), OptionalLong.of(token));
  }

  @Test
  void aMaildropLock_isGivenOnlyOnceComplete_toOneNodeAtATime_andBackOnlyByItsToken() {
    BucketState state = new BucketState("m", 0, List.of("a", "b"), List.of());
    assertThat(state.lockMaildrop(USER, "a", 1)).as("b's sessions may hold it").isInstanceOf(Answer.Incomplete.class);
    assertThat(state.unlockMaildrop(USER, "a", 1)).as("a report may still bring it").isInstanceOf(Answer.Incomplete.class);
    state.apply("a", List.of());
    state.apply("b", List.of());

    assertThat(state.lockMaildrop(USER, "a", 1)).isEqualTo(new Answer.Ok<>(true));
    assertThat(state.lockMaildrop(USER, "b", 7)).isEqualTo(new Answer.Ok<>(false));
    assertThat(state.unlockMaildrop(USER, "b", 7)).as("not b's: nothing changes").isEqualTo(new Answer.Ok<>(true));
    assertThat(state.unlockMaildrop(USER, "a", 2)).as("another token of a").isEqualTo(new Answer.Ok<>(true));
    assertThat(state.maildropHolders(USER)).containsExactly("a");
    // a's next session replaces its last, whose give-back is late
    assertThat(state.lockMaildrop(USER, "a", 3)).isEqualTo(new Answer.Ok<>(true));
    state.unlockMaildrop(USER, "a", 1);
    assertThat(state.maildropHolders(USER)).containsExactly("a");
    state.unlockMaildrop(USER, "a", 3);
    assertThat(state.maildropHolders(USER)).isEmpty();
    assertThat(state.lockMaildrop(USER, "b", 7)).isEqualTo(new Answer.Ok<>(true));
  }

  @Test
  void aReportedMaildropLock_holdsAtTheNewManager_untilItsNodeGivesItBackOrLeaves() {
    BucketState state = new BucketState("m", 0, List.of("a", "b"), List.of());
    state.apply("a", List.of(lockOnly(5)));
    state.apply("b", List.of(fragmentOnly()));
    assertThat(state.userCount()).as("a lock alone makes no user entry").isEqualTo(1);

    assertThat(state.lockMaildrop(USER, "b", 9)).isEqualTo(new Answer.Ok<>(false));
    state.apply("a", List.of()); // a's next report: its session ended
    assertThat(state.lockMaildrop(USER, "b", 9)).isEqualTo(new Answer.Ok<>(true));
    state.membersChanged(Set.of("b"), Set.of());
    assertThat(state.maildropHolders(USER)).as("b left").isEmpty();
    assertThat(state.lockMaildrop(USER, "a", 6)).isEqualTo(new Answer.Ok<>(true));
  }

  @Test
  void recentClaims_riseOnly_lookingClaimsNothing_andAnotherUidValidityStartsOver() {
    BucketState state = new BucketState("m", 0, List.of("p"), List.of("x"));
    assertThat(state.claimRecent(USER, "INBOX", UV, 0)).as("nothing claimed yet; only looks").isZero();
    assertThat(state.claimRecent(USER, "INBOX", UV, 3)).isZero();
    assertThat(state.claimRecent(USER, "INBOX", UV, 3)).as("the second session").isEqualTo(3);
    assertThat(state.claimRecent(USER, "INBOX", UV, 2)).as("never lower").isEqualTo(3);
    assertThat(state.claimRecent(USER, "INBOX", UV, 5)).isEqualTo(3);
    assertThat(state.claimRecent(USER, "Sent", UV, 0)).as("per mailbox").isZero();
    assertThat(state.claimRecent(USER, "INBOX", UV + 1, 1)).as("a mailbox created again").isZero();
    assertThat(state.claimRecent(USER, "INBOX", UV + 1, 0)).isEqualTo(1);
  }
}
