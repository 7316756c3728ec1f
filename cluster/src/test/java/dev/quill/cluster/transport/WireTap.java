package dev.quill.cluster.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.MessageBatch;

/**
 * A test protocol put between the transport and the security layer: records the sealed messages
 * that arrive while recording is on (deep copies, as they were on the wire), and injects messages
 * into the security layer as if they had just arrived.
 */
final class WireTap extends Protocol {
  static final short ID = 1190;

  static {
    ClassConfigurator.addProtocol(ID, WireTap.class);
  }

  private final List<Message> recorded = new ArrayList<>();
  private volatile boolean recording;

  /** Puts a tap under the security layer of {@code transport}. */
  static WireTap under(ClusterTransport transport) throws Exception {
    WireTap tap = new WireTap();
    transport.channel().getProtocolStack().insertProtocol(tap, ProtocolStack.Position.BELOW, SecureLayer.class);
    return tap;
  }

  void record(boolean on) {
    recording = on;
  }

  synchronized List<Message> recorded() {
    return List.copyOf(recorded);
  }

  /** Hands {@code msg} to the security layer as the transport would. */
  void inject(Message msg) {
    up_prot.up(msg);
  }

  @Override
  public Object up(Message msg) {
    keep(msg);
    return up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    for (Message msg : batch) {
      keep(msg);
    }
    up_prot.up(batch);
  }

  private synchronized void keep(Message msg) {
    if (recording && msg.getHeader(SecureLayer.ID) != null) {
      recorded.add(copy(msg, msg.getArray() == null ? new byte[0]
          : Arrays.copyOfRange(msg.getArray(), msg.getOffset(), msg.getOffset() + msg.getLength()),
          ((SecureHeader) msg.getHeader(SecureLayer.ID)).bytes().clone()));
    }
  }

  /** A sealed message with this payload and this security context, from the same sender to the same receiver. */
  static Message copy(Message msg, byte[] payload, byte[] context) {
    Message copy = new BytesMessage(msg.getDest(), payload).setSrc(msg.getSrc());
    copy.setFlag(msg.getFlags(false), false);
    return copy.putHeader(SecureLayer.ID, new SecureHeader(context));
  }
}
