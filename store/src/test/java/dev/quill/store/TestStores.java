package dev.quill.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Shared set-up for store tests: cheap hashing, one domain and a few users. */
final class TestStores {
  /** Few PBKDF2 iterations: tests check behaviour, not hashing cost. */
  static final StoreOptions FAST = StoreOptions.defaults().withHashIterations(1_000);

  private TestStores() {}

  static RocksMailStore open(Path dir) {
    return RocksMailStore.open(dir, FAST);
  }

  /** A store with the domain example.org and the given users (password "secret-" + local part). */
  static RocksMailStore withUsers(Path dir, String... locals) {
    RocksMailStore store = open(dir);
    store.addDomain("example.org");
    for (String local : locals) {
      store.addUser(local + "@example.org", ("secret-" + local).toCharArray());
    }
    return store;
  }

  /** The cause a future failed with; an assertion error when it completed instead. */
  static Throwable failure(java.util.concurrent.CompletableFuture<?> future) {
    try {
      future.join();
      throw new AssertionError("expected a refusal");
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause();
    }
  }

  /** Deletes a directory tree made outside JUnit's @TempDir (jqwik properties make their own per try). */
  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A small RFC 5322 message with CRLF line endings. */
  static byte[] message(String subject, int bodyBytes) {
    var sb = new StringBuilder("From: sender@example.net\r\nTo: someone@example.org\r\nSubject: ")
        .append(subject).append("\r\n\r\n");
    while (sb.length() < bodyBytes) {
      sb.append("The quick brown fox jumps over the lazy dog.\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
