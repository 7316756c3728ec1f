package dev.quill.cluster.mail;

import dev.quill.cluster.load.LoadReport;
import dev.quill.cluster.manager.FencedException;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.UidGrant;
import dev.quill.cluster.manager.UidRequest;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MessageDerived;
import dev.quill.store.StoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Delivers one message to users anywhere in the cluster, Porcupine's way: for each recipient the
 * user's manager numbers the copy (UIDVALIDITY, UID, MODSEQ) and says which nodes hold the
 * mailbox, the {@link LoadBalancer} picks the storing nodes — R distinct ones ({@link Replication})
 * — and each stores it durably under the same UID. A copy counts as delivered only when the
 * required number of nodes have answered that it is durable, so the caller may say 250 then and
 * not before; a node that fails is replaced by another live node ({@link ReplicatedStore}), and
 * when too few can take it the delivery fails as temporary (451). A new fragment is reported to
 * the manager, which records it on the user's profile nodes, before the copy counts as delivered:
 * the next delivery's mail map includes it, and so does every later manager's.
 */
public final class ClusterDelivery {
  /** Numberings of one message before a refusal as a deposed manager's reaches the caller (one view change each). */
  static final int FENCED_ATTEMPTS = 3;

  private final String self;
  private final ManagerClient managers;
  private final FragmentService fragments;
  private final LoadBalancer balancer;
  private final Supplier<List<String>> members;
  private final Function<String, Optional<LoadReport>> loads;
  private final Duration timeout;
  private final Replication replication;
  private final java.util.function.IntSupplier clusterSize;
  private final MissedChanges missed;
  private StoredListener onStored = (event, watched) -> { };

  public ClusterDelivery(String self, ManagerClient managers, FragmentService fragments, LoadBalancer balancer,
      Supplier<List<String>> members, Function<String, Optional<LoadReport>> loads, Duration timeout) {
    this(self, managers, fragments, balancer, members, loads, timeout, Replication.NONE, () -> 1, MissedChanges.NONE);
  }

  /**
   * @param members the nodes that may store new mail now
   * @param clusterSize the members this node knows of, live and presumed down, which bounds the
   *     durable copies a write requires ({@link Replication#required})
   * @param missed told of nodes that did not answer a store in time (they may store it late)
   */
  public ClusterDelivery(String self, ManagerClient managers, FragmentService fragments, LoadBalancer balancer,
      Supplier<List<String>> members, Function<String, Optional<LoadReport>> loads, Duration timeout,
      Replication replication, java.util.function.IntSupplier clusterSize, MissedChanges missed) {
    this.missed = missed;
    this.replication = replication;
    this.clusterSize = clusterSize;
    this.self = self;
    this.managers = managers;
    this.fragments = fragments;
    this.balancer = balancer;
    this.members = members;
    this.loads = loads;
    this.timeout = timeout;
  }

  /** Told of every copy stored, before the caller's future completes. */
  @FunctionalInterface
  public interface StoredListener {
    /**
     * @param watched whether some node's sessions watch the user (the manager says so with the
     *     UIDs): only then is the copy worth a change notice to other nodes
     */
    void stored(MailboxEvent event, boolean watched);
  }

  public void onStored(StoredListener listener) {
    this.onStored = listener;
  }

