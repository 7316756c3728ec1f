package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Domains, users, aliases and authentication. */
class AccountsTest {
  @TempDir Path dir;
  RocksMailStore store;

  @BeforeEach
  void open() {
    store = TestStores.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void addDomain_normalizedAndListedSorted() {
    assertThat(store.addDomain("Example.ORG ")).isTrue();
    assertThat(store.addDomain("a.example")).isTrue();
    assertThat(store.addDomain("example.org")).isFalse();
    assertThat(store.domains()).containsExactly("a.example", "example.org");
    assertThat(store.hasDomain("EXAMPLE.org")).isTrue();
    assertThat(store.hasDomain("other.org")).isFalse();
  }

  @Test
  void addDomain_invalid_refused() {
    assertThatThrownBy(() -> store.addDomain("bad_domain"))
        .isInstanceOf(StoreException.class).hasMessageContaining("invalid domain name 'bad_domain'");
  }

  @Test
  void deleteDomain_withUsersOrAliases_refusedUntilEmpty() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.addAlias("postmaster@example.org", "ann@example.org");
    assertThatThrownBy(() -> store.deleteDomain("example.org"))
        .isInstanceOf(StoreException.class)
        .hasMessage("domain example.org still has 1 user(s) and 1 alias(es); delete them first");
    store.deleteAlias("postmaster@example.org");
    store.deleteUser("ann@example.org");
    assertThat(store.deleteDomain("example.org")).isTrue();
    assertThat(store.deleteDomain("example.org")).isFalse();
    assertThat(store.domains()).isEmpty();
  }

  @Test
  void addUser_createsInboxAndNormalizesAddress() {
    store.addDomain("example.org");
    UserProfile ann = store.addUser("Ann@Example.org", "pw".toCharArray());
    assertThat(ann.address()).isEqualTo("ann@example.org");
    assertThat(ann.passwordHash()).startsWith("$pbkdf2-sha256$i=1000$");
    assertThat(ann.quotaBytes()).isZero();
    assertThat(store.user("ANN@example.org")).contains(ann);
    MailboxInfo inbox = store.mailbox("ann@example.org", "inbox").orElseThrow();
    assertThat(inbox.name()).isEqualTo(MailStore.INBOX);
    assertThat(inbox.uidNext()).isEqualTo(1);
    assertThat(inbox.messageCount()).isZero();
    assertThat(inbox.uidValidity()).isPositive();
  }

