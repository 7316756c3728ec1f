package dev.quill.mail.mime;

import java.util.List;

/**
 * A FETCH section (RFC 9051 §6.4.5): a part path (empty = the whole message; {@code [1, 2]} =
 * part 1.2) and what of it: everything, its header, selected header fields, its text, or its
 * MIME header.
 *
 * @param fields header field names for {@link Kind#HEADER_FIELDS} and {@link Kind#HEADER_FIELDS_NOT}, else empty
 */
public record SectionSpec(int[] part, Kind kind, List<String> fields) {
  /** Which bytes of the part. */
  public enum Kind { ALL, HEADER, HEADER_FIELDS, HEADER_FIELDS_NOT, TEXT, MIME }
}
