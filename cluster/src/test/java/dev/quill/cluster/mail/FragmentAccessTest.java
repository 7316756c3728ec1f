package dev.quill.cluster.mail;

import dev.quill.cluster.manager.Fence;
import dev.quill.cluster.manager.FencedException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreException;
import dev.quill.store.StoreOptions;
import dev.quill.store.UidValidityChangedException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Node n1 reads and changes the fragments that node n2 holds, through {@link FragmentAccess}, over
 * real JGroups transports and real stores. The users have no profile on either node, as on a node
 * holding fragments for a manager. Each test works on a user of its own, so they share the nodes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FragmentAccessTest {
  private static final String DEPOSED = "old-manager";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final StoreOptions FAST = StoreOptions.defaults().withHashIterations(1_000);
  private static final long UIDVALIDITY = 1_750_000_000L;
  private static final String CAROL = "carol@example.org"; // reads, corrupt and unknown UIDs
  private static final String DAVE = "dave@example.org"; // flags and expunges
  private static final String ERIN = "erin@example.org"; // rename and delete
  private static final String FRANK = "frank@example.org"; // listing while messages arrive
  private static final String GINA = "gina@example.org"; // an answer too big for a frame
  private static final Set<LoadedMessage.Part> ALL = Set.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED);

  private TestNodes nodes;
  private RocksMailStore store1;
  private RocksMailStore store2;
  private RpcEndpoint rpc1;
  private RpcEndpoint rpc2;
  /** n1's client; n2 serves. */
  private FragmentAccess access;
  /** n2's side, for the moves it makes. */
  private FragmentAccess served2;
  private final List<byte[]> carolInbox = new ArrayList<>();
  /** Whether n2 says it is catching up after being away. */
  private final java.util.concurrent.atomic.AtomicBoolean n2CatchingUp = new java.util.concurrent.atomic.AtomicBoolean();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path dir2 = dir.resolve("n2");
    long carolInboxId;
    try (RocksMailStore prepare = RocksMailStore.open(dir2, FAST)) {
      for (long uid = 1; uid <= 4; uid++) {
        carolInbox.add(store(prepare, CAROL, "INBOX", uid, uid + 10, 200 + (int) uid));
      }
      store(prepare, CAROL, "Lists/quill", 9, 20, 300);
      carolInboxId = prepare.mailbox(CAROL, "INBOX").orElseThrow().id();
    }
    byte[] damaged = carolInbox.get(2).clone();
    damaged[damaged.length - 3] ^= 0x20;
    damageBody(dir2, carolInboxId, 3, damaged);

    store1 = RocksMailStore.open(dir.resolve("n1"), FAST);
    store2 = RocksMailStore.open(dir2, FAST);
    nodes = new TestNodes("fragment-access");
    ClusterTransport t1 = nodes.start("n1");
    ClusterTransport t2 = nodes.start("n2");
    await().atMost(Duration.ofSeconds(15)).until(() -> t1.view().size() == 2 && t2.view().size() == 2);
    rpc1 = new RpcEndpoint(t1);
    rpc2 = new RpcEndpoint(t2);
    access = new FragmentAccess(rpc1, store1);
    served2 = new FragmentAccess(rpc2, store2, (user, box) -> n2CatchingUp.get(), (user, fence) -> {
      if (fence.manager().equals(DEPOSED)) {
        throw new FencedException("n2 refuses " + user + "'s numbers from " + fence.manager());
      }
    });
  }

  @AfterAll
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {rpc1, rpc2, nodes, store1, store2}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void aNodeCatchingUp_refusesListingsAsUnavailable_untilItIsDone() {
    n2CatchingUp.set(true);
    try {
      Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> access.list("n2", CAROL, "INBOX", TIMEOUT).join());
      assertThat(e.getCause()).isInstanceOf(dev.quill.cluster.rpc.RpcException.class)
          .hasMessageContaining("UNAVAILABLE").hasMessageContaining("catching up");
      assertThat(Remote.unreachable(e)).as("readers treat it as a node that did not answer").isTrue();
    } finally {
      n2CatchingUp.set(false);
    }
    assertThat(access.list("n2", CAROL, "INBOX", TIMEOUT).join().messages()).hasSize(4);
  }

  private static byte[] message(String subject, int size) {
    var sb = new StringBuilder("From: bob@example.org\r\nSubject: ").append(subject).append("\r\n\r\n");
    while (sb.length() < size) {
      sb.append("All work and no play.\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Stores a message as a delivery through the manager would: under an assigned UID and MODSEQ. */
  private static byte[] store(MailStore store, String user, String mailbox, long uid, long modSeq, int size) {
    byte[] bytes = message(mailbox + " " + uid, size);
    store.storeAssigned(new AssignedMessage(user, mailbox, UIDVALIDITY, uid, modSeq, bytes, Set.of("$Label"),
        Instant.parse("2026-02-03T04:05:06.789Z"), new MessageDerived(new byte[] {(byte) uid, 7},
        ("text " + uid).getBytes(StandardCharsets.US_ASCII)))).join();
    return bytes;
  }

  /**
   * Replaces a stored body behind the closed store's back, as a disk fault would: the CRC32C kept
   * with the message no longer matches. Knows the store's body key (mailbox id, UID; big-endian).
   */
  private static void damageBody(Path storeDir, long mailboxId, long uid, byte[] bytes) throws RocksDBException {
    RocksDB.loadLibrary();
    try (var options = new Options(); var dbOptions = new DBOptions()) {
      List<byte[]> names = RocksDB.listColumnFamilies(options, storeDir.toString());
      List<ColumnFamilyDescriptor> descriptors = names.stream().map(ColumnFamilyDescriptor::new).toList();
      var handles = new ArrayList<ColumnFamilyHandle>();
      try (RocksDB db = RocksDB.open(dbOptions, storeDir.toString(), descriptors, handles)) {
        int bodies = 0;
        while (!new String(names.get(bodies), StandardCharsets.US_ASCII).equals("bodies")) {
          bodies++;
        }
        db.put(handles.get(bodies), ByteBuffer.allocate(16).putLong(mailboxId).putLong(uid).array(), bytes);
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  /** The RPC failure behind a failed call. */
  private static RpcException rpcFailure(CompletableFuture<?> call) {
    try {
      call.join();
      throw new AssertionError("expected the call to fail");
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(RpcException.class);
      return (RpcException) e.getCause();
    }
  }

  @Test
  void reads_fromAnotherNode_answerAsTheStoreThere() {
    FragmentListing listing = access.list("n2", CAROL, "INBOX", TIMEOUT).join();
    assertThat(listing.mailbox()).isEqualTo(store2.mailbox(CAROL, "INBOX"));
    assertThat(listing.mailbox().orElseThrow().uidValidity()).isEqualTo(UIDVALIDITY);
    assertThat(listing.messages()).isEqualTo(store2.messages(CAROL, "INBOX"))
        .extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L, 4L);
    assertThat(listing.messages().getFirst().internalDate()).isEqualTo(Instant.parse("2026-02-03T04:05:06.789Z"));
    assertThat(access.list("n2", CAROL, "Nowhere", TIMEOUT).join()).isEqualTo(new FragmentListing(java.util.Optional.empty(), List.of()));
    assertThat(access.list("n1", CAROL, "INBOX", TIMEOUT).join().mailbox()).as("n1 holds nothing").isEmpty();

    assertThat(access.mailboxes("n2", CAROL, TIMEOUT).join()).isEqualTo(store2.mailboxes(CAROL))
        .extracting(MailboxInfo::name).containsExactly("INBOX", "Lists/quill");
    assertThat(access.mailboxes("n1", CAROL, TIMEOUT).join()).isEmpty();
    assertThat(access.usage("n2", CAROL, TIMEOUT).join()).isEqualTo(store2.usage(CAROL)).isPositive();
    assertThat(access.usage("n1", CAROL, TIMEOUT).join()).isZero();

    List<LoadedMessage> loaded = access.load("n2", CAROL, "INBOX", List.of(4L, 77L, 1L), ALL, TIMEOUT).join();
    assertThat(loaded).extracting(m -> m.meta().uid()).as("unknown UIDs left out, order kept").containsExactly(4L, 1L);
    assertThat(loaded.get(0).body()).isEqualTo(carolInbox.get(3));
    assertThat(loaded.get(1).body()).isEqualTo(carolInbox.get(0));
    assertThat(loaded.get(1).derived().structure()).containsExactly(1, 7);
    assertThat(loaded.get(1).derived().searchText()).asString().isEqualTo("text 1");
    assertThat(loaded.get(1).meta()).isEqualTo(store2.messages(CAROL, "INBOX").getFirst());
    assertThat(loaded).allSatisfy(m -> assertThat(m.problem()).isNull());
    assertThat(access.load("n2", CAROL, "INBOX", List.of(2L), LoadedMessage.META_ONLY, TIMEOUT).join())
        .singleElement().satisfies(m -> {
          assertThat(m.body()).isNull();
          assertThat(m.derived()).isNull();
        });
    assertThat(access.load("n2", CAROL, "Nowhere", List.of(1L), ALL, TIMEOUT).join()).isEmpty();

    // UID 3 was damaged on disk: reported with its problem and no body, and quarantined on n2, as locally.
    assertThat(access.load("n2", CAROL, "INBOX", List.of(2L, 3L), ALL, TIMEOUT).join())
        .extracting(m -> m.meta().uid(), m -> m.body() == null, m -> m.problem() != null)
        .containsExactly(tuple(2L, false, false), tuple(3L, true, true));
    assertThat(store2.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L, 4L);
    assertThat(access.load("n2", CAROL, "INBOX", List.of(3L), ALL, TIMEOUT).join()).as("gone once quarantined").isEmpty();
    assertThat(access.list("n2", CAROL, "INBOX", TIMEOUT).join().messages()).extracting(MessageMeta::uid)
        .containsExactly(1L, 2L, 4L);
  }

  @Test
  void flagsAndExpunges_underManagerModSeqs_staleOnesRefusedAcrossTheWire() {
    for (long uid = 1; uid <= 3; uid++) {
      store(store2, DAVE, "INBOX", uid, uid, 150);
    }
    FlagResult result = access.updateFlags("n2", DAVE, "INBOX", List.of(1L, 3L, 99L),
        new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1), 10, Fence.NONE, TIMEOUT).join();
    assertThat(result.updated()).extracting(MessageMeta::uid, MessageMeta::modSeq)
        .containsExactly(tuple(1L, 10L), tuple(3L, 10L));
    assertThat(result.updated().getFirst().flags()).containsExactlyInAnyOrder("\\Seen", "$Label");
    assertThat(store2.mailbox(DAVE, "INBOX").orElseThrow().highestModSeq()).isEqualTo(10);

    FlagResult conditional = access.updateFlags("n2", DAVE, "INBOX", List.of(1L, 2L),
        new FlagUpdate(FlagUpdate.Mode.REMOVE, Set.of("$Label"), 5), 11, Fence.NONE, TIMEOUT).join();
    assertThat(conditional.modified()).containsExactly(1L);
    assertThat(conditional.updated()).extracting(MessageMeta::uid, MessageMeta::modSeq).containsExactly(tuple(2L, 11L));

    RpcException stale = rpcFailure(access.updateFlags("n2", DAVE, "INBOX", List.of(2L),
        new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Flagged"), -1), 11, Fence.NONE, TIMEOUT));
    assertThat(stale.code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
    assertThat(stale).hasMessageContaining("stale MODSEQ 11").hasMessageContaining("HIGHESTMODSEQ 11");
    assertThat(store2.messages(DAVE, "INBOX").get(1).flags()).as("nothing changed").doesNotContain("\\Flagged");

    access.expunge("n2", DAVE, "INBOX", List.of(2L, 3L), 12, Fence.NONE, TIMEOUT).join();
    assertThat(store2.messages(DAVE, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L);
    assertThat(store2.mailbox(DAVE, "INBOX").orElseThrow().highestModSeq()).isEqualTo(12);
    assertThat(access.expungedSince("n2", DAVE, "INBOX", 11, TIMEOUT).join()).containsExactly(2L, 3L);
    assertThat(access.expungedSince("n2", DAVE, "INBOX", 12, TIMEOUT).join()).isEmpty();
    RpcException staleExpunge = rpcFailure(access.expunge("n2", DAVE, "INBOX", List.of(1L), 12, Fence.NONE, TIMEOUT));
    assertThat(staleExpunge.code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
    assertThat(staleExpunge).hasMessageContaining("stale MODSEQ 12");
    assertThat(store2.messages(DAVE, "INBOX")).hasSize(1);

    RpcException missing = rpcFailure(access.expunge("n2", DAVE, "Nowhere", List.of(1L), 50, Fence.NONE, TIMEOUT));
    assertThat(missing).hasMessageContaining("no mailbox Nowhere");

    // numbers from a manager the holder knows is deposed: refused as FENCED, before anything changes
    Fence deposed = new Fence(DEPOSED, 7);
    assertThatThrownBy(() -> access.updateFlags("n2", DAVE, "INBOX", List.of(1L),
        new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Deleted"), -1), 40, deposed, TIMEOUT).join())
        .cause().isInstanceOf(FencedException.class).hasMessageContaining("n2 refuses").hasMessageContaining(DEPOSED);
    assertThatThrownBy(() -> access.expunge("n2", DAVE, "INBOX", List.of(1L), 41, deposed, TIMEOUT).join())
        .cause().isInstanceOf(FencedException.class);
    assertThat(store2.messages(DAVE, "INBOX")).singleElement().satisfies(m -> {
      assertThat(m.flags()).doesNotContain("\\Deleted");
      assertThat(m.modSeq()).isLessThan(40);
    });
    assertThat(store2.mailbox(DAVE, "INBOX").orElseThrow().highestModSeq()).isEqualTo(12);
  }

  @Test
  void anExpungeFlagChangeOrReadTakenUnderAnotherUidValidity_isRefusedThere_andChangesNothing() throws Exception {
    String hana = "hana@example.org";
    for (long uid = 1; uid <= 3; uid++) {
      store(store2, hana, "INBOX", uid, uid, 150);
    }
    // the fragment was renumbered (or created again) after the caller took its UIDs
    RpcException changed = rpcFailure(access.expunge("n2", hana, "INBOX", List.of(1L, 2L), 20, Fence.NONE,
        UIDVALIDITY - 1, TIMEOUT));
    assertThat(changed.code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
    assertThat(UidValidityChangedException.fromMessage(changed.getMessage())).as(changed.getMessage()).isPresent();
    assertThat(store2.messages(hana, "INBOX")).extracting(MessageMeta::uid).as("nothing removed")
        .containsExactly(1L, 2L, 3L);
    assertThat(store2.mailbox(hana, "INBOX").orElseThrow().highestModSeq()).isEqualTo(3);

    FlagUpdate seen = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1);
    RpcException flagsRefused = rpcFailure(access.updateFlags("n2", hana, "INBOX", List.of(3L), seen, 20, Fence.NONE,
        UIDVALIDITY - 1, TIMEOUT));
    assertThat(UidValidityChangedException.fromMessage(flagsRefused.getMessage())).isPresent();
    assertThat(store2.messages(hana, "INBOX")).as("no flag changed").allSatisfy(m ->
        assertThat(m.flags()).doesNotContain("\\Seen"));
    assertThat(access.updateFlags("n2", hana, "INBOX", List.of(3L), seen, 20, Fence.NONE, UIDVALIDITY, TIMEOUT)
        .join().updated()).extracting(MessageMeta::uid).containsExactly(3L);

    Set<LoadedMessage.Part> body = Set.of(LoadedMessage.Part.BODY);
    RpcException loadRefused = rpcFailure(access.load("n2", hana, "INBOX", UIDVALIDITY - 1, List.of(2L), body,
        TIMEOUT));
    assertThat(UidValidityChangedException.fromMessage(loadRefused.getMessage())).as("a read taken under another")
        .isPresent();
    assertThat(access.load("n2", hana, "INBOX", UIDVALIDITY, List.of(2L), body, TIMEOUT).join()).singleElement()
        .satisfies(m -> assertThat(m.body()).isNotNull());
    assertThat(access.load("n2", hana, "INBOX", 0, List.of(2L), body, TIMEOUT).join()).as("0: unchecked").hasSize(1);

    access.expunge("n2", hana, "INBOX", List.of(1L), 21, Fence.NONE, UIDVALIDITY, TIMEOUT).join();
    assertThat(store2.messages(hana, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L, 3L);

    // A node of an earlier release serves version 2 only (version 1 of FRAGMENT_LOAD): it gets the
    // expunge, the flag change and the read, without the check.
    ClusterTransport t3 = nodes.start("n3");
    try (RpcEndpoint rpc3 = new RpcEndpoint(t3)) {
      List<FragmentAccessCodecs.ExpungeRequest> served = new java.util.concurrent.CopyOnWriteArrayList<>();
      rpc3.register(FragmentAccess.EXPUNGE_V2, (from, r) -> {
        served.add(r);
        return null;
      });
      List<FragmentAccessCodecs.FlagsRequest> flagged = new java.util.concurrent.CopyOnWriteArrayList<>();
      rpc3.register(FragmentAccess.FLAGS_V2, (from, r) -> {
        flagged.add(r);
        return new FlagResult(List.of(), Set.of());
      });
      List<FragmentAccessCodecs.RenameRequest> renamed = new java.util.concurrent.CopyOnWriteArrayList<>();
      rpc3.register(FragmentAccess.RENAME_V1, (from, r) -> {
        renamed.add(r);
        return null;
      });
      List<FragmentAccessCodecs.LoadRequest> read = new java.util.concurrent.CopyOnWriteArrayList<>();
      rpc3.register(FragmentAccess.LOAD_V1, (from, r) -> {
        read.add(r);
        return List.of();
      });
      await().atMost(Duration.ofSeconds(15)).until(() -> t3.view().size() == 3);
      access.expunge("n3", hana, "INBOX", List.of(7L), 30, Fence.NONE, UIDVALIDITY, TIMEOUT).join();
      assertThat(served).singleElement().satisfies(r -> {
        assertThat(r.uids()).containsExactly(7L);
        assertThat(r.modSeq()).isEqualTo(30);
        assertThat(r.uidValidity()).isZero();
      });
      access.updateFlags("n3", hana, "INBOX", List.of(8L), seen, 31, Fence.NONE, UIDVALIDITY, TIMEOUT).join();
      assertThat(flagged).singleElement().satisfies(r -> {
        assertThat(r.uids()).containsExactly(8L);
        assertThat(r.uidValidity()).isZero();
      });
      assertThat(access.load("n3", hana, "INBOX", UIDVALIDITY, List.of(9L), body, TIMEOUT).join()).isEmpty();
      assertThat(read).singleElement().satisfies(r -> {
        assertThat(r.uids()).containsExactly(9L);
        assertThat(r.uidValidity()).isZero();
      });
      access.renameFragment("n3", hana, "Lists", "Old/Lists", true, TIMEOUT).join();
      assertThat(renamed).as("sent again as a version 1 rename").singleElement()
          .satisfies(r -> assertThat(r.to()).isEqualTo("Old/Lists"));
    } finally {
      t3.close();
    }
  }

  @Test
  void anExpungeDuringAMove_whoseNumberTheTargetRefuses_isNumberedAgain_andReachesTheTarget() {
    String ivy = "ivy@example.org";
    store(store2, ivy, "INBOX", 1, 5, 100);
    store(store2, ivy, "INBOX", 2, 6, 100);
    // n2 moves ivy's INBOX to n1 and has copied both messages; UID 2 went with a flag change numbered
    // 50, after the client's expunge of UID 1 was numbered 20 (the copy batch ran in between).
    whileN2MovesToN1(ivy, () -> {
      store(store1, ivy, "INBOX", 1, 5, 100);
      store(store1, ivy, "INBOX", 2, 50, 100);

      RpcException refused = rpcFailure(access.expunge("n2", ivy, "INBOX", List.of(1L), 20, Fence.NONE, TIMEOUT));
      assertThat(refused).as("so that the caller numbers it again").hasMessageContaining(StoreException.STALE_MODSEQ)
          .hasMessageContaining("n1, the move's target");
      assertThat(store2.messages(ivy, "INBOX")).extracting(MessageMeta::uid).as("done on n2 already")
          .containsExactly(2L);
      assertThat(store1.messages(ivy, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L);

      // numbered again: nothing more to do on n2, and the copy on the target goes too
      access.expunge("n2", ivy, "INBOX", List.of(1L), 51, Fence.NONE, TIMEOUT).join();
      assertThat(store1.messages(ivy, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
      assertThat(store2.messages(ivy, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
    });
  }

  @Test
  void anExpungeForwardedToAMovesTarget_beforeTheCopyLands_makesTheTargetRefuseTheLateCopy() {
    String jo = "jo@example.org";
    store(store2, jo, "INBOX", 1, 5, 100);
    store(store2, jo, "INBOX", 2, 6, 100);
    // n2 moves jo's INBOX to n1: UID 2 is there; the store of UID 1 timed out at n2 and still runs on n1
    whileN2MovesToN1(jo, () -> {
      store(store1, jo, "INBOX", 2, 6, 100);
      access.expunge("n2", jo, "INBOX", List.of(1L), 20, Fence.NONE, TIMEOUT).join();
      assertThat(store2.messages(jo, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);

      assertThatThrownBy(() -> store(store1, jo, "INBOX", 1, 5, 100)).as("the late copy")
          .hasMessageContaining(StoreException.UID_EXPUNGED);
      assertThat(store1.messages(jo, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
    });
  }

  @Test
  void oneExpungeForwardedToAMovesTarget_byTwoHolders_succeedsForBoth() {
    String kim = "kim@example.org";
    store(store1, kim, "INBOX", 1, 5, 100); // n1 holds the other copy and is the move's target too
    store(store1, kim, "INBOX", 2, 6, 100);
    store(store2, kim, "INBOX", 1, 5, 100);
    store(store2, kim, "INBOX", 2, 6, 100);
    whileN2MovesToN1(kim, () -> {
      // the client's expunge, numbered 30, reaches n1 first (a holder), then n2, which forwards it to n1
      store1.expunge(kim, "INBOX", List.of(1L), 30).join();
      access.expunge("n2", kim, "INBOX", List.of(1L), 30, Fence.NONE, TIMEOUT).join();

      assertThat(store1.messages(kim, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
      assertThat(store2.messages(kim, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
      assertThat(store1.mailbox(kim, "INBOX").orElseThrow().highestModSeq()).isEqualTo(30);
    });
  }

  /** Runs {@code body} while n2 moves {@code user}'s INBOX to n1 (expunges there are repeated on n1). */
  private void whileN2MovesToN1(String user, Runnable body) {
    MovesInProgress.Move move = served2.moves().begin(user, "INBOX", "n1");
    try {
      body.run();
    } finally {
      served2.moves().end(user, "INBOX", move);
    }
  }

  @Test
  void renameAndDelete_ofFragments() {
    store(store2, ERIN, "INBOX", 1, 1, 100);
    store(store2, ERIN, "Lists", 2, 2, 100);
    store(store2, ERIN, "Lists/quill", 3, 3, 100);

    access.renameFragment("n2", ERIN, "Lists", "Old/Lists", true, TIMEOUT).join();
    assertThat(store2.mailboxes(ERIN)).extracting(MailboxInfo::name, MailboxInfo::uidValidity).containsExactly(
        tuple("INBOX", UIDVALIDITY), tuple("Old/Lists", UIDVALIDITY), tuple("Old/Lists/quill", UIDVALIDITY));
    assertThat(store2.messages(ERIN, "Old/Lists/quill")).extracting(MessageMeta::uid).containsExactly(3L);
    assertThat(rpcFailure(access.renameFragment("n2", ERIN, "INBOX", "Old", true, TIMEOUT)))
        .hasMessageContaining("cannot rename INBOX fragment");
    assertThat(rpcFailure(access.renameFragment("n2", ERIN, "Lists", "Other", true, TIMEOUT)))
        .satisfies(e -> assertThat(e.code()).isEqualTo(RpcException.Code.HANDLER_FAILED))
        .hasMessageContaining("no such mailbox Lists");

    assertThat(access.deleteFragment("n2", ERIN, "Old/Lists", TIMEOUT).join()).isTrue();
    assertThat(access.deleteFragment("n2", ERIN, "Old/Lists", TIMEOUT).join()).isFalse();
    assertThat(access.deleteFragment("n1", ERIN, "Old/Lists/quill", TIMEOUT).join()).as("n1 holds nothing").isFalse();
    assertThat(store2.mailboxes(ERIN)).extracting(MailboxInfo::name).containsExactly("INBOX", "Old/Lists/quill");
    // n2 holds no profile of ERIN: its INBOX fragment is deleted like any other (deleting the user does so).
    assertThat(access.deleteFragment("n2", ERIN, "INBOX", TIMEOUT).join()).isTrue();
    assertThat(store2.mailboxes(ERIN)).extracting(MailboxInfo::name).containsExactly("Old/Lists/quill");
  }

  @Test
  void listing_isConsistentWhileMessagesArriveAndGo() throws Exception {
    var writing = new AtomicBoolean(true);
    var writer = Thread.ofVirtual().start(() -> {
      try {
        for (long uid = 1; uid <= 150; uid++) {
          store(store2, FRANK, "INBOX", uid, 2 * uid, 100 + (int) uid);
          if (uid % 10 == 0) {
            store2.expunge(FRANK, "INBOX", List.of(uid - 5), 2 * uid + 1).join();
          }
        }
      } finally {
        writing.set(false);
      }
    });
    int listings = 0;
    do {
      FragmentListing listing = access.list("n2", FRANK, "INBOX", TIMEOUT).join();
      listings++;
      if (listing.mailbox().isEmpty()) {
        continue;
      }
      MailboxInfo box = listing.mailbox().get();
      assertThat(listing.messages()).as("listing %d", listings).hasSize(box.messageCount());
      assertThat(listing.messages().stream().mapToLong(MessageMeta::size).sum()).isEqualTo(box.totalBytes());
      assertThat(listing.messages()).allSatisfy(m -> {
        assertThat(m.uid()).isLessThan(box.uidNext());
        assertThat(m.modSeq()).isLessThanOrEqualTo(box.highestModSeq());
      });
    } while (writing.get());
    writer.join();
    FragmentListing last = access.list("n2", FRANK, "INBOX", TIMEOUT).join();
    assertThat(last.messages()).isEqualTo(store2.messages(FRANK, "INBOX")).hasSize(150 - 15);
    assertThat(listings).isGreaterThan(1);
  }

  @Test
  void load_tooBigForOneFrame_failsOnTheServingSide_smallerBatchesWork() {
    int size = 33 << 20;
    byte[] first = store(store2, GINA, "INBOX", 1, 1, size);
    store(store2, GINA, "INBOX", 2, 2, size);

    RpcException tooBig = rpcFailure(access.load("n2", GINA, "INBOX", List.of(1L, 2L),
        Set.of(LoadedMessage.Part.BODY), TIMEOUT));
    assertThat(tooBig.code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
    assertThat(tooBig).hasMessageContaining("2 messages").hasMessageContaining("more than the 67108864 of one frame");

    List<LoadedMessage> one = access.load("n2", GINA, "INBOX", List.of(1L), Set.of(LoadedMessage.Part.BODY), TIMEOUT).join();
    assertThat(one).singleElement().satisfies(m -> assertThat(Arrays.equals(m.body(), first)).isTrue());
    assertThat(access.load("n2", GINA, "INBOX", List.of(1L, 2L), LoadedMessage.META_ONLY, TIMEOUT).join()).hasSize(2);
  }
}
