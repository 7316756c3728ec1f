package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.Sid;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.stack.Protocol;

/**
 * Whatever message comes up from an opened frame, the security layer drops it with a reason or
 * passes it up with a principal of the member that sent it; going down, every message names one.
 */
class SecureLayerProperties {
  private static final KeyRing RING = KeyRing.generate();
  private static final Address N1 = ClusterTransport.newAddress("n1");
  private static final Address N2 = ClusterTransport.newAddress("n2");
  private static final Address N3 = ClusterTransport.newAddress("n3");

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
  void anyPrincipalText_passesOnlyIfItIsASidOfTheSender(@ForAll @Size(max = 80) String text, @ForAll boolean valid) {
    String principal = valid ? "user:" + text.replaceAll("[^a-z0-9]", "") + "x@example.org@n2" : text;
    Recorder above = new Recorder();
    SecureLayer receiver = layer("n1", N1, above, new Recorder());
    receiver.up(from(N2, N1, principal));
    boolean ok;
    try {
      ok = Sid.parse(principal).node().equals("n2");
    } catch (IllegalArgumentException e) {
      ok = false;
    }
    assertThat(above.messages).hasSize(ok ? 1 : 0);
    assertThat(receiver.counters().droppedTotal()).isEqualTo(ok ? 0 : 1);
    if (ok) {
      PrincipalHeader verified = above.messages.getFirst().getHeader(PrincipalHeader.MAGIC);
      assertThat(verified.principal()).isEqualTo(Sid.parse(principal));
    }
  }

  @Example
  void aPrincipalOfAnotherNode_isAForgedSid() {
    SecureLayer receiver = layer("n1", N1, new Recorder(), new Recorder());
    receiver.up(from(N2, N1, "user:alice@example.org@n1"));
    assertThat(receiver.counters().dropped().get(Reason.FORGED_SID)).isEqualTo(1);
  }

  @Example
  void aMessageWithoutAPrincipal_isMissingOne() {
    SecureLayer receiver = layer("n1", N1, new Recorder(), new Recorder());
    receiver.up(new BytesMessage(N1, new byte[] {1}).setSrc(N2));
    assertThat(receiver.counters().dropped().get(Reason.MISSING)).isEqualTo(1);
  }

  @Example
  void aMessageForAnotherMember_isMisdirected_whileOneForAnyone_passes() {
    Recorder above = new Recorder();
    SecureLayer receiver = layer("n1", N1, above, new Recorder());
    receiver.up(from(N2, N3, "node:n2@n2"));
    assertThat(receiver.counters().dropped().get(Reason.MISDIRECTED)).isEqualTo(1);
    receiver.up(from(N2, null, "node:n2@n2"));
    assertThat(above.messages).hasSize(1);
  }

  @Example
  void aRevokedMember_isRefused_evenFromAFrameThatOpened() {
    Recorder above = new Recorder();
    SecureLayer receiver = layer("n1", N1, above, new Recorder());
    receiver.revoke("n2");
    receiver.up(from(N2, N1, "node:n2@n2"));
    assertThat(receiver.counters().dropped().get(Reason.REVOKED)).isEqualTo(1);
    assertThat(above.messages).isEmpty();
  }

  @Example
  void aNodeWhoseNameHasCapitals_speaksForItsOwnLowerCasedSid() {
    Address upper = ClusterTransport.newAddress("Mx2");
    Recorder wire = new Recorder();
    layer("Mx2", upper, new Recorder(), wire).down(new BytesMessage(N1, new byte[] {1, 2, 3}).setSrc(upper));
    Recorder above = new Recorder();
    layer("n1", N1, above, new Recorder()).up(wire.messages.getFirst());
    assertThat(above.messages).hasSize(1);
  }

  @Example
  void goingDown_aMessageKeepsTheCallersPrincipal_orGetsTheNodes() {
    Recorder wire = new Recorder();
    SecureLayer sender = layer("n2", N2, new Recorder(), wire);
    sender.down(new BytesMessage(N1, new byte[] {1}));
    Sid bob = Sid.user("bob@example.org", "n2");
    sender.down(new BytesMessage(N1, new byte[] {2}).putHeader(PrincipalHeader.MAGIC, new PrincipalHeader(bob)));
    assertThat(wire.messages).extracting(m -> ((PrincipalHeader) m.getHeader(PrincipalHeader.MAGIC)).principal())
        .containsExactly(Sid.node("n2"), bob);
  }

  /** A message as JGroups reads it from an opened frame: the principal's text only. */
  private static Message from(Address src, Address dest, String principal) {
    return new BytesMessage(dest, new byte[] {1}).setSrc(src)
        .putHeader(PrincipalHeader.MAGIC, new PrincipalHeader(null, principal.getBytes(StandardCharsets.UTF_8)));
  }

  private static SecureLayer layer(String name, Address address, Protocol above, Protocol below) {
    SecureLayer layer = new SecureLayer(name, new TrafficKeys(RING), SecurityEvents.NONE);
    layer.setAddress(address);
    layer.setUpProtocol(above);
    layer.setDownProtocol(below);
    return layer;
  }
}
