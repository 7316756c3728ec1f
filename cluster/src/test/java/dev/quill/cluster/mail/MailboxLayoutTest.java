package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.store.MessageMeta;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A gathered mailbox ({@link MailboxLayout}): merging copies, and a flag change made through this node. */
class MailboxLayoutTest {
  private static MessageMeta meta(long uid, long modSeq, String... flags) {
    return new MessageMeta(uid, Instant.EPOCH, 100, Set.of(flags), modSeq, 0);
  }

  @Test
  void merge_keepsTheCopyWithTheHighestModSeq_andEveryHolder() {
    MailboxLayout layout = MailboxLayout.merge(Map.of("n1", List.of(meta(1, 5), meta(2, 6)),
        "n2", List.of(meta(1, 9, "\\Seen"))), List.of(), 2);

    assertThat(layout.messages()).containsExactly(meta(1, 9, "\\Seen"), meta(2, 6));
    assertThat(layout.holders().get(1L)).containsExactlyInAnyOrder("n1", "n2");
  }

  @Test
  void withChanged_showsTheNewerCopies_keepsTheRest_andAddsNothing() {
    MailboxLayout before = MailboxLayout.merge(Map.of("n1", List.of(meta(1, 5), meta(2, 6), meta(3, 7, "\\Seen"))),
        List.of("n2"), 2);

    MailboxLayout after = before.withChanged(List.of(meta(1, 12, "\\Deleted"), meta(3, 7, "\\Seen"), meta(3, 4),
        meta(4, 12, "\\Deleted")));

    assertThat(after.messages()).as("UID 3's older copy and the unknown UID 4 change nothing")
        .containsExactly(meta(1, 12, "\\Deleted"), meta(2, 6), meta(3, 7, "\\Seen"));
    assertThat(after.holders()).isEqualTo(before.holders());
    assertThat(after.down()).containsExactly("n2");
  }

  @Test
  void withExpunged_dropsThoseUids_keepsEveryOtherMessageAndHolder() {
    MailboxLayout before = MailboxLayout.merge(Map.of("n1", List.of(meta(1, 5), meta(2, 6), meta(3, 7)),
        "n2", List.of(meta(2, 6), meta(3, 7))), List.of("n3"), 2);

    MailboxLayout after = before.withExpunged(List.of(2L, 9L));

    assertThat(after.messages()).containsExactly(meta(1, 5), meta(3, 7));
    assertThat(after.holders()).containsOnlyKeys(1L, 3L);
    assertThat(after.holders().get(3L)).containsExactlyInAnyOrder("n1", "n2");
    assertThat(after.down()).containsExactly("n3");
  }
}
