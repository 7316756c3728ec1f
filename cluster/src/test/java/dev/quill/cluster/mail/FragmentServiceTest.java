package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.rpc.Frame;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storing a message on another node under an assigned UID, over real JGroups transports and real stores. */
class FragmentServiceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String ANN = "ann@example.org";

  @TempDir Path dir;
  private TestNodes nodes;
  private RocksMailStore store1;
  private RocksMailStore store2;
  private RpcEndpoint rpc1;
  private RpcEndpoint rpc2;

  @AfterEach
  void close() {
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

  private static byte[] message(String subject) {
    return ("From: bob@example.org\r\nTo: ann@example.org\r\nSubject: " + subject + "\r\n\r\nHello.\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static AssignedMessage assigned(long uid, byte[] bytes) {
    return new AssignedMessage(ANN, "INBOX", 7, uid, uid, bytes, Set.of("\\Seen"), Instant.parse("2026-01-02T03:04:05Z"),
        new MessageDerived(new byte[] {1, 2, 3}, "hello".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void storesOnTheChosenNode_durably_andRefusesADuplicateUidWithTheStoresReason() throws Exception {
    StoreOptions fast = StoreOptions.defaults().withHashIterations(1_000);
    store1 = RocksMailStore.open(dir.resolve("n1"), fast);
    store2 = RocksMailStore.open(dir.resolve("n2"), fast);
    nodes = new TestNodes("fragments");
    ClusterTransport t1 = nodes.start("n1");
    ClusterTransport t2 = nodes.start("n2");
    await().atMost(Duration.ofSeconds(15)).until(() -> t1.view().size() == 2 && t2.view().size() == 2);
    rpc1 = new RpcEndpoint(t1);
    rpc2 = new RpcEndpoint(t2);
    FragmentService service1 = new FragmentService(rpc1, store1);
    new FragmentService(rpc2, store2);

    byte[] first = message("first");
    AppendResult r = service1.store("n2", assigned(41, first), TIMEOUT).join();
    assertThat(r).isEqualTo(new AppendResult(true, 7, 41));
    assertThat(store2.readMessage(ANN, "INBOX", 41)).hasValueSatisfying(b -> assertThat(b).isEqualTo(first));
    MessageMeta meta = store2.messages(ANN, "INBOX").getFirst();
    assertThat(meta.flags()).containsExactly("\\Seen");
    assertThat(meta.internalDate()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(store2.derived(ANN, "INBOX", 41)).hasValueSatisfying(d -> assertThat(d.searchText()).asString().isEqualTo("hello"));
    assertThat(store1.messages(ANN, "INBOX")).as("nothing stored on the sending node").isEmpty();

    assertThatThrownBy(() -> service1.store("n2", assigned(41, message("again")), TIMEOUT).join())
        .isInstanceOf(CompletionException.class).cause().isInstanceOf(RpcException.class)
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(RpcException.Code.HANDLER_FAILED))
        .hasMessageContaining("41");
    assertThat(store2.readMessage(ANN, "INBOX", 41)).as("the first copy is untouched").hasValueSatisfying(b -> assertThat(b).isEqualTo(first));

    AppendResult local = service1.store("n1", assigned(42, message("local")), TIMEOUT).join();
    assertThat(local.uid()).isEqualTo(42);
    assertThat(store1.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(42L);

    store2.close();
    store2 = RocksMailStore.open(dir.resolve("n2"), fast);
    assertThat(store2.messages(ANN, "INBOX")).extracting(MessageMeta::uid).as("durable before the answer").containsExactly(41L);
  }

  @Test
  void truncatedGarbledOrUnknownVersionStoreRequests_areRefused_andNothingIsStored() throws Exception {
    StoreOptions fast = StoreOptions.defaults().withHashIterations(1_000);
    store1 = RocksMailStore.open(dir.resolve("n1"), fast);
    store2 = RocksMailStore.open(dir.resolve("n2"), fast);
    nodes = new TestNodes("fragments-bad");
    ClusterTransport t1 = nodes.start("n1");
    ClusterTransport t2 = nodes.start("n2");
    await().atMost(Duration.ofSeconds(15)).until(() -> t1.view().size() == 2 && t2.view().size() == 2);
    rpc1 = new RpcEndpoint(t1);
    rpc2 = new RpcEndpoint(t2);
    FragmentService service1 = new FragmentService(rpc1, store1);
    new FragmentService(rpc2, store2);

    WireWriter body = new WireWriter();
    FragmentCodecs.ASSIGNED.write(body, assigned(43, message("never stored")));
    byte[] valid = body.toByteArray();
    long rejectedBefore = rpc2.stats().framesRejected();
    long errorsBefore = rpc2.stats().errorsSent();
    // a body cut short, a body with a byte changed in its length prefix, and a version n2 does not serve
    t1.send("n2", new Frame(Frame.Kind.REQUEST, 1L << 41, TypeIds.STORE_MESSAGE, 1,
        Arrays.copyOf(valid, valid.length / 2)).encode());
    byte[] bent = valid.clone();
    bent[0] = (byte) 0x7f;
    t1.send("n2", new Frame(Frame.Kind.REQUEST, (1L << 41) + 1, TypeIds.STORE_MESSAGE, 1, bent).encode());
    t1.send("n2", new Frame(Frame.Kind.REQUEST, (1L << 41) + 2, TypeIds.STORE_MESSAGE, 9, valid).encode());
    byte[] frame = new Frame(Frame.Kind.REQUEST, (1L << 41) + 3, TypeIds.STORE_MESSAGE, 1, valid).encode();
    frame[frame.length - 3] ^= 0x01; // the checksum no longer matches
    t1.send("n2", frame);

    // n2 still serves, after the bad requests (one sender's frames arrive in order)
    assertThat(service1.store("n2", assigned(44, message("after")), TIMEOUT).join().uid()).isEqualTo(44);
    assertThat(store2.messages(ANN, "INBOX")).extracting(MessageMeta::uid).as("only the good request stored")
        .containsExactly(44L);
    assertThat(rpc2.stats().errorsSent() - errorsBefore).as("typed errors for the decodable frames").isEqualTo(3);
    assertThat(rpc2.stats().framesRejected() - rejectedBefore).as("all four counted (and logged) as rejected").isEqualTo(4);
  }

  @Test
  void codec_roundTripsEveryField() throws Exception {
    AssignedMessage m = assigned(9, message("codec"));
    var out = new dev.quill.cluster.rpc.WireWriter();
    FragmentCodecs.ASSIGNED.write(out, m);
    AssignedMessage back = FragmentCodecs.ASSIGNED.read(new dev.quill.cluster.rpc.WireReader(out.toByteArray()));
    assertThat(List.of(back.user(), back.mailbox(), back.uidValidity(), back.uid(), back.modSeq(), back.flags(), back.internalDate()))
        .isEqualTo(List.of(m.user(), m.mailbox(), m.uidValidity(), m.uid(), m.modSeq(), m.flags(), m.internalDate()));
    assertThat(back.message()).isEqualTo(m.message());
    assertThat(back.derived().structure()).isEqualTo(m.derived().structure());
    assertThat(back.derived().searchText()).isEqualTo(m.derived().searchText());
  }
}
