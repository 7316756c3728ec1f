package dev.quill.cluster.mail;

import dev.quill.cluster.mail.FragmentAccessCodecs.ExpungeRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.FlagsRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.LoadRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.MailboxRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.RenameRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.RenumberRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.SinceRequest;
import dev.quill.cluster.mail.FragmentAccessCodecs.UserRequest;
import dev.quill.cluster.manager.Fence;
import dev.quill.cluster.manager.FencedException;
import dev.quill.cluster.manager.Fencing;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.Frame;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.Addresses;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.FragmentRenumbering;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxNames;
import dev.quill.store.StoreException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests a node serves on its own fragments, for the nodes that gather mailboxes.
 *
 * <p>Each request runs one {@link MailStore} call on the serving node and answers with its result;
 * a refusal by the store (no such mailbox, stale MODSEQ, ...) reaches the caller as
 * {@link dev.quill.cluster.rpc.RpcException.Code#HANDLER_FAILED} carrying the store's message, so a
 * caller can tell "stale MODSEQ" (allocate again) from other failures. Writes are answered once
 * durable on the serving node. Bodies are laid out in {@link FragmentAccessCodecs}.
 *
 * <table>
 * <caption>Message types: version 1, but FRAGMENT_LOAD 2, FRAGMENT_FLAGS and FRAGMENT_EXPUNGE 3 (their
 * earlier versions still served)</caption>
 * <tr><th>id</th><th>name</th><th>request</th><th>answer</th></tr>
 * <tr><td>201</td><td>FRAGMENT_LIST</td><td>user, mailbox</td><td>{@link FragmentListing}</td></tr>
 * <tr><td>202</td><td>FRAGMENT_MAILBOXES</td><td>user</td><td>mailboxes</td></tr>
 * <tr><td>203</td><td>FRAGMENT_LOAD</td><td>user, mailbox, UIDs, parts, UIDVALIDITY</td><td>loaded messages</td></tr>
 * <tr><td>204</td><td>FRAGMENT_FLAGS</td><td>user, mailbox, UIDs, update, MODSEQ, fence, UIDVALIDITY</td>
 *     <td>flag result</td></tr>
 * <tr><td>205</td><td>FRAGMENT_EXPUNGE</td><td>user, mailbox, UIDs, MODSEQ, fence, UIDVALIDITY</td><td>none</td></tr>
 * <tr><td>206</td><td>FRAGMENT_EXPUNGED_SINCE</td><td>user, mailbox, MODSEQ</td><td>UIDs</td></tr>
 * <tr><td>207</td><td>FRAGMENT_DELETE</td><td>user, mailbox</td><td>boolean</td></tr>
 * <tr><td>208</td><td>FRAGMENT_RENAME</td><td>user, from, to; version 2: then fragments only (boolean)</td><td>none</td></tr>
 * <tr><td>209</td><td>FRAGMENT_USAGE</td><td>user</td><td>bytes</td></tr>
 * <tr><td>227</td><td>FRAGMENT_RENUMBER</td><td>fence, renumbering order</td><td>none, once durable</td></tr>
 * </table>
 */
public final class FragmentAccess {
  /** The wire layout of a mailbox's counters, shared with the profile requests. */
  public static final Codec<MailboxInfo> MAILBOX_INFO = FragmentAccessCodecs.MAILBOX_INFO;

  static final MessageType<MailboxRequest, FragmentListing> LIST = new MessageType<>(
      TypeIds.FRAGMENT_LIST, 1, "FRAGMENT_LIST", FragmentAccessCodecs.MAILBOX, FragmentAccessCodecs.LISTING);
  /**
   * LIST for {@link ReplicaSync}: the same listing, served even while this node catches up, so that
   * two nodes catching up at once compare with each other instead of skipping each other.
   */
  static final MessageType<MailboxRequest, FragmentListing> LIST_FOR_SYNC = new MessageType<>(
      TypeIds.FRAGMENT_LIST_FOR_SYNC, 1, "FRAGMENT_LIST_FOR_SYNC", FragmentAccessCodecs.MAILBOX,
      FragmentAccessCodecs.LISTING);
  static final MessageType<UserRequest, List<MailboxInfo>> MAILBOXES = new MessageType<>(
      TypeIds.FRAGMENT_MAILBOXES, 1, "FRAGMENT_MAILBOXES", FragmentAccessCodecs.USER, FragmentAccessCodecs.MAILBOXES);
  static final MessageType<LoadRequest, List<LoadedMessage>> LOAD = new MessageType<>(
      TypeIds.FRAGMENT_LOAD, 2, "FRAGMENT_LOAD", FragmentAccessCodecs.LOAD, FragmentAccessCodecs.LOADED);
  /** Without the UIDVALIDITY check: served for nodes of an earlier release, and sent to them. */
  static final MessageType<LoadRequest, List<LoadedMessage>> LOAD_V1 = new MessageType<>(
      TypeIds.FRAGMENT_LOAD, 1, "FRAGMENT_LOAD", FragmentAccessCodecs.LOAD_V1, FragmentAccessCodecs.LOADED);
  static final MessageType<FlagsRequest, FlagResult> FLAGS = new MessageType<>(
      TypeIds.FRAGMENT_FLAGS, 3, "FRAGMENT_FLAGS", FragmentAccessCodecs.FLAGS, FragmentAccessCodecs.FLAG_RESULT);
  /** Without the UIDVALIDITY check: served for nodes of an earlier release, and sent to them. */
  static final MessageType<FlagsRequest, FlagResult> FLAGS_V2 = new MessageType<>(
      TypeIds.FRAGMENT_FLAGS, 2, "FRAGMENT_FLAGS", FragmentAccessCodecs.FLAGS_V2, FragmentAccessCodecs.FLAG_RESULT);
  static final MessageType<ExpungeRequest, Void> EXPUNGE = new MessageType<>(
      TypeIds.FRAGMENT_EXPUNGE, 3, "FRAGMENT_EXPUNGE", FragmentAccessCodecs.EXPUNGE, Codecs.EMPTY);
  /** Without the UIDVALIDITY check: served for nodes of an earlier release, and sent to them. */
  static final MessageType<ExpungeRequest, Void> EXPUNGE_V2 = new MessageType<>(
      TypeIds.FRAGMENT_EXPUNGE, 2, "FRAGMENT_EXPUNGE", FragmentAccessCodecs.EXPUNGE_V2, Codecs.EMPTY);
  static final MessageType<SinceRequest, List<Long>> EXPUNGED_SINCE = new MessageType<>(
      TypeIds.FRAGMENT_EXPUNGED_SINCE, 1, "FRAGMENT_EXPUNGED_SINCE", FragmentAccessCodecs.SINCE, FragmentAccessCodecs.UIDS);
  static final MessageType<MailboxRequest, Boolean> DELETE = new MessageType<>(
      TypeIds.FRAGMENT_DELETE, 1, "FRAGMENT_DELETE", FragmentAccessCodecs.MAILBOX, FragmentAccessCodecs.BOOLEAN);
  static final MessageType<RenameRequest, Void> RENAME = new MessageType<>(
      TypeIds.FRAGMENT_RENAME, 2, "FRAGMENT_RENAME", FragmentAccessCodecs.RENAME, Codecs.EMPTY);
  /** Version 1: a whole rename (no fragments-only flag); still served, and sent to nodes of an earlier release. */
  static final MessageType<RenameRequest, Void> RENAME_V1 = new MessageType<>(
      TypeIds.FRAGMENT_RENAME, 1, "FRAGMENT_RENAME", FragmentAccessCodecs.RENAME_V1, Codecs.EMPTY);
  static final MessageType<RenumberRequest, Void> RENUMBER = new MessageType<>(
      TypeIds.FRAGMENT_RENUMBER, 1, "FRAGMENT_RENUMBER", FragmentAccessCodecs.RENUMBER, Codecs.EMPTY);
  static final MessageType<UserRequest, Long> USAGE = new MessageType<>(
      TypeIds.FRAGMENT_USAGE, 1, "FRAGMENT_USAGE", FragmentAccessCodecs.USER, FragmentAccessCodecs.BYTES_USED);

  private static final Logger log = LoggerFactory.getLogger(FragmentAccess.class);
  /** How long an expunge repeated on a move's target may take. */
  static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(10);

  private final RpcEndpoint endpoint;
  private final MailStore store;
  private final MovesInProgress moves = new MovesInProgress();
  private final Fencing fencing;

  /** Serves this node's {@code store} on {@code endpoint}; register before the endpoint listens. */
  public FragmentAccess(RpcEndpoint endpoint, MailStore store) {
    this(endpoint, store, (user, mailbox) -> false, Fencing.NONE);
  }

  /**
   * @param unreadable whether this node's copy of a mailbox may lack changes it missed while away
   *     (it is catching up, {@link ReplicaSync#unreadable}); meanwhile its listing is refused as
   *     {@code UNAVAILABLE}, so that readers use the other copies and never see a message here that
   *     was expunged elsewhere
   * @param fencing refuses flag changes and expunges numbered by a deposed manager
   */
  public FragmentAccess(RpcEndpoint endpoint, MailStore store,
      java.util.function.BiPredicate<String, String> unreadable, Fencing fencing) {
    this.endpoint = endpoint;
    this.store = store;
    this.fencing = fencing;
    endpoint.register(LIST, (from, r) -> {
      if (unreadable.test(r.user(), r.mailbox())) {
        throw new RpcException(RpcException.Code.UNAVAILABLE, endpoint.self()
            + " is catching up on changes made while it was away");
      }
      return listing(r.user(), r.mailbox());
    });
    endpoint.register(LIST_FOR_SYNC, (from, r) -> listing(r.user(), r.mailbox()));
    endpoint.register(MAILBOXES, (from, r) -> store.mailboxes(r.user()));
    endpoint.register(LOAD, (from, r) -> loaded(r));
    endpoint.register(LOAD_V1, (from, r) -> loaded(r));
    endpoint.register(FLAGS, (from, r) ->
        done(updateFlagsHere(r.user(), r.mailbox(), r.uids(), r.update(), r.modSeq(), r.fence(), r.uidValidity())));
    endpoint.register(FLAGS_V2, (from, r) ->
        done(updateFlagsHere(r.user(), r.mailbox(), r.uids(), r.update(), r.modSeq(), r.fence(), 0)));
    endpoint.register(EXPUNGE, (from, r) ->
        done(expungeHere(r.user(), r.mailbox(), r.uids(), r.modSeq(), r.fence(), r.uidValidity())));
    endpoint.register(EXPUNGE_V2, (from, r) ->
        done(expungeHere(r.user(), r.mailbox(), r.uids(), r.modSeq(), r.fence(), 0)));
    endpoint.register(EXPUNGED_SINCE, (from, r) -> store.expungedSince(r.user(), r.mailbox(), r.modSeq()));
    // A node holding nothing of the user answers false rather than the store's "unknown user":
    // a caller's mail map may name a node whose fragment is already gone.
    endpoint.register(DELETE, (from, r) ->
        store.mailbox(r.user(), r.mailbox()).isPresent() && store.deleteMailbox(r.user(), r.mailbox()));
    endpoint.register(RENAME, (from, r) -> renameHere(r));
    endpoint.register(RENAME_V1, (from, r) -> renameHere(r));
    endpoint.register(USAGE, (from, r) -> store.usage(r.user()));
    endpoint.register(RENUMBER, (from, r) -> done(renumberHere(r.order(), r.fence())));
  }

  /**
   * The counters and message list of {@code node}'s fragment of a mailbox, read consistently: the
   * list is exactly the messages the counters describe. Empty when the node holds no such fragment.
   */
  public CompletableFuture<FragmentListing> list(String node, String user, String mailbox, Duration timeout) {
    return endpoint.call(node, LIST, new MailboxRequest(user, mailbox), timeout);
  }

  /** The same listing for a catch-up ({@link ReplicaSync}): answered also while {@code node} catches up. */
  CompletableFuture<FragmentListing> listForSync(String node, String user, String mailbox, Duration timeout) {
    return endpoint.call(node, LIST_FOR_SYNC, new MailboxRequest(user, mailbox), timeout);
  }

  /** The fragments {@code node} holds of a user (on the profile node: all the user's mailboxes), INBOX first. */
  public CompletableFuture<List<MailboxInfo>> mailboxes(String node, String user, Duration timeout) {
    return endpoint.call(node, MAILBOXES, new UserRequest(user), timeout);
  }

  /**
   * {@link MailStore#load} on {@code node}: the messages found, in the order of {@code uids}; a
   * corrupt one is quarantined there and comes back with its problem and no body. Fails when the
   * answer would not fit one frame ({@link Frame#MAX_PAYLOAD}): load in batches.
   */
  public CompletableFuture<List<LoadedMessage>> load(String node, String user, String mailbox, List<Long> uids,
      Set<LoadedMessage.Part> parts, Duration timeout) {
    return load(node, user, mailbox, 0, uids, parts, timeout);
  }

  /**
   * As {@link #load(String, String, String, List, Set, Duration)}, refused there (nothing read) when its
   * fragment's UIDVALIDITY is not {@code uidValidity}; 0 checks nothing. A node of an earlier release,
   * which has no such check, is asked without it.
   */
  public CompletableFuture<List<LoadedMessage>> load(String node, String user, String mailbox, long uidValidity,
      List<Long> uids, Set<LoadedMessage.Part> parts, Duration timeout) {
    LoadRequest request = new LoadRequest(user, mailbox, uids, parts, uidValidity);
    return endpoint.call(node, LOAD, request, timeout)
        .exceptionallyCompose(e -> earlierRelease(e, LOAD_V1)
            ? endpoint.call(node, LOAD_V1, request, timeout)
            : CompletableFuture.failedFuture(e));
  }

  /**
   * {@link MailStore#updateFlags(String, String, Collection, FlagUpdate, long)} on {@code node};
   * fails with the store's "stale MODSEQ" refusal when {@code modSeq} is not above the fragment's,
   * and with {@link FencedException} when {@code fence}'s manager was deposed.
   */
  public CompletableFuture<FlagResult> updateFlags(String node, String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq, Fence fence, Duration timeout) {
    return updateFlags(node, user, mailbox, uids, update, modSeq, fence, 0, timeout);
  }

  /**
   * As {@link #updateFlags(String, String, String, Collection, FlagUpdate, long, Fence, Duration)},
   * refused there (nothing changed) when its fragment's UIDVALIDITY is not {@code uidValidity}; 0
   * checks nothing. A node of an earlier release gets the change without the check.
   */
  public CompletableFuture<FlagResult> updateFlags(String node, String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq, Fence fence, long uidValidity, Duration timeout) {
    FlagsRequest request = new FlagsRequest(user, mailbox, List.copyOf(uids), update, modSeq, fence, uidValidity);
    return FencedException.translated(endpoint.call(node, FLAGS, request, timeout)
        .exceptionallyCompose(e -> earlierRelease(e, FLAGS_V2)
            ? endpoint.call(node, FLAGS_V2, request, timeout)
            : CompletableFuture.failedFuture(e)));
  }

  /** The flag change on this node's own fragment, after the fence check. */
  public CompletableFuture<FlagResult> updateFlagsHere(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq, Fence fence) {
    return updateFlagsHere(user, mailbox, uids, update, modSeq, fence, 0);
  }

  /**
   * As {@link #updateFlagsHere(String, String, Collection, FlagUpdate, long, Fence)}, refused when
   * this fragment has another UIDVALIDITY than {@code uidValidity} (0: any).
   */
  public CompletableFuture<FlagResult> updateFlagsHere(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq, Fence fence, long uidValidity) {
    try {
      fencing.check(user, fence);
    } catch (FencedException e) {
      return CompletableFuture.failedFuture(e);
    }
    return store.updateFlags(user, mailbox, uids, update, modSeq, uidValidity);
  }

  /**
   * {@link MailStore#expunge(String, String, Collection, long)} on {@code node}; completes when durable
   * there, or fails with {@link FencedException} when {@code fence}'s manager was deposed.
   */
  public CompletableFuture<Void> expunge(String node, String user, String mailbox, Collection<Long> uids, long modSeq,
      Fence fence, Duration timeout) {
    return expunge(node, user, mailbox, uids, modSeq, fence, 0, timeout);
  }

  /**
   * As {@link #expunge(String, String, String, Collection, long, Fence, Duration)}, refused there
   * (nothing removed) when its fragment's UIDVALIDITY is not {@code uidValidity}; 0 checks nothing. A
   * node of an earlier release, which has no such check, gets the expunge without it.
   */
  public CompletableFuture<Void> expunge(String node, String user, String mailbox, Collection<Long> uids, long modSeq,
      Fence fence, long uidValidity, Duration timeout) {
    ExpungeRequest request = new ExpungeRequest(user, mailbox, List.copyOf(uids), modSeq, fence, uidValidity);
    return FencedException.translated(endpoint.call(node, EXPUNGE, request, timeout)
        .exceptionallyCompose(e -> earlierRelease(e, EXPUNGE_V2)
            ? endpoint.call(node, EXPUNGE_V2, request, timeout)
            : CompletableFuture.failedFuture(e)));
  }

  /** Whether a call was refused by a node that serves {@code older}'s version of the type and not the one sent. */
  private static boolean earlierRelease(Throwable failure, MessageType<?, ?> older) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return cause instanceof RpcException r && r.code() == RpcException.Code.UNSUPPORTED_VERSION
        && r.supportedVersions().contains(older.version());
  }

  /**
   * Expunges from this node's own fragment under a manager MODSEQ. While the fragment is being moved
   * to another node ({@link MovesInProgress}), the expunge waits for the copy batch in flight and is
   * repeated on the move's target, so that no copy of an expunged message is left there for readers
   * to see (the move's comparison would remove it, but only later). Every expunge of a fragment on
   * this node, a client's through another node or this node's own, must come through here.
   */
  public CompletableFuture<Void> expungeHere(String user, String mailbox, Collection<Long> uids, long modSeq,
      Fence fence) {
    return expungeHere(user, mailbox, uids, modSeq, fence, 0);
  }

  /**
   * As {@link #expungeHere(String, String, Collection, long, Fence)}, refused with nothing removed
   * when this fragment's UIDVALIDITY is not {@code uidValidity} (0 checks nothing).
   */
  public CompletableFuture<Void> expungeHere(String user, String mailbox, Collection<Long> uids, long modSeq,
      Fence fence, long uidValidity) {
    try {
      fencing.check(user, fence);
    } catch (FencedException e) {
      return CompletableFuture.failedFuture(e);
    }
    Optional<MovesInProgress.Move> move = moves.of(Addresses.normalize(user), MailboxNames.canonical(mailbox));
    if (move.isEmpty()) {
      return store.expunge(user, mailbox, uids, modSeq, uidValidity);
    }
    return MovesInProgress.locked(move.get(), () -> {
      try {
        store.expunge(user, mailbox, uids, modSeq, uidValidity).join();
      } catch (CompletionException e) {
        return CompletableFuture.failedFuture(e.getCause() == null ? e : e.getCause());
      }
      try {
        // checked here already; the target's view may lag or lead this node's
        expunge(move.get().target(), user, mailbox, uids, modSeq, Fence.NONE, FORWARD_TIMEOUT).join();
      } catch (CompletionException e) {
        String why = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
        if (why != null && why.contains(StoreException.STALE_MODSEQ)) {
          // A copy numbered after this expunge reached the target first (a flag change copied in a
          // batch): the caller numbers the expunge again, which is done here already and is then
          // made there, instead of the copy staying visible until the move's comparison.
          return CompletableFuture.<Void>failedFuture(new StoreException("the expunge of " + user + "/" + mailbox
              + " is done here; " + move.get().target() + ", the move's target, refused its number: " + why));
        }
        // unreachable, say: the move's comparison removes the copy there later; this expunge is durable here
        log.info("{}: expunge of {}/{} not repeated on {}, the move's target: {}", endpoint.self(), user, mailbox,
            move.get().target(), why);
      }
      return CompletableFuture.<Void>completedFuture(null);
    });
  }

  /** The moves of this node's fragments going on, shared with the rebalancer's mover. */
  MovesInProgress moves() {
    return moves;
  }

  /** UIDs expunged from {@code node}'s fragment above {@code modSeq} (possibly a superset, see {@link MailStore#expungedSince}). */
  public CompletableFuture<List<Long>> expungedSince(String node, String user, String mailbox, long modSeq,
      Duration timeout) {
    return endpoint.call(node, EXPUNGED_SINCE, new SinceRequest(user, mailbox, modSeq), timeout);
  }

  /** Deletes {@code node}'s fragment of a mailbox; false when the node holds none. INBOX is refused. */
  public CompletableFuture<Boolean> deleteFragment(String node, String user, String mailbox, Duration timeout) {
    return endpoint.call(node, DELETE, new MailboxRequest(user, mailbox), timeout);
  }

  /**
   * {@link MailStore#renameMailbox} on {@code node}, or with {@code fragmentsOnly}
   * {@link MailStore#renameFragments}: its fragments of {@code from} and its inferiors move. A node of
   * an earlier release gets a whole rename (version 1), which is the same where it holds no profile.
   */
  public CompletableFuture<Void> renameFragment(String node, String user, String from, String to,
      boolean fragmentsOnly, Duration timeout) {
    RenameRequest request = new RenameRequest(user, from, to, fragmentsOnly);
    return endpoint.call(node, RENAME, request, timeout)
        .exceptionallyCompose(e -> earlierRelease(e, RENAME_V1)
            ? endpoint.call(node, RENAME_V1, request, timeout)
            : CompletableFuture.failedFuture(e));
  }

  private Void renameHere(RenameRequest r) {
    if (r.fragmentsOnly()) {
      store.renameFragments(r.user(), r.from(), r.to());
    } else {
      store.renameMailbox(r.user(), r.from(), r.to());
    }
    return null;
  }

  /**
   * {@link MailStore#renumber} on {@code node}, once {@code fence}'s manager is the user's there;
   * completes when durable, fails with the store's refusal or {@link FencedException}.
   */
  public CompletableFuture<Void> renumber(String node, FragmentRenumbering order, Fence fence, Duration timeout) {
    return FencedException.translated(endpoint.call(node, RENUMBER, new RenumberRequest(order, fence), timeout));
  }

  /**
   * The renumbering of this node's own fragment, after the fence check, durable before this node
   * can switch views (so its reservation is in the reports to a next manager); refused while the
   * fragment moves.
   */
  public CompletableFuture<Void> renumberHere(FragmentRenumbering order, Fence fence) {
    if (moves.of(Addresses.normalize(order.user()), MailboxNames.canonical(order.mailbox())).isPresent()) {
      return CompletableFuture.failedFuture(new StoreException("cannot renumber " + order.user() + "/"
          + order.mailbox() + " on " + endpoint.self() + " while it is being moved to another node; try again"));
    }
    try {
      fencing.durableBeforeViewSwitch(order.user(), fence, () -> store.renumber(order));
      return CompletableFuture.completedFuture(null);
    } catch (CompletionException e) {
      return CompletableFuture.failedFuture(e.getCause() == null ? e : e.getCause());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Bytes of the user's mail held on {@code node}. */
  public CompletableFuture<Long> usage(String node, String user, Duration timeout) {
    return endpoint.call(node, USAGE, new UserRequest(user), timeout);
  }

  // ---- serving -------------------------------------------------------------------------------

  private FragmentListing listing(String user, String mailbox) {
    return FragmentListing.of(store, user, mailbox);
  }

  /** {@link MailStore#load}, refusing an answer too big for one frame before encoding it. */
  private List<LoadedMessage> loaded(LoadRequest r) {
    List<LoadedMessage> messages = r.uidValidity() == 0 ? store.load(r.user(), r.mailbox(), r.uids(), r.parts())
        : store.loadUnder(r.user(), r.mailbox(), r.uidValidity(), r.uids(), r.parts());
    long bytes = 0;
    for (LoadedMessage m : messages) {
      bytes += length(m.body());
      if (m.derived() != null) {
        bytes += length(m.derived().structure()) + length(m.derived().searchText());
      }
    }
    if (bytes > Frame.MAX_PAYLOAD) {
      throw new StoreException("loading " + messages.size() + " messages of " + r.user() + "/" + r.mailbox() + " gives "
          + bytes + " bytes, more than the " + Frame.MAX_PAYLOAD + " of one frame; load fewer at once");
    }
    return messages;
  }

  private static long length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  /** Waits for a store write; its refusal becomes the handler's failure, so the caller gets the store's message. */
  private static <T> T done(CompletableFuture<T> write) throws Exception {
    try {
      return write.join();
    } catch (CompletionException e) {
      throw switch (e.getCause()) {
        case FencedException f -> f.toRpc(); // crosses the wire as FENCED, so the caller numbers again
        case Exception cause -> cause;
        case null, default -> e;
      };
    }
  }
}
