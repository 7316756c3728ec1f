package dev.quill.cluster.transport;

import java.io.DataInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jgroups.Address;
import org.jgroups.blocks.cs.Receiver;

/**
 * A test tap between a node's TCP connections and its sealing transport: records the sealed frames
 * that arrive while recording is on (copies, as they were on the wire), and injects frames into the
 * transport as if a connection had just read them.
 */
final class WireTap implements Receiver {
  /** A frame as read from a connection, and the peer address the connection gave for it. */
  record Frame(Address sender, byte[] bytes) {
    /** This frame with different bytes, from the same connection. */
    Frame with(byte[] other) {
      return new Frame(sender, other);
    }
  }

  private final SealingTcp transport;
  private final List<Frame> recorded = new ArrayList<>();
  private volatile boolean recording;

  private WireTap(SealingTcp transport) {
    this.transport = transport;
  }

  /** Puts a tap under the sealing transport of {@code node}. */
  static WireTap under(ClusterTransport node) {
    SealingTcp transport = (SealingTcp) node.channel().getProtocolStack().getTransport();
    WireTap tap = new WireTap(transport);
    transport.server().receiver(tap);
    return tap;
  }

  void record(boolean on) {
    recording = on;
  }

  synchronized List<Frame> recorded() {
    return List.copyOf(recorded);
  }

  /** Hands {@code frame} to the transport as a connection would. */
  void inject(Frame frame) {
    transport.receive(frame.sender(), frame.bytes().clone(), 0, frame.bytes().length);
  }

  @Override
  public void receive(Address sender, DataInput in, int length) throws Exception {
    byte[] frame = new byte[length];
    in.readFully(frame);
    receive(sender, frame, 0, length);
  }

  @Override
  public void receive(Address sender, byte[] buf, int offset, int length) {
    byte[] frame = Arrays.copyOfRange(buf, offset, offset + length);
    synchronized (this) {
      if (recording) {
        recorded.add(new Frame(sender, frame.clone()));
      }
    }
    transport.receive(sender, frame, 0, length);
  }
}
