package dev.quill.mail.mime;

import dev.quill.mail.mime.Envelope.Address;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a {@link MimePart} tree ({@link dev.quill.store.MessageDerived#structure()}).
 *
 * <pre>
 * structure = version(1 byte, = 1) part
 * part      = varint headerStart, varint (bodyStart - headerStart), varint (bodyEnd - bodyStart),
 *             varlong lines,
 *             nstr type, nstr subtype, list params, nstr id, nstr description, nstr encoding,
 *             nstr md5, nstr disposition, list dispositionParams, nlist language, nstr location,
 *             byte flags (1 = has envelope, 2 = has encapsulated message),
 *             varint childCount, part*childCount, [part (the encapsulated message)], [envelope]
 * envelope  = nstr date, nstr subject, addrs from, sender, replyTo, to, cc, bcc, nstr inReplyTo, nstr messageId
 * addrs     = varint count, (nstr name, nstr adl, nstr mailbox, nstr host)*count
 * nstr      = varint 0 (null) | varint (length + 1), the bytes (one per char, ISO-8859-1)
 * list      = varint count, nstr*count;  nlist = varint 0 (null) | varint (count + 1), nstr*count
 * varint    = unsigned LEB128
 * </pre>
 *
 * A new layout gets a new version byte; {@link #decode} rejects versions it does not know.
 */
final class StructureCodec {
  static final int VERSION = 1;

  private StructureCodec() {}

  static byte[] encode(MimePart root) {
    Out out = new Out();
    out.write(VERSION);
    part(out, root);
    return out.toByteArray();
  }

  /** @throws IllegalArgumentException when the bytes are not a structure this version wrote */
  static MimePart decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0 || bytes[0] != VERSION) {
      throw new IllegalArgumentException("unknown message structure version "
          + (bytes == null || bytes.length == 0 ? "(empty)" : Integer.toString(bytes[0] & 0xff)) + ", expected " + VERSION);
    }
    In in = new In(bytes);
    in.pos = 1;
    try {
      MimePart root = in.part(0);
      if (in.pos != bytes.length) {
        throw new IllegalArgumentException("message structure has " + (bytes.length - in.pos) + " trailing bytes");
      }
      return root;
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("message structure truncated", e);
    }
  }

  private static void part(Out o, MimePart p) {
    o.varint(p.headerStart);
    o.varint(p.bodyStart - p.headerStart);
    o.varint(p.bodyEnd - p.bodyStart);
    o.varint(p.lines);
    o.nstr(p.type);
    o.nstr(p.subtype);
    o.list(p.params);
    o.nstr(p.id);
    o.nstr(p.description);
    o.nstr(p.encoding);
    o.nstr(p.md5);
    o.nstr(p.disposition);
    o.list(p.dispositionParams);
    if (p.language == null) {
      o.varint(0);
    } else {
      o.varint(p.language.size() + 1L);
      p.language.forEach(o::nstr);
    }
    o.nstr(p.location);
    o.write((p.envelope != null ? 1 : 0) | (p.message != null ? 2 : 0));
    o.varint(p.children.size());
    for (MimePart c : p.children) {
      part(o, c);
    }
    if (p.message != null) {
      part(o, p.message);
    }
    if (p.envelope != null) {
      Envelope e = p.envelope;
      o.nstr(e.date());
      o.nstr(e.subject());
      for (List<Address> list : List.of(e.from(), e.sender(), e.replyTo(), e.to(), e.cc(), e.bcc())) {
        o.varint(list.size());
        for (Address a : list) {
          o.nstr(a.name());
          o.nstr(a.adl());
          o.nstr(a.mailbox());
          o.nstr(a.host());
        }
      }
      o.nstr(e.inReplyTo());
      o.nstr(e.messageId());
    }
  }

  private static final class Out extends ByteArrayOutputStream {
    void varint(long v) {
      while ((v & ~0x7fL) != 0) {
        write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      write((int) v);
    }

    void nstr(String s) {
      if (s == null) {
        varint(0);
        return;
      }
      varint(s.length() + 1L);
      for (int i = 0; i < s.length(); i++) {
        write(s.charAt(i));
      }
    }

    void list(List<String> l) {
      varint(l.size());
      l.forEach(this::nstr);
    }
  }

  private static final class In {
    final byte[] b;
    int pos;

    In(byte[] b) {
      this.b = b;
    }

    long varlong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int x = b[pos++] & 0xff;
        v |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("message structure: varint too long at " + pos);
    }

    int varint() {
      long v = varlong();
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("message structure: value " + v + " out of range at " + pos);
      }
      return (int) v;
    }

    /** A count of items each at least one byte long: bounded by what is left. */
    int count() {
      int n = varint();
      if (n > b.length - pos) {
        throw new IllegalArgumentException("message structure: count " + n + " exceeds the remaining " + (b.length - pos) + " bytes");
      }
      return n;
    }

    String nstr() {
      int n = varint();
      if (n == 0) {
        return null;
      }
      if (n - 1 > b.length - pos) {
        throw new IllegalArgumentException("message structure: string of " + (n - 1) + " bytes exceeds the remaining " + (b.length - pos));
      }
      String s = new String(b, pos, n - 1, java.nio.charset.StandardCharsets.ISO_8859_1);
      pos += n - 1;
      return s;
    }

    List<String> list() {
      int n = count();
      List<String> l = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        l.add(nstr());
      }
      return List.copyOf(l.stream().map(s -> s == null ? "" : s).toList());
    }

    List<Address> addrs() {
      int n = count();
      List<Address> l = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        l.add(new Address(nstr(), nstr(), nstr(), nstr()));
      }
      return List.copyOf(l);
    }

    MimePart part(int depth) {
      if (depth > 2 * StructureParser.MAX_DEPTH + 2) {
        throw new IllegalArgumentException("message structure nested deeper than " + depth);
      }
      MimePart p = new MimePart();
      p.headerStart = varint();
      p.bodyStart = Math.addExact(p.headerStart, varint());
      p.bodyEnd = Math.addExact(p.bodyStart, varint());
      p.lines = varlong();
      p.type = orEmpty(nstr());
      p.subtype = orEmpty(nstr());
      p.params = list();
      p.id = nstr();
      p.description = nstr();
      p.encoding = nstr();
      p.md5 = nstr();
      p.disposition = nstr();
      p.dispositionParams = list();
      int langs = count();
      if (langs > 0) {
        List<String> l = new ArrayList<>();
        for (int i = 1; i < langs; i++) {
          l.add(orEmpty(nstr()));
        }
        p.language = List.copyOf(l);
      }
      p.location = nstr();
      int flags = b[pos++];
      int children = count();
      List<MimePart> c = new ArrayList<>(children);
      for (int i = 0; i < children; i++) {
        c.add(part(depth + 1));
      }
      p.children = List.copyOf(c);
      if ((flags & 2) != 0) {
        p.message = part(depth + 1);
      }
      if ((flags & 1) != 0) {
        p.envelope = new Envelope(nstr(), nstr(), addrs(), addrs(), addrs(), addrs(), addrs(), addrs(), nstr(), nstr());
      }
      if (p.isMultipart() && p.children.isEmpty() || (p.message != null) != MimePart.isMessageType(p.type, p.subtype)
          || (p.message != null && p.message.envelope == null)) {
        throw new IllegalArgumentException("message structure violates its invariants at " + pos);
      }
      return p;
    }

    private static String orEmpty(String s) {
      return s == null ? "" : s;
    }
  }
}
