package dev.quill.cluster.mail;

import dev.quill.store.FragmentSummary;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.UserFragments;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's share of a rebalance, run once in the background: chooses whole mailbox fragments
 * holding about {@code fraction} of this node's messages, leaving out those the target holds
 * already, and moves them one after another ({@link FragmentMover}). A fragment that fails is
 * counted and logged, and the job goes on with the next.
 *
 * <p>Choice: largest fragments first, each taken when it brings the total closer to the goal, so
 * few fragments move and the total ends near {@code fraction}, whatever the sizes.
 */
final class RebalanceJob implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RebalanceJob.class);

  /** A fragment chosen to move. */
  record Planned(String user, String mailbox, int messages) {}

  private final String self;
  private final String run;
  private final String target;
  private final double fraction;
  private final MailStore store;
  private final FragmentAccess fragments;
  private final FragmentMover mover;
  private final Supplier<List<String>> members;
  private final Duration timeout;

  private volatile RebalanceProgress.State state = RebalanceProgress.State.RUNNING;
  private volatile boolean stopping;
  private volatile String error = "";
  private final AtomicInteger fragmentsPlanned = new AtomicInteger();
  private final AtomicInteger fragmentsMoved = new AtomicInteger();
  private final AtomicInteger fragmentsFailed = new AtomicInteger();
  private final AtomicLong messagesPlanned = new AtomicLong();
  private final AtomicLong messagesMoved = new AtomicLong();
  private final AtomicLong bytesMoved = new AtomicLong();

  RebalanceJob(String self, String run, String target, double fraction, MailStore store, FragmentAccess fragments,
      FragmentMover mover, Supplier<List<String>> members, Duration timeout) {
    this.self = self;
    this.run = run;
    this.target = target;
    this.fraction = fraction;
    this.store = store;
    this.fragments = fragments;
    this.mover = mover;
    this.members = members;
    this.timeout = timeout;
  }

  String runId() {
    return run;
  }

  String target() {
    return target;
  }

  boolean running() {
    return state == RebalanceProgress.State.RUNNING;
  }

  /** Asks the job to stop after the batch it is copying; what it copied so far is still moved. */
  void stop() {
    stopping = true;
  }

  RebalanceProgress progress() {
    return new RebalanceProgress(self, run, target, state, fragmentsPlanned.get(), fragmentsMoved.get(),
        fragmentsFailed.get(), messagesPlanned.get(), messagesMoved.get(), bytesMoved.get(), error);
  }

  @Override
  public void run() {
    long started = System.nanoTime();
    try {
      List<Planned> plan = plan();
      log.info("{}: rebalance {}: moving {} fragments with {} messages to {}", self, run, plan.size(),
          messagesPlanned.get(), target);
      for (int i = 0; i < plan.size(); i++) {
        String why = stopping ? self + " is shutting down"
            : members.get().contains(target) ? null : target + " left the cluster";
        if (why != null) {
          fragmentsFailed.addAndGet(plan.size() - i);
          error = why + "; " + (plan.size() - i) + " fragments not moved";
          break;
        }
        moveOne(plan.get(i));
      }
    } catch (RuntimeException e) {
      error = "rebalance stopped: " + (e.getMessage() == null ? e.toString() : e.getMessage());
      log.warn("{}: rebalance {} to {}: {}", self, run, target, error, e);
    } finally {
      state = RebalanceProgress.State.DONE;
      log.info("{}: rebalance {} to {} done in {} ms: {} of {} fragments moved, {} failed, {} messages ({} bytes)",
          self, run, target, (System.nanoTime() - started) / 1_000_000, fragmentsMoved.get(), fragmentsPlanned.get(),
          fragmentsFailed.get(), messagesMoved.get(), bytesMoved.get());
    }
  }

  private void moveOne(Planned p) {
    FragmentMover.Outcome outcome;
    try {
      outcome = mover.move(p.user(), p.mailbox(), target, bytes -> {
        messagesMoved.incrementAndGet();
        bytesMoved.addAndGet(bytes);
      }, () -> stopping);
    } catch (RuntimeException e) {
      outcome = new FragmentMover.Outcome.Failed("moving " + p.user() + "/" + p.mailbox() + " failed: "
          + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    switch (outcome) {
      case FragmentMover.Outcome.Moved m when m.failure() != null -> {
        fragmentsFailed.incrementAndGet(); // in part: what was not copied stays here
        error = m.failure();
      }
      case FragmentMover.Outcome.Moved m -> fragmentsMoved.incrementAndGet();
      case FragmentMover.Outcome.Skipped s -> {
        fragmentsPlanned.decrementAndGet();
        messagesPlanned.addAndGet(-p.messages());
        log.info("{}: rebalance {}: {}/{} not moved: {}", self, run, p.user(), p.mailbox(), s.reason());
      }
      case FragmentMover.Outcome.Failed f -> {
        fragmentsFailed.incrementAndGet();
        error = f.reason();
        log.warn("{}: rebalance {}: {}", self, run, f.reason());
      }
    }
  }

  /** The fragments to move, largest first, counted into the planned totals. */
  private List<Planned> plan() {
    List<Planned> candidates = new ArrayList<>();
    long total = 0;
    for (UserFragments u : store.fragments(0, 0)) {
      for (FragmentSummary f : u.fragments()) {
        total += f.messageCount();
        if (f.messageCount() > 0) {
          candidates.add(new Planned(u.user(), f.mailbox(), f.messageCount()));
        }
      }
    }
    candidates.sort(Comparator.comparingInt(Planned::messages).reversed().thenComparing(Planned::user)
        .thenComparing(Planned::mailbox));
    double goal = total * fraction;
    long taken = 0;
    Map<String, Set<String>> onTarget = new HashMap<>();
    List<Planned> plan = new ArrayList<>();
    for (Planned c : candidates) {
      if (taken >= goal) {
        break;
      }
      // Taken when it brings the total closer to the goal: taken + messages is nearer than taken.
      if (c.messages() >= 2 * (goal - taken)) {
        continue;
      }
      Set<String> held = onTarget.computeIfAbsent(c.user(), this::heldOnTarget);
      if (held.contains(c.mailbox())) {
        continue;
      }
      plan.add(c);
      taken += c.messages();
    }
    fragmentsPlanned.set(plan.size());
    messagesPlanned.set(taken);
    return plan;
  }

  /** The mailboxes of {@code user} of which the target holds a fragment (on its profile node, all of them). */
  private Set<String> heldOnTarget(String user) {
    return Remote.join(fragments.mailboxes(target, user, timeout), "listing " + user + "'s mailboxes on " + target)
        .stream().map(MailboxInfo::name).collect(Collectors.toSet());
  }
}
