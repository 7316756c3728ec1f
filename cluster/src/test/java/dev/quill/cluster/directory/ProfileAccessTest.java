package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.directory.DirectoryNodes.Node;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.store.MailboxInfo;
import dev.quill.store.UserProfile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A profile held on node c, read and changed from node a through {@link ProfileAccess}: three in-JVM
 * nodes with real JGroups transports and real stores.
 */
class ProfileAccessTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String ANN = "ann@example.org";

  @TempDir Path dir;
  private DirectoryNodes nodes;
  private Node a;
  private Node c;

  @BeforeEach
  void start() throws Exception {
    nodes = new DirectoryNodes("profiles", dir);
    a = nodes.start("a");
    nodes.start("b");
    c = nodes.create("c");
    c.store.addDomain("example.org");
    c.store.addUser(ANN, "secret-ann".toCharArray());
    nodes.join(c);
    await().atMost(Duration.ofSeconds(15)).until(() -> a.transport.view().size() == 3 && c.transport.view().size() == 3);
  }

  @AfterEach
  void close() {
    nodes.close();
  }

  @Test
  void authenticate_fromAnotherNode_checksThePasswordOnTheProfileNode() {
    char[] password = "secret-ann".toCharArray();

    assertThat(a.profiles.authenticate("c", ANN, password, TIMEOUT).join()).isTrue();
    assertThat(password).as("the caller's array is left alone").isEqualTo("secret-ann".toCharArray());
    assertThat(a.profiles.authenticate("c", "ANN@Example.org", "secret-ann".toCharArray(), TIMEOUT).join()).isTrue();
    assertThat(a.profiles.authenticate("c", ANN, "wrong".toCharArray(), TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("c", ANN, new char[0], TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("c", ANN, null, TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("c", "nobody@example.org", "secret-ann".toCharArray(), TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("a", ANN, "secret-ann".toCharArray(), TIMEOUT).join())
        .as("node a holds no profile of ann").isFalse();
    assertThat(a.profiles.authenticate("c", ANN, "pässwörd-\uD83D\uDD11".toCharArray(), TIMEOUT).join()).isFalse();
  }

  @Test
  void authenticate_manyAtOnce_allAnswered() {
    // Each check hashes on the profile node; handlers run on virtual threads, so they do not queue behind each other.
    List<CompletableFuture<Boolean>> calls = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      calls.add(a.profiles.authenticate("c", ANN, (i % 2 == 0 ? "secret-ann" : "wrong-" + i).toCharArray(), TIMEOUT));
    }
    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i).join()).as("call %d", i).isEqualTo(i % 2 == 0);
    }
  }

  @Test
  void user_fromAnotherNode_isTheProfileNodesRecord() {
    Optional<UserProfile> profile = a.profiles.user("c", ANN, TIMEOUT).join();

    assertThat(profile).isEqualTo(c.store.user(ANN)).isPresent();
    assertThat(profile.get().address()).isEqualTo(ANN);
    assertThat(a.profiles.user("c", "nobody@example.org", TIMEOUT).join()).isEmpty();
    assertThat(a.profiles.user("b", ANN, TIMEOUT).join()).as("b holds no profile").isEmpty();
  }

  @Test
  void createMailbox_fromAnotherNode_createdOnTheProfileNode_andARefusalCarriesTheStoresMessage() {
    MailboxInfo created = a.profiles.createMailbox("c", ANN, "Projects/2026", Set.of("\\Archive"), TIMEOUT).join();

    assertThat(created.name()).isEqualTo("Projects/2026");
    assertThat(created.user()).isEqualTo(ANN);
    assertThat(created.specialUse()).containsExactly("\\Archive");
    assertThat(c.store.mailbox(ANN, "Projects/2026")).contains(created);
    assertThat(a.store.mailbox(ANN, "Projects/2026")).as("nothing created on the calling node").isEmpty();

    assertHandlerFailed(() -> a.profiles.createMailbox("c", ANN, "Projects/2026", Set.of(), TIMEOUT).join(),
        "mailbox Projects/2026 already exists");
    assertHandlerFailed(() -> a.profiles.createMailbox("c", "nobody@example.org", "X", Set.of(), TIMEOUT).join(),
        "nobody@example.org");
  }

  @Test
  void subscriptions_setAndReadFromAnotherNode() {
    Set<String> initial = a.profiles.subscriptions("c", ANN, TIMEOUT).join();
    assertThat(initial).containsExactlyElementsOf(c.store.subscriptions(ANN)).contains("INBOX");

    a.profiles.setSubscribed("c", ANN, "Lists/quill", true, TIMEOUT).join();
    assertThat(a.profiles.subscriptions("c", ANN, TIMEOUT).join())
        .as("a subscription may name a mailbox that does not exist").contains("Lists/quill")
        .containsExactlyElementsOf(c.store.subscriptions(ANN));

    a.profiles.setSubscribed("c", ANN, "Lists/quill", false, TIMEOUT).join();
    assertThat(a.profiles.subscriptions("c", ANN, TIMEOUT).join()).isEqualTo(initial);
    assertThat(a.profiles.subscriptions("c", "nobody@example.org", TIMEOUT).join()).as("as the store answers").isEmpty();
  }

  @Test
  void setPasswordAndQuota_fromAnotherNode_changeTheProfileNode() {
    a.profiles.setPassword("c", ANN, "new-secret".toCharArray(), TIMEOUT).join();

    assertThat(c.store.authenticate(ANN, "new-secret".toCharArray())).isTrue();
    assertThat(a.profiles.authenticate("c", ANN, "secret-ann".toCharArray(), TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("c", ANN, "new-secret".toCharArray(), TIMEOUT).join()).isTrue();
    assertHandlerFailed(() -> a.profiles.setPassword("c", ANN, new char[0], TIMEOUT).join(), "password must not be empty");
    assertHandlerFailed(() -> a.profiles.setPassword("c", "nobody@example.org", "x".toCharArray(), TIMEOUT).join(),
        "unknown user nobody@example.org");

    a.profiles.setQuota("c", ANN, 1_000_000, TIMEOUT).join();
    assertThat(c.store.user(ANN)).hasValueSatisfying(p -> assertThat(p.quotaBytes()).isEqualTo(1_000_000));
    assertHandlerFailed(() -> a.profiles.setQuota("c", ANN, -1, TIMEOUT).join(), "quota must be 0 (unlimited) or positive");
    assertThat(a.profiles.user("c", ANN, TIMEOUT).join()).hasValueSatisfying(p -> assertThat(p.quotaBytes()).isEqualTo(1_000_000));
  }

  @Test
  void deleteUser_fromAnotherNode_deletesOnTheProfileNode() {
    assertThat(a.profiles.deleteUser("c", ANN, TIMEOUT).join()).isTrue();

    assertThat(c.store.user(ANN)).isEmpty();
    assertThat(a.profiles.user("c", ANN, TIMEOUT).join()).isEmpty();
    assertThat(a.profiles.deleteUser("c", ANN, TIMEOUT).join()).isFalse();
    assertThat(a.profiles.authenticate("c", ANN, "secret-ann".toCharArray(), TIMEOUT).join()).isFalse();
  }

  @Test
  void call_toANonMember_failsWithoutHanging() {
    assertThatRpcFails(() -> a.profiles.user("gone", ANN, TIMEOUT).join(), RpcException.Code.NOT_A_MEMBER, "gone");
    assertThatRpcFails(() -> a.profiles.user("c", "x".repeat(Names.MAX_CHARS + 1), TIMEOUT).join(),
        RpcException.Code.SEND_FAILED, "exceeds the maximum 4096");
  }

  private static void assertHandlerFailed(ThrowingCallable call, String storeMessage) {
    assertThatRpcFails(call, RpcException.Code.HANDLER_FAILED, storeMessage);
  }

  private static void assertThatRpcFails(ThrowingCallable call, RpcException.Code code, String message) {
    org.assertj.core.api.Assertions.assertThatThrownBy(call)
        .isInstanceOf(CompletionException.class).cause().isInstanceOf(RpcException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(code));
  }
}