  @Test
  void addUser_validation_clearMessages() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.addAlias("info@example.org", "ann@example.org");
    assertThatThrownBy(() -> store.addUser("not-an-address", "pw".toCharArray()))
        .isInstanceOf(StoreException.class).hasMessage("invalid address 'not-an-address'");
    assertThatThrownBy(() -> store.addUser("bob@nowhere.org", "pw".toCharArray()))
        .isInstanceOf(StoreException.class).hasMessageContaining("unknown domain nowhere.org");
    assertThatThrownBy(() -> store.addUser("ANN@example.org", "pw".toCharArray()))
        .isInstanceOf(StoreException.class).hasMessageContaining("already exists");
    assertThatThrownBy(() -> store.addUser("info@example.org", "pw".toCharArray()))
        .isInstanceOf(StoreException.class).hasMessageContaining("it is an alias of ann@example.org");
    assertThatThrownBy(() -> store.addUser("bob@example.org", new char[0]))
        .isInstanceOf(StoreException.class).hasMessage("password must not be empty");
  }

  @Test
  void users_sortedByAddress() {
    store.addDomain("example.org");
    store.addUser("zed@example.org", "pw".toCharArray());
    store.addUser("ann@example.org", "pw".toCharArray());
    assertThat(store.users()).extracting(UserProfile::address).containsExactly("ann@example.org", "zed@example.org");
  }

  @Test
  void setQuota_andUnknownUser() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.setQuota("ann@example.org", 1234);
    assertThat(store.user("ann@example.org").orElseThrow().quotaBytes()).isEqualTo(1234);
    assertThatThrownBy(() -> store.setQuota("nobody@example.org", 1))
        .isInstanceOf(StoreException.class).hasMessage("unknown user nobody@example.org");
    assertThatThrownBy(() -> store.setQuota("ann@example.org", -1)).isInstanceOf(StoreException.class);
  }

  @Test
  void deleteUser_removesUserMailAndAliasesPointingAtIt() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.addUser("bob@example.org", "pw".toCharArray());
    store.addAlias("info@example.org", "ann@example.org");
    store.addAlias("sales@example.org", "bob@example.org");
    store.deliver(List.of("ann@example.org"), MailStore.INBOX, TestStores.message("hi", 100), null).join();

    assertThat(store.deleteUser("ann@example.org")).isTrue();
    assertThat(store.deleteUser("ann@example.org")).isFalse();
    assertThat(store.user("ann@example.org")).isEmpty();
    assertThat(store.mailbox("ann@example.org", "INBOX")).isEmpty();
    assertThat(store.messages("ann@example.org", "INBOX")).isEmpty();
    assertThat(store.usage("ann@example.org")).isZero();
    assertThat(store.aliases()).isEqualTo(Map.of("sales@example.org", "bob@example.org"));
    assertThat(store.resolveRecipient("info@example.org")).isEmpty();
  }

  @Test
  void deleteUser_thenRecreate_newUidValidityAndEmptyMailbox() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.deliver(List.of("ann@example.org"), null, TestStores.message("hi", 100), null).join();
    MailboxInfo before = store.mailbox("ann@example.org", "INBOX").orElseThrow();
    store.deleteUser("ann@example.org");
    store.addUser("ann@example.org", "pw2".toCharArray());
    MailboxInfo after = store.mailbox("ann@example.org", "INBOX").orElseThrow();
    assertThat(after.id()).isNotEqualTo(before.id());
    assertThat(after.uidValidity()).isGreaterThan(before.uidValidity());
    assertThat(after.messageCount()).isZero();
    var results = store.deliver(List.of("ann@example.org"), null, TestStores.message("again", 100), null).join();
    assertThat(results).containsExactly(new DeliveryResult("ann@example.org", DeliveryResult.Status.STORED, 1));
  }

  @Test
  void aliases_resolveAndValidate() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    store.addAlias("Info@Example.org", "ANN@example.org");
    store.addAlias("info@example.org", "ann@example.org"); // same again: no-op
    assertThat(store.aliases()).isEqualTo(Map.of("info@example.org", "ann@example.org"));
    assertThat(store.resolveRecipient("INFO@example.org")).contains("ann@example.org");
    assertThat(store.resolveRecipient("Ann@example.org")).contains("ann@example.org");
    assertThat(store.resolveRecipient("nobody@example.org")).isEmpty();

    assertThatThrownBy(() -> store.addAlias("ann@example.org", "ann@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("collides with the user ann@example.org");
    assertThatThrownBy(() -> store.addAlias("x@elsewhere.org", "ann@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("elsewhere.org is not a local domain");
    assertThatThrownBy(() -> store.addAlias("x@example.org", "nobody@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("nobody@example.org is not a local user");
    store.addUser("bob@example.org", "pw".toCharArray());
    assertThatThrownBy(() -> store.addAlias("info@example.org", "bob@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("already points to ann@example.org");

    assertThat(store.deleteAlias("info@example.org")).isTrue();
    assertThat(store.deleteAlias("info@example.org")).isFalse();
  }

  @Test
  void authenticate_rightWrongUnknown() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "correct horse".toCharArray());
    assertThat(store.authenticate("ann@example.org", "correct horse".toCharArray())).isTrue();
    assertThat(store.authenticate("ANN@example.org", "correct horse".toCharArray())).isTrue();
    assertThat(store.authenticate("ann@example.org", "wrong".toCharArray())).isFalse();
    assertThat(store.authenticate("nobody@example.org", "correct horse".toCharArray())).isFalse();
    assertThat(store.authenticate(null, "x".toCharArray())).isFalse();
  }

  @Test
  void authenticate_cachedPassword_invalidatedBySetPassword() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "old".toCharArray());
    assertThat(store.authenticate("ann@example.org", "old".toCharArray())).isTrue();
    assertThat(store.authenticate("ann@example.org", "old".toCharArray())).isTrue(); // from the cache
    store.setPassword("ann@example.org", "new".toCharArray());
    assertThat(store.authenticate("ann@example.org", "old".toCharArray())).isFalse();
    assertThat(store.authenticate("ann@example.org", "new".toCharArray())).isTrue();
  }

  @Test
  void authenticate_afterDeleteUser_false() {
    store.addDomain("example.org");
    store.addUser("ann@example.org", "pw".toCharArray());
    assertThat(store.authenticate("ann@example.org", "pw".toCharArray())).isTrue();
    store.deleteUser("ann@example.org");
    assertThat(store.authenticate("ann@example.org", "pw".toCharArray())).isFalse();
  }

  @Test
  void closedStore_refusesCalls() {
    store.close();
    assertThatThrownBy(() -> store.domains()).isInstanceOf(StoreException.class).hasMessageContaining("is closed");
    store.close(); // idempotent
  }

  @Test
  void open_directoryInUse_refused() {
    assertThatThrownBy(() -> TestStores.open(dir))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("data directory " + dir + " is in use by another Quill process");
  }
}
