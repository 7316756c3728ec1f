package dev.quill.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process that {@link CrashRecoveryTest} kills: stores messages from several threads until
 * killed, printing {@code ACK user uid crc32c} for each copy only after its future completed,
 * that is, after the store said the copy is durable. Mode {@code deliver} delivers with UIDs the
 * store allocates; mode {@code assigned} plays a cluster manager, allocating each user's UIDs
 * itself (with gaps, and stored out of order by the racing threads) for {@code storeAssigned}.
 *
 * <p>Arguments: data directory, mode, thread count, users.
 */
public final class CrashChild {
  /** The UIDVALIDITY the pretend manager gives every mailbox in mode {@code assigned}. */
  static final long UIDVALIDITY = 1_234_567L;

  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    boolean assigned = args[1].equals("assigned");
    int threads = Integer.parseInt(args[2]);
    List<String> users = List.of(args).subList(3, args.length);
    Map<String, AtomicLong> nextUid = new ConcurrentHashMap<>();
    users.forEach(u -> nextUid.put(u, new AtomicLong()));
    RocksMailStore store = RocksMailStore.open(dir, TestStores.FAST);
    System.out.println("READY");
    System.out.flush();
    var workers = new ArrayList<Thread>();
    for (int t = 0; t < threads; t++) {
      workers.add(Thread.ofVirtual().start(assigned
          ? () -> storeAssignedForever(store, users, nextUid)
          : () -> deliverForever(store, users)));
    }
    for (Thread w : workers) {
      w.join();
    }
  }

  private static void deliverForever(RocksMailStore store, List<String> users) {
    Random random = ThreadLocalRandom.current();
    while (true) {
      byte[] message = randomMessage(random);
      int crc = RocksMailStore.crc32c(message);
      List<String> rcpts = random.nextBoolean()
          ? List.of(users.get(random.nextInt(users.size())))
          : List.of(users.get(0), users.get(1 + random.nextInt(users.size() - 1)));
      for (DeliveryResult r : store.deliver(rcpts, MailStore.INBOX, message, null).join()) {
        if (r.status() == DeliveryResult.Status.STORED) {
          ack(r.user(), r.uid(), crc);
        }
      }
    }
  }

  private static void storeAssignedForever(RocksMailStore store, List<String> users, Map<String, AtomicLong> nextUid) {
    Random random = ThreadLocalRandom.current();
    while (true) {
      byte[] message = randomMessage(random);
      String user = users.get(random.nextInt(users.size()));
      long uid = nextUid.get(user).addAndGet(1 + random.nextInt(2)); // a gap now and then: allocated, never stored
      var request = new AssignedMessage(user, MailStore.INBOX, UIDVALIDITY, uid, uid, message, null, null, null);
      if (store.storeAssigned(request).join().stored()) {
        ack(user, uid, RocksMailStore.crc32c(message));
      }
    }
  }

  /** Mostly small messages, sometimes one above the blob threshold. */
  private static byte[] randomMessage(Random random) {
    int size = random.nextInt(10) == 0 ? 70_000 + random.nextInt(100_000) : 200 + random.nextInt(8_000);
    byte[] message = new byte[size];
    random.nextBytes(message);
    return message;
  }

  private static void ack(String user, long uid, int crc) {
    synchronized (System.out) {
      System.out.println("ACK " + user + " " + uid + " " + crc);
      System.out.flush();
    }
  }
}
