package dev.quill.store;

import dev.quill.store.StorageUnavailableException.Reason;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BackgroundErrorReason;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the disk under a store can take writes, from two sources: a probe of the free space
 * every second against the reserve ({@link StoreOptions#minFreeBytes()}), and what RocksDB says of
 * its own writes (a failed write or WAL sync, its background-error and recovery events).
 *
 * <p>Below the reserve, new mail is refused before anything is written ({@link #checkRoomForMail});
 * the reserve is kept for the small writes that keep the node working (flag changes, deletions, the
 * cluster's bookkeeping) and for RocksDB's flushes and compactions. When RocksDB itself fails a
 * write, it stops taking writes until it recovers: from a full disk by itself, once enough space is
 * free (its SstFileManager checks every few seconds and needs at least one memtable's size, 64 MiB,
 * free); from other I/O errors only if they were transient. Nothing here resumes it (the Java API
 * has no {@code resume()}): writes keep being offered to RocksDB, which refuses them at once while
 * stopped, and the first one that is synced again proves the store healthy.
 *
 * <p>Logging is one line per change of the overall {@link Condition}: WARN when it gets worse, INFO
 * when it gets better, never one per refused message.
 */
final class StorageHealth implements AutoCloseable {
  static {
    RocksDB.loadLibrary(); // the listener is a native object, made before the engine opens
  }

  private static final Logger log = LoggerFactory.getLogger(StorageHealth.class);
  /** Time between two free-space probes: a statvfs call, cheap. */
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

  /** The store's state as the log reports it, in increasing severity. */
  enum Condition {
    /** Writes and new mail accepted. */
    OK,
    /** Free space below the reserve: new mail refused, other writes accepted. */
    LOW_SPACE,
    /** RocksDB stopped writing for lack of space: every write refused until it resumes. */
    NO_SPACE,
    /** RocksDB stopped writing after an I/O error: every write refused until it resumes, or a restart. */
    IO_ERROR
  }

  private final Path dir;
  private final long minFreeBytes;
  private final Listener listener = new Listener();
  private volatile boolean lowSpace;
  /** The store's file system, once {@link #start} found it; null before or when it cannot be probed. */
  private volatile FileStore fileStore;
  /** Why RocksDB last refused a write, or null when its last write went through. */
  private volatile Reason engineFailure;
  private volatile String engineError;
  /** What the log last said; guarded by this. */
  private Condition reported = Condition.OK;
  private long reportedSinceNanos;
  private Thread prober;
  private volatile boolean closed;

  /**
   * @param dir the store's directory, whose file system is probed
   * @param minFreeBytes the free-space reserve; 0 turns the probe off
   */
  StorageHealth(Path dir, long minFreeBytes) {
    this.dir = dir;
    this.minFreeBytes = minFreeBytes;
  }

  /** Probes once now (so that a node started on a full disk refuses mail from the first message), then every second. */
  void start() {
    FileStore fs;
    try {
      fs = Files.getFileStore(dir);
    } catch (IOException e) {
      log.warn("event=storage-probe-unavailable dir={} error={}: free space is not checked; the store still refuses"
          + " writes that fail for lack of space", dir, e.toString());
      return;
    }
    fileStore = fs;
    if (minFreeBytes <= 0) {
      return; // no reserve: the file store only tells the log how much is free
    }
    probe(fs);
    // A platform thread: statvfs is a native call that would pin a virtual thread's carrier anyway.
    prober = Thread.ofPlatform().name("quill-store-space").daemon(true).start(() -> {
      while (!closed) {
        try {
          Thread.sleep(PROBE_INTERVAL);
        } catch (InterruptedException e) {
          return;
        }
        probe(fs);
      }
    });
  }

  /** The RocksDB listener to install at open: it reports background errors and recoveries here. */
  AbstractEventListener listener() {
    return listener;
  }

  /** Whether new mail fits: free space is at or above the reserve (always true when the probe is off). */
  boolean acceptsNewMail() {
    return !lowSpace;
  }

  /** Refuses a write that adds messages while free space is below the reserve. */
  void checkRoomForMail() {
    if (lowSpace) {
      throw new StorageUnavailableException(Reason.NO_SPACE, "the mail store's disk is nearly full");
    }
  }

  /**
   * Classifies a failed RocksDB write or sync: a storage failure (no space, I/O error) is recorded and
   * returned as the {@link StorageUnavailableException} to give the writer; anything else gives null.
   */
  StorageUnavailableException engineFailed(RocksDBException e) {
    Reason reason = reasonOf(e.getStatus(), e.getMessage());
    if (reason == null) {
      return null;
    }
    engineError = e.getMessage();
    if (engineFailure != reason) {
      engineFailure = reason;
      report();
    }
    return new StorageUnavailableException(reason, reason == Reason.NO_SPACE
        ? "the mail store's disk is full" : "the mail store's disk failed a write", e);
  }

  /** A write was synced: if RocksDB had stopped, it works again. */
  void engineWrote() {
    if (engineFailure != null) {
      engineFailure = null;
      report();
    }
  }

  /** The condition as of now (for tests and status). */
  synchronized Condition condition() {
    return current();
  }

  @Override
  public void close() {
    closed = true;
    if (prober != null) {
      prober.interrupt();
    }
  }

  /** What a RocksDB status means for writes: no space, an I/O error, or (null) not a storage failure. */
  static Reason reasonOf(Status status, String message) {
    boolean noSpaceText = message != null && message.contains("No space left on device");
    if (status == null) {
      return noSpaceText ? Reason.NO_SPACE : null;
    }
    if (status.getSubCode() == Status.SubCode.NoSpace || noSpaceText) {
      return Reason.NO_SPACE;
    }
    return status.getCode() == Status.Code.IOError ? Reason.IO_ERROR : null;
  }

  private void probe(FileStore fs) {
    long free = free(fs);
    if (free < 0) {
      return;
    }
    // Hysteresis: leave the low state only with a tenth more than the reserve free, so that a disk
    // hovering at the limit does not flip (and log) every second.
    boolean low = lowSpace ? free < minFreeBytes + minFreeBytes / 10 : free < minFreeBytes;
    if (low != lowSpace) {
      lowSpace = low;
      report();
    }
  }

  /** Bytes free for the store on {@code fs}, or -1 when it cannot say (a file system that failed). */
  private long free(FileStore fs) {
    if (fs == null) {
      return -1;
    }
    try {
      return fs.getUsableSpace();
    } catch (IOException | RuntimeException e) {
      log.debug("event=storage-probe-failed dir={} error={}", dir, e.toString());
      return -1;
    }
  }

  private Condition current() {
    Reason engine = engineFailure;
    if (engine == Reason.IO_ERROR) {
      return Condition.IO_ERROR;
    }
    if (engine == Reason.NO_SPACE) {
      return Condition.NO_SPACE;
    }
    return lowSpace ? Condition.LOW_SPACE : Condition.OK;
  }

  /** Logs a change of the overall condition, once. */
  private synchronized void report() {
    Condition now = current();
    if (now == reported) {
      return;
    }
    Condition before = reported;
    long since = reportedSinceNanos;
    reported = now;
    reportedSinceNanos = System.nanoTime();
    long free = free(fileStore);
    switch (now) {
      case LOW_SPACE -> {
        if (before == Condition.OK) {
          log.warn("event=storage-low-space dir={} free_bytes={} min_free_space={}: new mail is refused (SMTP 452 4.3.1,"
              + " IMAP NO [UNAVAILABLE]) until {} bytes are free; free space on this disk or grow it, no restart needed",
              dir, free, minFreeBytes, minFreeBytes + minFreeBytes / 10);
        } else {
          log.info("event=storage-writes-resumed dir={} free_bytes={} after_ms={}: the store writes again; new mail is"
              + " still refused below min_free_space={}", dir, free, elapsedMillis(since), minFreeBytes);
        }
      }
      case NO_SPACE -> log.warn("event=storage-full dir={} free_bytes={} error=\"{}\": the disk is full and the store"
          + " refuses every write (SMTP 452 4.3.1, IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]); reads go on. Free space"
          + " on this disk: writes resume by themselves once at least 64 MiB and min_free_space are free, no restart"
          + " needed", dir, free, engineError);
      case IO_ERROR -> log.warn("event=storage-io-error dir={} error=\"{}\": the disk failed a write and the store refuses"
          + " every write (SMTP 451 4.3.0, IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]); reads of what is still readable"
          + " go on. Check the disk (dmesg, SMART); if writes do not resume, restart the node once it is repaired", dir,
          engineError);
      case OK -> log.info("event=storage-ok dir={} free_bytes={} after_ms={}: writes and new mail are accepted again",
          dir, free, elapsedMillis(since));
    }
  }

  private static long elapsedMillis(long sinceNanos) {
    return Duration.ofNanos(System.nanoTime() - sinceNanos).toMillis();
  }

  /**
   * RocksDB's events: a background error (a failed flush, compaction or WAL write) stops its writes,
   * a completed recovery resumes them. Called on RocksDB's threads: only records and logs.
   */
  private final class Listener extends AbstractEventListener {
    Listener() {
      super(EnabledEventCallback.ON_BACKGROUND_ERROR, EnabledEventCallback.ON_ERROR_RECOVERY_COMPLETED);
    }

    @Override
    public void onBackgroundError(BackgroundErrorReason why, Status status) {
      Reason reason = reasonOf(status, status == null ? null : status.getState());
      if (reason == null) {
        // Not a storage failure (corruption, say): RocksDB's own log has it, and writes fail with it.
        log.error("event=store-background-error dir={} during={} status={} error=\"{}\"", dir, why,
            status == null ? "?" : status.getCodeString(), status == null ? "" : status.getState());
        return;
      }
      engineError = why + ": " + (status.getState() == null ? status.getCodeString() : status.getState());
      if (engineFailure != reason) {
        engineFailure = reason;
        report();
      }
    }

    @Override
    public void onErrorRecoveryCompleted(Status oldBackgroundError) {
      engineWrote();
    }
  }
}
