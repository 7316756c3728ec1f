package dev.quill.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The structure walk's cost stays a bounded multiple of the message's size: a hostile message nested
 * a hundred deep around a large body is walked only as deep as the cap allows, while ordinary
 * nesting is walked whole.
 */
class StructureParserTest {
  /** {@code depth} multiparts, each holding the next as its only part, around a text body of {@code bodySize} bytes. */
  private static byte[] nested(int depth, int bodySize) {
    StringBuilder head = new StringBuilder("From: a@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    StringBuilder tail = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      head.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
      tail.insert(0, "\r\n--b" + i + "--\r\n");
    }
    head.append("Content-Type: text/plain\r\n\r\n");
    byte[] start = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] end = tail.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] message = new byte[start.length + bodySize + end.length];
    System.arraycopy(start, 0, message, 0, start.length);
    for (int i = 0; i < bodySize; i++) {
      message[start.length + i] = (i % 80 == 79) ? (byte) '\n' : (byte) 'x';
    }
    System.arraycopy(end, 0, message, start.length + bodySize, end.length);
    return message;
  }

  private static int depthOf(MimePart p) {
    int depth = 0;
    while (p.children.size() == 1 && "multipart".equals(p.type)) {
      p = p.children.getFirst();
      depth++;
    }
    return depth;
  }

  @Test
  void aHundredLevelsAroundALargeBody_areWalkedOnlyAsFarAsTheCap() {
    byte[] message = nested(100, 8 << 20);
    long[] cost = StructureParser.scanCost(message);
    assertThat(cost[0]).as("bytes scanned").isLessThanOrEqualTo(cost[1]);
    assertThat(cost[1]).isEqualTo(Math.max(StructureParser.MIN_SCAN_BUDGET, 16L * message.length));
    MimePart root = StructureParser.parse(message);
    // each level scans about the whole message again: as many levels as the cap holds copies of it
    long levels = cost[1] / message.length;
    assertThat(depthOf(root)).as("levels walked before the cap").isBetween((int) levels - 2, (int) levels);
  }

  @Test
  void ordinaryNesting_isWalkedWhole() {
    byte[] message = nested(6, 4 << 20);
    MimePart root = StructureParser.parse(message);
    assertThat(depthOf(root)).isEqualTo(6);
    MimePart leaf = root;
    for (int i = 0; i < 6; i++) {
      leaf = leaf.children.getFirst();
    }
    assertThat(leaf.type + "/" + leaf.subtype).isEqualTo("text/plain");
  }
}
