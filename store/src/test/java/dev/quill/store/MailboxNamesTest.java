package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Mailbox name rules and flag normalisation. */
class MailboxNamesTest {

  @Test
  void canonical_inboxInAnyCaseAndAsFirstLevel() {
    assertThat(MailboxNames.canonical("inBox")).isEqualTo("INBOX");
    assertThat(MailboxNames.canonical("inbox/x")).isEqualTo("INBOX/x");
    assertThat(MailboxNames.canonical("inboxes")).isEqualTo("inboxes");
    assertThat(MailboxNames.canonical("Work/inbox")).isEqualTo("Work/inbox");
  }

  @Test
  void superiorsAndInferiors() {
    assertThat(MailboxNames.superiors("a/b/c")).containsExactly("a", "a/b");
    assertThat(MailboxNames.superiors("a")).isEmpty();
    assertThat(MailboxNames.isInferior("a/b", "a")).isTrue();
    assertThat(MailboxNames.isInferior("ab", "a")).isFalse();
    assertThat(MailboxNames.isInferior("a", "a")).isFalse();
  }

  @Test
  void flags_normalize_systemSpellingNoRecentNoDuplicates() {
    assertThat(Flags.normalize(List.of("\\SEEN", "\\seen", "Work", "work", "\\Recent", "\\draft")))
        .containsExactly("\\Seen", "Work", "\\Draft");
  }

  @Test
  void flags_replaceDifferingOnlyInCase_isNoChange() {
    Set<String> current = Set.of("Work");
    Set<String> replaced = Flags.apply(current, FlagUpdate.Mode.REPLACE, Flags.normalize(List.of("WORK")));
    assertThat(replaced).containsExactly("Work");
    assertThat(Flags.same(replaced, current)).isTrue();
  }
}
