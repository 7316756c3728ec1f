package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Aliases whose target may be a user of another node ({@code putAlias}, {@code aliasTarget}). */
class PutAliasTest {
  @TempDir Path dir;
  RocksMailStore store;

  @BeforeEach
  void open() {
    store = TestStores.withUsers(dir, "ann");
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void putAlias_targetNotLocal_storedAndReadBack() {
    store.putAlias("Info@Example.org", "Bob@Example.org");

    assertThat(store.aliasTarget("info@EXAMPLE.org")).contains("bob@example.org");
    assertThat(store.aliases()).isEqualTo(Map.of("info@example.org", "bob@example.org"));
    // Not a local recipient: the target's profile is elsewhere.
    assertThat(store.resolveRecipient("info@example.org")).isEmpty();
  }

  @Test
  void putAlias_targetInOtherDomain_stored() {
    store.putAlias("info@example.org", "carl@remote.example");

    assertThat(store.aliasTarget("info@example.org")).contains("carl@remote.example");
  }

  @Test
  void putAlias_localTarget_resolvesLikeAddAlias() {
    store.putAlias("info@example.org", "ann@example.org");

    assertThat(store.resolveRecipient("info@example.org")).contains("ann@example.org");
  }

  @Test
  void putAlias_sameTargetAgain_noOp() {
    store.putAlias("info@example.org", "bob@example.org");
    store.putAlias("INFO@example.org", "bob@example.org");

    assertThat(store.aliases()).containsOnlyKeys("info@example.org");
  }

  @Test
  void putAlias_otherTarget_refused() {
    store.putAlias("info@example.org", "bob@example.org");

    assertThatThrownBy(() -> store.putAlias("info@example.org", "carl@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("already points to bob@example.org");
    assertThat(store.aliasTarget("info@example.org")).contains("bob@example.org");
  }

  @Test
  void putAlias_domainNotLocal_refused() {
    assertThatThrownBy(() -> store.putAlias("x@elsewhere.org", "ann@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("elsewhere.org is not a local domain");
    assertThat(store.aliasTarget("x@elsewhere.org")).isEmpty();
  }

  @Test
  void putAlias_nameOfLocalUser_refused() {
    assertThatThrownBy(() -> store.putAlias("ann@example.org", "bob@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("collides with the user ann@example.org");
  }

  @Test
  void putAlias_invalidAddress_refused() {
    assertThatThrownBy(() -> store.putAlias("not an address", "bob@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("invalid address");
    assertThatThrownBy(() -> store.putAlias("info@example.org", "nope"))
        .isInstanceOf(StoreException.class).hasMessageContaining("invalid address");
  }

  @Test
  void aliasTarget_unknown_empty() {
    assertThat(store.aliasTarget("nobody@example.org")).isEmpty();
    assertThat(store.aliasTarget("ann@example.org")).isEmpty(); // a user, not an alias
  }

  @Test
  void putAlias_survivesReopenAndBlocksDomainDelete() {
    store.putAlias("info@example.org", "bob@example.org");
    store.close();
    store = TestStores.open(dir);

    assertThat(store.aliasTarget("info@example.org")).contains("bob@example.org");
    store.deleteUser("ann@example.org");
    assertThatThrownBy(() -> store.deleteDomain("example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("1 alias(es)");
    assertThat(store.deleteAlias("info@example.org")).isTrue();
    assertThat(store.aliasTarget("info@example.org")).isEmpty();
    assertThat(store.deleteDomain("example.org")).isTrue();
  }
}
