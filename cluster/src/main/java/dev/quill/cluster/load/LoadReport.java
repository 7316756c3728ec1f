package dev.quill.cluster.load;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * How busy one node is, as it last said.
 *
 * @param node the reporting node
 * @param diskQueueDepth writes waiting for the store's group commit
 * @param cpuLoad the machine's CPU use from 0 to 1, or -1 when the platform does not say
 * @param timestampMillis when the sender measured it (its clock; for display, not for ageing)
 */
public record LoadReport(String node, int diskQueueDepth, double cpuLoad, long timestampMillis) {
  /**
   * Wire body: node (string, at most 200 bytes), disk queue depth (varint), CPU load (8-byte
   * double), timestamp (zig-zag varint).
   */
  static final Codec<LoadReport> CODEC = Codec.of(
      (out, r) -> out.writeString(r.node()).writeVarInt(r.diskQueueDepth()).writeDouble(r.cpuLoad())
          .writeSignedVarLong(r.timestampMillis()),
      in -> {
        LoadReport report = new LoadReport(in.readString(200), in.readVarInt(), in.readDouble(), in.readSignedVarLong());
        if (!(report.cpuLoad() == -1 || (report.cpuLoad() >= 0 && report.cpuLoad() <= 1))) {
          throw new WireException("CPU load " + report.cpuLoad() + " is neither -1 nor within 0..1");
        }
        return report;
      });
}