  /** One copy per user; completes when every copy is durable on its node, or fails with the first failure. */
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, String mailbox, byte[] message,
      Instant internalDate, MessageDerived derived) {
    List<CompletableFuture<DeliveryResult>> copies = new ArrayList<>();
    for (String user : users) {
      copies.add(storeOne(user, mailbox, new Copy(message, Set.of(), internalDate, derived))
          .thenApply(r -> result(user, r)));
    }
    return CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new))
        .thenApply(v -> copies.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Stores messages in one user's mailbox (APPEND, COPY): the manager numbers them all in one request,
   * in the order given (so a COPY keeps its source order), and each is stored on the node the
   * balancer picks; completes with the results in the order given, when every one is durable, or
   * fails with the first failure (the UIDs given to the others stay).
   */
  public CompletableFuture<List<AppendResult>> store(String user, String mailbox, List<Copy> messages) {
    List<CompletableFuture<AppendResult>> stored = new ArrayList<>();
    for (int from = 0; from < messages.size(); from += UidRequest.MAX_COUNT) {
      List<Copy> part = messages.subList(from, Math.min(messages.size(), from + UidRequest.MAX_COUNT));
      CompletableFuture<UidGrant> grant = managers.allocateUids(user, mailbox, part.size());
      for (int i = 0; i < part.size(); i++) {
        Copy copy = part.get(i);
        int index = i;
        stored.add(renumberedIfFenced(grant.thenCompose(g -> storeGranted(user, mailbox, copy, g, index)), user,
            mailbox, copy, FENCED_ATTEMPTS));
      }
    }
    return CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new))
        .thenApply(v -> stored.stream().map(CompletableFuture::join).toList());
  }

  /** One message to store: bytes, flags, internal date (now when null) and derived data (may be null). */
  public record Copy(byte[] message, Set<String> flags, Instant internalDate, MessageDerived derived) {}

  private CompletableFuture<AppendResult> storeOne(String user, String mailbox, Copy c) {
    return renumberedIfFenced(numberedAndStored(user, mailbox, c), user, mailbox, c, FENCED_ATTEMPTS);
  }

  private CompletableFuture<AppendResult> numberedAndStored(String user, String mailbox, Copy c) {
    return managers.allocateUids(user, mailbox, 1).thenCompose(grant -> storeGranted(user, mailbox, c, grant, 0));
  }

  /**
   * {@code write}, or, when the nodes refused its numbers as a deposed manager's and none stored it,
   * the message numbered again by the current manager and stored (a view change moved the user's bucket
   * between numbering and storing). Its old UID is a gap, never given again.
   */
  private CompletableFuture<AppendResult> renumberedIfFenced(CompletableFuture<AppendResult> write, String user,
      String mailbox, Copy c, int attemptsLeft) {
    return write.handle((r, e) -> {
      if (e == null) {
        return CompletableFuture.completedFuture(r);
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof FencedException && attemptsLeft > 1) {
        return renumberedIfFenced(numberedAndStored(user, mailbox, c), user, mailbox, c, attemptsLeft - 1);
      }
      return CompletableFuture.<AppendResult>failedFuture(cause);
    }).thenCompose(f -> f);
  }

  /**
   * Stores {@code c} under the {@code index}-th UID and MODSEQ of {@code grant} on the nodes the
   * balancer picks, the other live nodes standing by in case one fails.
   */
  private CompletableFuture<AppendResult> storeGranted(String user, String mailbox, Copy c, UidGrant grant, int index) {
    List<String> live = new ArrayList<>(members.get());
    int required = replication.required(Math.max(clusterSize.getAsInt(), live.size()));
    if (live.size() < required) {
      return CompletableFuture.failedFuture(new StoreException("only " + live.size()
          + " node(s) can store mail now and every message needs " + required + " durable copies; try again"));
    }
    Set<String> holders = new HashSet<>(grant.fragmentNodes());
    List<String> targets = balancer.chooseAll(holders, live, self, loads, replication.copies(live.size()),
        LoadBalancer.tieKey(user, mailbox));
    List<String> spares = new ArrayList<>(live);
    spares.removeAll(targets);
    long modSeq = grant.firstModSeq() + index;
    var copy = new AssignedMessage(user, grant.mailbox(), grant.uidValidity(), grant.firstUid() + index, modSeq,
        c.message(), c.flags(), c.internalDate(), c.derived());
    return ReplicatedStore.store(fragments, copy, grant.fence(), targets, spares, required, timeout, late -> {
          // A node that did not answer may still store the copy, late: the manager learns that it may
          // hold the mailbox (so reads and changes include it) and the node is told to compare later.
          for (String node : late) {
            if (!holders.contains(node)) {
              managers.fragmentStored(user, grant.mailbox(), node);
            }
            missed.missed(node, user, grant.mailbox());
          }
        })
        .thenCompose(outcome -> {
          // A new holder is recorded on the user's profile nodes before the copy counts as delivered:
          // a later manager, taking over while that node is down, must know to look for it there.
          List<CompletableFuture<Void>> recorded = new ArrayList<>();
          for (String node : outcome.nodes()) {
            if (!holders.contains(node)) {
              recorded.add(managers.fragmentStored(user, grant.mailbox(), node));
            }
          }
          return CompletableFuture.allOf(recorded.toArray(CompletableFuture[]::new)).thenApply(v -> outcome);
        })
        .thenApply(outcome -> {
          AppendResult r = outcome.result();
          if (r.stored()) {
            onStored.stored(new MailboxEvent(user, grant.mailbox(), MailboxEvent.Kind.APPENDED, List.of(r.uid()),
                modSeq), grant.watched());
          }
          return r;
        });
  }

  private static DeliveryResult result(String user, AppendResult r) {
    return r.stored() ? new DeliveryResult(user, DeliveryResult.Status.STORED, r.uid())
        : new DeliveryResult(user, DeliveryResult.Status.OVER_QUOTA, 0);
  }
}
