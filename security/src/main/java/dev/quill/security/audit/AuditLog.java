package dev.quill.security.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's append-only, hash-chained audit log (format in {@link AuditRecord}; files in
 * {@link AuditFiles}). {@link #record} only queues the event, so callers never wait for the disk:
 * when the bounded queue is full the event is dropped and counted, and the next record written
 * carries the count. One writer thread appends the records, forces them to disk at most
 * {@link AuditOptions#forceInterval()} after the first unforced one or every
 * {@link AuditOptions#forceEvery()} records, and starts a new file once one reaches
 * {@link AuditOptions#maxFileBytes()}; the chain continues across files and across restarts
 * (opening reads the last record). A crash loses at most the records of the last force window and
 * those still queued.
 *
 * <p>When a write fails (disk full, I/O error) the log stops writing: later events are dropped
 * and counted, and {@link #failure()} says why. It never throws at the caller of {@link #record}.
 */
public final class AuditLog implements AuditSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
  /** The audit log's directory under a node's data directory: {@code <data>/audit/}. */
  public static final String DIRECTORY = "audit";
  private static final String LOCK_FILE = "audit.lock";

  private sealed interface Item {}

  private record Event(Instant time, AuditEvent event) implements Item {}

  private record Barrier(CompletableFuture<Void> done) implements Item {}

  private record Stop() implements Item {}

  private final Path dir;
  private final String node;
  private final AuditOptions options;
  private final Clock clock;
  private final BlockingQueue<Item> queue;
  private final AtomicLong droppedSinceLast = new AtomicLong();
  private final AtomicLong droppedTotal = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final Thread writer;
  private volatile IOException failure;
  private volatile boolean closed;
  /** Held while open, so that two writers (two nodes on one data directory) cannot interleave chains. */
  private FileChannel lockChannel;

  // Writer-thread state.
  private long fileIndex;
  private FileChannel channel;
  private OutputStream out;
  private long fileBytes;
  private long seq;
  private String lastHash;
  private int unforced;

  private AuditLog(Path dir, String node, AuditOptions options, Clock clock) {
    this.dir = dir;
    this.node = node;
    this.options = options;
    this.clock = clock;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.writer = Thread.ofPlatform().name("audit-writer").daemon().unstarted(this::writeLoop);
  }

  /** Opens (creating it if needed) the audit log in {@code dir} for {@code node}, with the default options. */
  public static AuditLog open(Path dir, String node) throws IOException {
    return open(dir, node, AuditOptions.defaults(), Clock.systemUTC());
  }

  /**
   * Opens the audit log in {@code dir}, continuing the chain of its last record. Bytes after the
   * last complete line (a write cut short by a crash) are cut off first, with a warning.
   *
   * @throws IOException when the directory cannot be used or the last record is unreadable
   */
  public static AuditLog open(Path dir, String node, AuditOptions options, Clock clock) throws IOException {
    AuditLog l = new AuditLog(dir, node, options, clock);
    Files.createDirectories(dir);
    l.lock();
    try {
      l.resume();
    } catch (IOException | RuntimeException e) {
      l.unlock();
      throw e;
    }
    l.writer.start();
    return l;
  }

  private void lock() throws IOException {
    lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IOException("audit log " + dir + " is already open for writing (by this or another process)");
    }
  }

  private void unlock() {
    try {
      lockChannel.close();  // releases the lock
    } catch (IOException e) {
      log.warn("audit log {}: could not release its lock: {}", dir, e.toString());
    }
  }

  private void resume() throws IOException {
    List<Path> files = AuditFiles.list(dir);
    seq = 0;
    lastHash = AuditRecord.GENESIS;
    fileIndex = files.isEmpty() ? 1 : AuditFiles.index(files.getLast());
    if (!files.isEmpty()) {
      cutTornTail(files.getLast());
    }
    for (int i = files.size() - 1; i >= 0; i--) {
      AuditRecord last = lastRecord(files.get(i));
      if (last != null) {
        seq = last.seq();
        lastHash = last.hash();
        break;
      }
    }
    openFile();
  }

  private static void cutTornTail(Path file) throws IOException {
    long keep = 0;
    try (AuditLines lines = new AuditLines(file, 0)) {
      AuditLines.Kind k;
      while ((k = lines.next()) != AuditLines.Kind.END) {
        if (k == AuditLines.Kind.TORN) {
          break;
        }
        keep = lines.position();
      }
    }
    long size = Files.size(file);
    if (size > keep) {
      log.warn("audit log {}: cutting {} bytes after the last complete record (a write cut short)", file, size - keep);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(keep);
        ch.force(true);
      }
    }
  }

  private static AuditRecord lastRecord(Path file) throws IOException {
    byte[] last = null;
    int lastLength = 0;
    try (AuditLines lines = new AuditLines(file, 0)) {
      AuditLines.Kind k;
      while ((k = lines.next()) != AuditLines.Kind.END) {
        if (k == AuditLines.Kind.LINE) {
          last = lines.bytes().clone();
          lastLength = lines.length();
        } else if (k == AuditLines.Kind.TOO_LONG) {
          last = null;
        }
      }
    }
    if (last == null) {
      if (Files.size(file) > 0) {
        throw new IOException("audit log " + file + " ends with an unreadable record; run 'quill audit verify'");
      }
      return null;
    }
    try {
      return AuditRecord.parse(last, lastLength);
    } catch (IllegalArgumentException e) {
      throw new IOException("audit log " + file + ": the last record cannot continue the chain (" + e.getMessage()
          + "); run 'quill audit verify'");
    }
  }

  private void openFile() throws IOException {
    Path file = AuditFiles.file(dir, fileIndex);
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    fileBytes = channel.size();
    out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
  }

  /** Queues {@code event} for writing; never blocks or throws. When the queue is full the event is dropped and counted. */
  @Override
  public void record(AuditEvent event) {
    if (event == null) {
      return;
    }
    if (closed || failure != null || !queue.offer(new Event(clock.instant(), event))) {
      droppedSinceLast.incrementAndGet();
      droppedTotal.incrementAndGet();
    }
  }

  /** Waits until every event queued before this call is written and forced to disk. */
  public void force() throws IOException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      if (closed) {
        throw new IOException("audit log " + dir + " is closed");
      }
      queue.put(new Barrier(done));
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while forcing the audit log");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  /** Events dropped since the log was opened (queue full, closed or failed). */
  public long dropped() {
    return droppedTotal.get();
  }

  /** Records written since the log was opened. */
  public long written() {
    return written.get();
  }

  /** Why the log stopped writing, or null while it works. */
  public IOException failure() {
    return failure;
  }

  /** Writes and forces what is queued, then closes the file. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      queue.put(new Stop());
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeLoop() {
    long deadline = 0;
    while (true) {
      Item item;
      try {
        item = unforced == 0 ? queue.take() : queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        continue;  // only close() stops the writer, so that nothing queued is lost
      }
      switch (item) {
        case null -> forceQuietly();
        case Event e -> {
          write(e);
          if (unforced == 1) {
            deadline = System.nanoTime() + options.forceInterval().toNanos();
          }
          if (unforced >= options.forceEvery()) {
            forceQuietly();
          }
        }
        case Barrier b -> {
          forceQuietly();
          if (failure == null) {
            b.done().complete(null);
          } else {
            b.done().completeExceptionally(failure);
          }
        }
        case Stop s -> {
          forceQuietly();
          closeFile();
          unlock();
          drainAfterStop();
          return;
        }
      }
    }
  }

  /** Counts the events and fails the barriers that raced with close into the queue. */
  private void drainAfterStop() {
    Item item;
    while ((item = queue.poll()) != null) {
      switch (item) {
        case Barrier b -> b.done().completeExceptionally(new IOException("audit log " + dir + " is closed"));
        case Event e -> {
          droppedSinceLast.incrementAndGet();
          droppedTotal.incrementAndGet();
        }
        case Stop x -> { }
      }
    }
  }

  private void write(Event e) {
    if (failure != null) {
      droppedSinceLast.incrementAndGet();
      droppedTotal.incrementAndGet();
      return;
    }
    try {
      long dropped = droppedSinceLast.getAndSet(0);
      byte[] canonical = AuditRecord.canonical(seq + 1, e.time(), node, e.event(), dropped);
      String hash = AuditRecord.hash(lastHash, canonical, canonical.length);
      byte[] line = AuditRecord.line(canonical, lastHash, hash);
      out.write(line);
      seq++;
      lastHash = hash;
      fileBytes += line.length;
      unforced++;
      written.incrementAndGet();
      if (fileBytes >= options.maxFileBytes()) {
        rotate();
      }
    } catch (IOException ex) {
      fail(ex);
    }
  }

  private void rotate() throws IOException {
    force0();
    closeFile();
    fileIndex++;
    openFile();
    log.debug("audit log continues in {}", AuditFiles.file(dir, fileIndex));
  }

  private void forceQuietly() {
    try {
      force0();
    } catch (IOException e) {
      fail(e);
    }
  }

  private void force0() throws IOException {
    if (failure == null && out != null) {
      out.flush();
      channel.force(false);
    }
    unforced = 0;
  }

  private void fail(IOException e) {
    if (failure == null) {
      failure = e;
      log.error("audit log {} stopped writing after record #{}: {}; later events are dropped and counted", dir, seq, e.toString());
    }
    unforced = 0;
  }

  private void closeFile() {
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      fail(e);
    }
    out = null;
    channel = null;
  }
}
