package dev.quill.security.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.security.Sid;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PolicyManagerTest {
  private static final Sid SMTP = Sid.service("smtp", "n1");

  private static Policy policy(long version, Effect everything) {
    return new Policy(version, Effect.DENY, List.of(new Rule(SubjectPattern.ANY, null, null, everything)));
  }

  @Test
  void install_refusesAVersionNotGreater_andKeepsTheCurrentPolicy() throws Exception {
    PolicyManager m = new PolicyManager(Policy.empty(0, Effect.DENY));
    m.install(policy(5, Effect.ALLOW));
    assertThatThrownBy(() -> m.install(policy(5, Effect.DENY))).isInstanceOf(PolicyException.class)
        .hasMessage("policy version 5 refused: the current version is 5 and a new policy needs a greater one");
    assertThatThrownBy(() -> m.install(policy(4, Effect.DENY))).isInstanceOf(PolicyException.class)
        .hasMessageContaining("version 4 refused");
    assertThat(m.version()).isEqualTo(5);
    assertThat(m.decide(SMTP, ObjectType.FRAGMENT, Permission.STORE).allowed()).isTrue();
    m.install(policy(6, Effect.DENY));
    assertThat(m.decide(SMTP, ObjectType.FRAGMENT, Permission.STORE).allowed()).isFalse();
  }

  @Test
  void listeners_hearEachInstallInOrder_andAFailingOneDoesNotStopTheOthers() throws Exception {
    PolicyManager m = new PolicyManager(Policy.empty(0, Effect.DENY));
    List<String> heard = new ArrayList<>();
    m.addListener((prev, cur) -> {
      throw new IllegalStateException("boom");
    });
    m.addListener((prev, cur) -> heard.add(prev.version() + "->" + cur.version()));
    m.install(policy(1, Effect.ALLOW));
    m.install(policy(9, Effect.ALLOW));
    assertThatThrownBy(() -> m.install(policy(2, Effect.ALLOW))).isInstanceOf(PolicyException.class);
    assertThat(heard).containsExactly("0->1", "1->9");
    assertThat(m.version()).isEqualTo(9);
  }

  @Test
  void cache_hitsReturnTheSameDecision_andMissesAreCounted() throws Exception {
    PolicyManager m = new PolicyManager(policy(1, Effect.AUDIT));
    Decision first = m.decide(SMTP, ObjectType.PROFILE, Permission.READ);
    Decision again = m.decide(Sid.parse("service:smtp@n1"), ObjectType.PROFILE, Permission.READ);
    assertThat(again).isSameAs(first);
    assertThat(m.cache().misses()).isEqualTo(1);
    m.decide(SMTP, ObjectType.PROFILE, Permission.UPDATE);
    assertThat(m.cache().misses()).isEqualTo(2);
    assertThat(m.cache().subjects()).isEqualTo(1);
    m.install(policy(2, Effect.AUDIT));
    assertThat(m.cache().subjects()).as("flushed by the install").isZero();
    assertThat(m.decide(SMTP, ObjectType.PROFILE, Permission.READ).policyVersion()).isEqualTo(2);
  }

  @Test
  void cache_staysWithinItsSubjectBound() throws Exception {
    PolicyManager m = new PolicyManager(policy(1, Effect.ALLOW), 10);
    for (int i = 0; i < 1000; i++) {
      assertThat(m.decide(Sid.user("u" + i, "n1"), ObjectType.FRAGMENT, Permission.READ).allowed()).isTrue();
      assertThat(m.cache().subjects()).isLessThanOrEqualTo(10);
    }
  }

  /**
   * Readers check without pause while the main thread installs new versions that flip the
   * decision. A reader notes the last version whose install had returned before it starts a
   * lookup; the decision it gets must come from that version or a later one.
   */
  @Test
  void afterInstallReturns_noReaderSeesAnOlderDecision() throws Exception {
    PolicyManager m = new PolicyManager(policy(1, Effect.ALLOW));
    AtomicLong installed = new AtomicLong(1);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicLong lookups = new AtomicLong();
    int readers = 3;
    CountDownLatch started = new CountDownLatch(readers);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < readers; t++) {
      Sid subject = Sid.user("reader" + t, "n1");
      threads.add(Thread.ofPlatform().start(() -> {
        started.countDown();
        long n = 0;
        while (!stop.get()) {
          long floor = installed.get();
          Decision d = m.decide(subject, ObjectType.FRAGMENT, Permission.READ);
          // Odd versions allow, even ones deny: the decision must agree with its own version too.
          boolean consistent = d.allowed() == (d.policyVersion() % 2 == 1);
          if (d.policyVersion() < floor || !consistent) {
            violation.compareAndSet(null, "saw " + d + " after version " + floor + " was installed");
          }
          n++;
        }
        lookups.addAndGet(n);
      }));
    }
    started.await();
    for (long v = 2; v <= 3000; v++) {
      m.install(policy(v, v % 2 == 1 ? Effect.ALLOW : Effect.DENY));
      installed.set(v);
    }
    stop.set(true);
    for (Thread t : threads) {
      assertThat(t.join(java.time.Duration.ofSeconds(10))).isTrue();
    }
    assertThat(violation.get()).isNull();
    assertThat(lookups.get()).as("the readers really ran").isGreaterThan(3000);
    assertThat(m.decide(SMTP, ObjectType.FRAGMENT, Permission.READ).policyVersion()).isEqualTo(3000);
  }
}
