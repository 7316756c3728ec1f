package dev.quill.server.node;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small real file system mounted for one test, to run a node on a disk that fills up or fails:
 * tmpfs, or ext4 on a loop device. Mounting needs root; without it (or without {@code mount}) the
 * test is skipped with a message saying so. {@link #close} always unmounts.
 */
public final class ScratchDisk implements AutoCloseable {
  /** {@code EXT4_IOC_SHUTDOWN} = {@code _IOR('X', 125, __u32)}: the file system answers EIO from then on. */
  private static final long EXT4_IOC_SHUTDOWN = 0x8004587DL;
  /** Shut down without flushing the journal: what a disk that stops answering does. */
  private static final int EXT4_GOING_FLAGS_NOLOGFLUSH = 2;

  private final Path mountPoint;
  private final Path image;
  private final Path filler;
  private boolean mounted;

  private ScratchDisk(Path mountPoint, Path image) {
    this.mountPoint = mountPoint;
    this.image = image;
    this.filler = mountPoint.resolve("filler");
    this.mounted = true;
  }

  /** A tmpfs of {@code megabytes} at {@code mountPoint} (created); skips the test when it cannot be mounted. */
  public static ScratchDisk tmpfs(Path mountPoint, int megabytes) throws IOException, InterruptedException {
    Files.createDirectories(mountPoint);
    mountOrSkip(List.of("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", mountPoint.toString()));
    return new ScratchDisk(mountPoint, null);
  }

  /**
   * An ext4 file system of {@code megabytes} in the file {@code image}, loop-mounted at
   * {@code mountPoint}; skips the test when it cannot be made or mounted.
   */
  public static ScratchDisk ext4(Path mountPoint, Path image, int megabytes) throws IOException, InterruptedException {
    Files.createDirectories(mountPoint);
    try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
      f.setLength((long) megabytes << 20); // sparse
    }
    String mkfs = run(List.of("mkfs.ext4", "-q", "-F", image.toString()));
    Assumptions.assumeTrue(mkfs == null, () -> "skipped: needs mkfs.ext4 (" + mkfs + ")");
    mountOrSkip(List.of("mount", "-o", "loop", image.toString(), mountPoint.toString()));
    return new ScratchDisk(mountPoint, image);
  }

  public Path path() {
    return mountPoint;
  }

  /** Bytes free for an unprivileged writer, as the node's probe sees them. */
  public long free() throws IOException {
    return Files.getFileStore(mountPoint).getUsableSpace();
  }

  /** Writes a filler file until the file system says it is full. */
  public void fill() throws IOException {
    fillTo(0);
  }

  /** Writes a filler file until at most {@code leaveFree} bytes are free (until it is full when 0). */
  public void fillTo(long leaveFree) throws IOException {
    ByteBuffer block = ByteBuffer.allocate(256 * 1024);
    try (FileChannel f = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      long toWrite = free() - leaveFree;
      while (leaveFree == 0 || toWrite > 0) {
        block.clear();
        if (leaveFree > 0 && toWrite < block.capacity()) {
          block.limit((int) toWrite);
        }
        toWrite -= f.write(block);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
    }
  }

  /** Deletes the filler: the space comes back. */
  public void release() throws IOException {
    Files.deleteIfExists(filler);
  }

  /**
   * Shuts the ext4 file system down (its {@code EXT4_IOC_SHUTDOWN} ioctl, as xfstests' "godown"
   * does): every read and write on it fails with EIO from now on, as on a disk that died.
   */
  public void shutdown() throws Throwable {
    if (image == null) {
      throw new IllegalStateException("only an ext4 scratch disk can be shut down");
    }
    Linker linker = Linker.nativeLinker();
    var libc = linker.defaultLookup();
    MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    MethodHandle ioctl = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) open.invokeExact(arena.allocateFrom(mountPoint.toString(), StandardCharsets.UTF_8), 0);
      if (fd < 0) {
        throw new IOException("cannot open " + mountPoint + " to shut its file system down");
      }
      try {
        int rc = (int) ioctl.invokeExact(fd, EXT4_IOC_SHUTDOWN, arena.allocateFrom(JAVA_INT, EXT4_GOING_FLAGS_NOLOGFLUSH));
        if (rc != 0) {
          throw new IOException("EXT4_IOC_SHUTDOWN on " + mountPoint + " failed");
        }
      } finally {
        int ignored = (int) close.invokeExact(fd);
      }
    }
  }

  /** Unmounts and mounts the ext4 image again (its journal replays), as after repairing a disk. */
  public void remount() throws IOException, InterruptedException {
    unmount();
    String error = run(List.of("mount", "-o", "loop", image.toString(), mountPoint.toString()));
    if (error != null) {
      throw new IOException("mounting " + image + " again failed: " + error);
    }
    mounted = true;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (mounted) {
      unmount();
    }
    if (image != null) {
      Files.deleteIfExists(image);
    }
  }

  private void unmount() throws IOException, InterruptedException {
    String error = run(List.of("umount", mountPoint.toString()));
    if (error != null) {
      // Something still holds a file open (a node that did not stop): detach it anyway.
      String lazy = run(List.of("umount", "-l", mountPoint.toString()));
      if (lazy != null) {
        throw new IOException("cannot unmount " + mountPoint + ": " + error + "; " + lazy);
      }
    }
    mounted = false;
  }

  private static void mountOrSkip(List<String> command) throws IOException, InterruptedException {
    String error = run(command);
    Assumptions.assumeTrue(error == null, () -> "skipped: needs root and mount (" + String.join(" ", command)
        + " said: " + error + ")");
  }

  /** Runs a command; null when it succeeded, else what it printed. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out";
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }
}
