package dev.quill.cluster.mail;

import dev.quill.cluster.load.LoadReport;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.UidGrant;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MessageDerived;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Delivers one message to users anywhere in the cluster, Porcupine's way: for each recipient the
 * user's manager numbers the copy (UIDVALIDITY, UID, MODSEQ) and says which nodes hold the
 * mailbox, the {@link LoadBalancer} picks the storing node, and that node stores it durably. A
 * copy counts as delivered only when the storing node has answered, so the caller may say 250
 * then and not before. When the chosen node fails to answer, the copy is numbered again and
 * stored elsewhere once; the first UID stays a gap, never reused. A new fragment is reported to
 * the manager at once, so the next delivery's mail map includes it.
 */
public final class ClusterDelivery {
  private final String self;
  private final ManagerClient managers;
  private final FragmentService fragments;
  private final LoadBalancer balancer;
  private final Supplier<List<String>> members;
  private final Function<String, Optional<LoadReport>> loads;
  private final Duration timeout;

  public ClusterDelivery(String self, ManagerClient managers, FragmentService fragments, LoadBalancer balancer,
      Supplier<List<String>> members, Function<String, Optional<LoadReport>> loads, Duration timeout) {
    this.self = self;
    this.managers = managers;
    this.fragments = fragments;
    this.balancer = balancer;
    this.members = members;
    this.loads = loads;
    this.timeout = timeout;
  }

  /** One copy per user; completes when every copy is durable on its node, or fails with the first failure. */
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, String mailbox, byte[] message,
      Instant internalDate, MessageDerived derived) {
    List<CompletableFuture<DeliveryResult>> copies = new ArrayList<>();
    for (String user : users) {
      copies.add(deliverOne(user, mailbox, message, internalDate, derived, Set.of()));
    }
    return CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new))
        .thenApply(v -> copies.stream().map(CompletableFuture::join).toList());
  }

  private CompletableFuture<DeliveryResult> deliverOne(String user, String mailbox, byte[] message, Instant date,
      MessageDerived derived, Set<String> failed) {
    return managers.allocateUids(user, mailbox, 1).thenCompose(grant -> {
      List<String> live = new ArrayList<>(members.get());
      live.removeAll(failed);
      String node = balancer.choose(new HashSet<>(grant.fragmentNodes()), live, self, loads);
      var copy = new AssignedMessage(user, grant.mailbox(), grant.uidValidity(), grant.firstUid(), grant.firstModSeq(),
          message, Set.of(), date, derived);
      return fragments.store(node, copy, timeout)
          .thenApply(r -> {
            if (r.stored() && !grant.fragmentNodes().contains(node)) {
              // not part of the durability promise: a lost notice only delays the map until the next report
              managers.fragmentStored(user, grant.mailbox(), node);
            }
            return result(user, r);
          })
          .exceptionallyCompose(e -> {
            if (!failed.isEmpty() || live.size() < 2 || !unreachable(e)) {
              return CompletableFuture.failedFuture(e);
            }
            Set<String> now = new HashSet<>(failed);
            now.add(node);
            return deliverOne(user, mailbox, message, date, derived, now);
          });
    });
  }

  private static DeliveryResult result(String user, AppendResult r) {
    return r.stored() ? new DeliveryResult(user, DeliveryResult.Status.STORED, r.uid())
        : new DeliveryResult(user, DeliveryResult.Status.OVER_QUOTA, 0);
  }

  /** Whether the storing node did not answer (as opposed to refusing), so another node may take the copy. */
  private static boolean unreachable(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof dev.quill.cluster.rpc.RpcException r && switch (r.code()) {
      case TIMEOUT, MEMBER_LEFT, NOT_A_MEMBER, SEND_FAILED -> true;
      default -> false;
    };
  }
}
