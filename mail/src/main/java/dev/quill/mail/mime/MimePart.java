package dev.quill.mail.mime;

import java.util.List;

/**
 * One entity of a message: the message itself, a multipart child, or the message encapsulated in
 * a message/rfc822 part. Offsets are into the raw message; strings are byte strings
 * ({@link HeaderField}). Invariants kept by {@link StructureParser} and {@link StructureCodec}: a
 * multipart has at least one child; {@link #message} is set exactly for message/rfc822 and
 * message/global parts; {@link #envelope} is set exactly for message entities (the top level and
 * every encapsulated message).
 */
final class MimePart {
  int headerStart;
  /** End of the header section including its blank line, i.e. where the body starts. */
  int bodyStart;
  int bodyEnd;
  String type;
  String subtype;
  /** Content-Type parameters as name, value, name, value … (RFC 2231 continuations joined). */
  List<String> params = List.of();
  String id;
  String description;
  /** Content-Transfer-Encoding as written; null when absent (7bit). */
  String encoding;
  String md5;
  String disposition;
  List<String> dispositionParams = List.of();
  /** Content-Language tags; null when absent. */
  List<String> language;
  String location;
  /** Body lines, for text/* and message/rfc822 (RFC 9051 body-fld-lines). */
  long lines;
  List<MimePart> children = List.of();
  MimePart message;
  Envelope envelope;

  boolean isMultipart() {
    return "multipart".equalsIgnoreCase(type);
  }

  boolean isText() {
    return "text".equalsIgnoreCase(type);
  }

  static boolean isMessageType(String type, String subtype) {
    return "message".equalsIgnoreCase(type) && ("rfc822".equalsIgnoreCase(subtype) || "global".equalsIgnoreCase(subtype));
  }

  /** The parameter named {@code name} (case-insensitive), or null. */
  String param(String name) {
    for (int i = 0; i + 1 < params.size(); i += 2) {
      if (params.get(i).equalsIgnoreCase(name)) {
        return params.get(i + 1);
      }
    }
    return null;
  }

  int bodySize() {
    return bodyEnd - bodyStart;
  }
}
