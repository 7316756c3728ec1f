package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The memory of lately expunged UIDs that refuses late copies ({@link RecentExpunges}). */
class RecentExpungesTest {
  private final AtomicLong now = new AtomicLong(1_000);

  @Test
  void remembers_underItsUidValidity_untilTheTtl() {
    RecentExpunges recent = new RecentExpunges(100, 10, now::get);
    recent.add(7, List.of(1L, 2L));

    assertThat(recent.contains(7, 1)).isTrue();
    assertThat(recent.contains(7, 3)).isFalse();
    assertThat(recent.contains(8, 1)).as("another UIDVALIDITY").isFalse();
    now.addAndGet(99);
    assertThat(recent.contains(7, 2)).isTrue();
    now.addAndGet(1);
    assertThat(recent.contains(7, 2)).as("at the TTL").isFalse();
  }

  @Test
  void aUidExpungedAgain_isRememberedFromTheLaterTime() {
    RecentExpunges recent = new RecentExpunges(100, 10, now::get);
    recent.add(7, List.of(1L, 2L));
    now.addAndGet(60);
    recent.add(7, List.of(1L));
    now.addAndGet(60);

    assertThat(recent.contains(7, 1)).isTrue();
    assertThat(recent.contains(7, 2)).isFalse();
  }

  @Test
  void beyondTheLimit_theOldestAreForgotten() {
    RecentExpunges recent = new RecentExpunges(1_000, 3, now::get);
    recent.add(7, LongStream.rangeClosed(1, 5).boxed().toList());

    assertThat(LongStream.rangeClosed(1, 5).filter(uid -> recent.contains(7, uid)).toArray()).containsExactly(3, 4, 5);
  }

  @Test
  void aNewUidValidity_forgetsTheOldOnes() {
    RecentExpunges recent = new RecentExpunges(1_000, 10, now::get);
    recent.add(7, List.of(1L));
    recent.add(9, List.of(2L));

    assertThat(recent.contains(7, 1)).isFalse();
    assertThat(recent.contains(9, 1)).isFalse();
    assertThat(recent.contains(9, 2)).isTrue();
  }

  @Test
  void nonsenseLimits_refused() {
    assertThatThrownBy(() -> new RecentExpunges(0, 10, now::get)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RecentExpunges(10, 0, now::get)).isInstanceOf(IllegalArgumentException.class);
  }
}
