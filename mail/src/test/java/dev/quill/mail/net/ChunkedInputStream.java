package dev.quill.mail.net;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/** Test input that hands out its bytes in the given pieces, one piece (at most) per read, as TCP may. */
public final class ChunkedInputStream extends InputStream {
  private final Deque<byte[]> chunks = new ArrayDeque<>();

  /** One read per string (ISO-8859-1). */
  public static ChunkedInputStream of(String... pieces) {
    var in = new ChunkedInputStream();
    for (String p : pieces) {
      in.chunks.add(p.getBytes(StandardCharsets.ISO_8859_1));
    }
    return in;
  }

  /** One read per byte. */
  public static ChunkedInputStream bytewise(String text) {
    var in = new ChunkedInputStream();
    for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
      in.chunks.add(new byte[] {b});
    }
    return in;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    byte[] next = chunks.poll();
    if (next == null) {
      return -1;
    }
    int n = Math.min(len, next.length);
    System.arraycopy(next, 0, b, off, n);
    if (n < next.length) {
      chunks.addFirst(Arrays.copyOfRange(next, n, next.length));
    }
    return n;
  }
}
