package dev.quill.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The process that {@link CrashRecoveryTest} kills: delivers messages from several threads until
 * killed, printing {@code ACK user uid crc32c} for each copy only after its future completed,
 * that is, after the store said the copy is durable.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int threads = Integer.parseInt(args[1]);
    List<String> users = List.of(args).subList(2, args.length);
    RocksMailStore store = RocksMailStore.open(dir, TestStores.FAST);
    System.out.println("READY");
    System.out.flush();
    var workers = new ArrayList<Thread>();
    for (int t = 0; t < threads; t++) {
      workers.add(Thread.ofVirtual().start(() -> deliverForever(store, users)));
    }
    for (Thread w : workers) {
      w.join();
    }
  }

  private static void deliverForever(RocksMailStore store, List<String> users) {
    Random random = ThreadLocalRandom.current();
    while (true) {
      // Mostly small messages, sometimes one above the blob threshold; one or two recipients.
      int size = random.nextInt(10) == 0 ? 70_000 + random.nextInt(100_000) : 200 + random.nextInt(8_000);
      byte[] message = new byte[size];
      random.nextBytes(message);
      int crc = RocksMailStore.crc32c(message);
      List<String> rcpts = random.nextBoolean()
          ? List.of(users.get(random.nextInt(users.size())))
          : List.of(users.get(0), users.get(1 + random.nextInt(users.size() - 1)));
      for (DeliveryResult r : store.deliver(rcpts, MailStore.INBOX, message, null).join()) {
        if (r.status() == DeliveryResult.Status.STORED) {
          synchronized (System.out) {
            System.out.println("ACK " + r.user() + " " + r.uid() + " " + crc);
            System.out.flush();
          }
        }
      }
    }
  }
}
