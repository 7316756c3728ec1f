package dev.quill.mail.imap.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Sequence set membership and the compact form used by ESEARCH, COPYUID and VANISHED. */
class SequenceSetTest {
  @Test
  void format_compressesRuns() {
    assertThat(SequenceSet.format(List.of(1L, 2L, 3L, 7L, 9L, 10L), true)).isEqualTo("1:3,7,9:10");
    assertThat(SequenceSet.format(List.of(5L, 3L, 4L), true)).isEqualTo("3:5");
    assertThat(SequenceSet.format(List.of(5L, 3L, 4L), false)).isEqualTo("5,3:4");
    assertThat(SequenceSet.format(List.of(), true)).isEmpty();
  }

  @Test
  void contains_resolvesStarAndReversedRanges() {
    SequenceSet s = new SequenceSet(List.of(new SequenceSet.Range(SequenceSet.STAR, 4)));
    assertThat(s.contains(4, 10)).isTrue();
    assertThat(s.contains(10, 10)).isTrue();
    assertThat(s.contains(3, 10)).isFalse();
  }
}
