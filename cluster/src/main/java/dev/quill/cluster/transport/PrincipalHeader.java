package dev.quill.cluster.transport;

import dev.quill.security.Sid;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.jgroups.Header;

/**
 * The principal a message is sent for: put on by {@link ClusterTransport} at send time (the bound
 * {@link dev.quill.security.Principals principal}) or by the security layer (the node itself),
 * sealed with the rest of the message by the transport, and on receipt checked by the security
 * layer, which the transport then hands up.
 */
public final class PrincipalHeader extends Header {
  static final short MAGIC = 1102;

  private Sid principal;
  private byte[] text;

  /** For JGroups, which creates a header before reading it. */
  public PrincipalHeader() {}

  PrincipalHeader(Sid principal) {
    this.principal = principal;
  }

  PrincipalHeader(Sid principal, byte[] text) {
    this.principal = principal;
    this.text = text;
  }

  /** The principal; parsed on first use (a header read from the wire carries the text only). */
  Sid principal() {
    if (principal == null) {
      principal = Sid.parse(new String(text, StandardCharsets.UTF_8));
    }
    return principal;
  }

  /** The SID's text form, as it travels. */
  String textString() {
    return text != null ? new String(text, StandardCharsets.UTF_8) : principal.toString();
  }

  /** Keeps {@code sid}, parsed and checked by the security layer from this header's text, so it is not parsed again. */
  void parsed(Sid sid) {
    principal = sid;
  }

  /** The SID's text form in UTF-8, computed once. */
  byte[] text() {
    if (text == null) {
      text = principal.toString().getBytes(StandardCharsets.UTF_8);
    }
    return text;
  }

  @Override
  public short getMagicId() {
    return MAGIC;
  }

  @Override
  public Supplier<? extends Header> create() {
    return PrincipalHeader::new;
  }

  @Override
  public int serializedSize() {
    return 2 + text().length;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    byte[] t = text();
    out.writeShort(t.length);
    out.write(t);
  }

  @Override
  public void readFrom(DataInput in) throws IOException {
    int length = in.readUnsignedShort();
    if (length > Sid.MAX_LENGTH * 4) {
      throw new IOException("principal of " + length + " bytes");
    }
    text = new byte[length];
    in.readFully(text);
  }

  @Override
  public String toString() {
    return "PrincipalHeader[" + (text != null ? new String(text, StandardCharsets.UTF_8) : principal) + "]";
  }
}
