package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.SecurityEvents;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.stack.Protocol;

/** Whatever arrives, the security layer drops it with a reason or passes it up verified; nothing escapes. */
class SecureLayerProperties {
  private static final KeyRing RING = KeyRing.generate();
  private static final Address N1 = ClusterTransport.newAddress("n1");
  private static final Address N2 = ClusterTransport.newAddress("n2");

  /** The protocol above or below a layer under test: keeps what it is given. */
  private static final class Recorder extends Protocol {
    final List<Message> messages = new ArrayList<>();

    @Override
    public Object up(Message msg) {
      messages.add(msg);
      return null;
    }

    @Override
    public Object down(Message msg) {
      messages.add(msg);
      return null;
    }
  }

  @Property(tries = 500)
  void anyBytes_asASecuredMessage_areDroppedWithAReason(
      @ForAll @Size(max = 600) byte[] context, @ForAll @Size(max = 3000) byte[] payload, @ForAll boolean withContext) {
    Recorder above = new Recorder();
    SecureLayer receiver = layer("n1", N1, above, new Recorder());
    Message msg = new BytesMessage(N1, payload).setSrc(N2);
    if (withContext) {
      msg.putHeader(SecureLayer.ID, new SecureHeader(context));
    }
    assertThat(receiver.up(msg)).isNull();
    assertThat(above.messages).isEmpty();
    assertThat(receiver.counters().droppedTotal()).isEqualTo(1);
  }

  @Property(tries = 300)
  void aSealedMessage_withAnyBitFlipped_isDropped(
      @ForAll @Size(max = 2000) byte[] body, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position,
      @ForAll @IntRange(min = 0, max = 7) int bit) {
    Recorder wire = new Recorder();
    SecureLayer sender = layer("n2", N2, new Recorder(), wire);
    sender.down(new BytesMessage(N1, body));
    Message sealed = wire.messages.getFirst();
    byte[] context = ((SecureHeader) sealed.getHeader(SecureLayer.ID)).bytes().clone();
    byte[] payload = sealed.getArray().clone();
    int at = position % (context.length + payload.length);
    if (at < context.length) {
      context[at] ^= (byte) (1 << bit);
    } else {
      payload[at - context.length] ^= (byte) (1 << bit);
    }
    Recorder above = new Recorder();
    SecureLayer receiver = layer("n1", N1, above, new Recorder());
    receiver.up(WireTap.copy(sealed, payload, context));
    assertThat(above.messages).isEmpty();
    assertThat(receiver.counters().droppedTotal()).isEqualTo(1);
    // The untouched message does pass, with its body intact: the drop above was the flip's doing.
    receiver.up(sealed);
    assertThat(above.messages).hasSize(1);
    assertThat(above.messages.getFirst().<byte[]>getArray()).isEqualTo(body);
  }

  @Example
  void aNodeWhoseNameHasCapitals_speaksForItsOwnLowerCasedSid() {
    Address upper = ClusterTransport.newAddress("Mx2");
    Recorder wire = new Recorder();
    SecureLayer sender = layer("Mx2", upper, new Recorder(), wire);
    sender.down(new BytesMessage(N1, new byte[] {1, 2, 3}));
    Recorder above = new Recorder();
    layer("n1", N1, above, new Recorder()).up(wire.messages.getFirst());
    assertThat(above.messages).hasSize(1);
  }

  private static SecureLayer layer(String name, Address address, Protocol above, Protocol below) {
    SecureLayer layer = new SecureLayer(name, new TrafficKeys(RING), SecurityEvents.NONE);
    layer.setAddress(address);
    layer.setUpProtocol(above);
    layer.setDownProtocol(below);
    return layer;
  }
}
