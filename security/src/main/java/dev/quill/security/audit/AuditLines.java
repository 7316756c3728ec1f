package dev.quill.security.audit;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads the raw lines of one audit file from a byte offset, with bounded memory: a line longer
 * than {@link AuditRecord#MAX_LINE_BYTES} is reported as too long (and skipped) instead of buffered.
 */
final class AuditLines implements AutoCloseable {
  /** What {@link #next()} found. */
  enum Kind { LINE, TOO_LONG, TORN, END }

  private final InputStream in;
  private byte[] buf = new byte[512];
  private int length;
  private long position;
  private long lineStart;

  AuditLines(Path file, long offset) throws IOException {
    InputStream raw = Files.newInputStream(file);
    raw.skipNBytes(offset);
    this.in = new BufferedInputStream(raw, 64 * 1024);
    this.position = offset;
  }

  /**
   * Reads the next line: {@code LINE} (bytes in {@link #bytes()}, without LF), {@code TOO_LONG},
   * {@code TORN} (bytes after the last LF: a write cut short) or {@code END}.
   */
  Kind next() throws IOException {
    length = 0;
    lineStart = position;
    boolean tooLong = false;
    int c;
    while ((c = in.read()) >= 0) {
      position++;
      if (c == '\n') {
        return tooLong ? Kind.TOO_LONG : Kind.LINE;
      }
      if (length == AuditRecord.MAX_LINE_BYTES) {
        tooLong = true;
      } else if (!tooLong) {
        if (length == buf.length) {
          buf = Arrays.copyOf(buf, Math.min(buf.length * 2, AuditRecord.MAX_LINE_BYTES));
        }
        buf[length++] = (byte) c;
      }
    }
    return position > lineStart ? Kind.TORN : Kind.END;
  }

  byte[] bytes() {
    return buf;
  }

  int length() {
    return length;
  }

  /** Byte offset just after the last line read (LF included). */
  long position() {
    return position;
  }

  /** Byte offset where the last line read starts. */
  long lineStart() {
    return lineStart;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
