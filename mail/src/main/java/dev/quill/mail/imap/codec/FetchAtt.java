package dev.quill.mail.imap.codec;

import dev.quill.mail.mime.SectionSpec;

/** One FETCH data item (RFC 9051 §6.4.5 {@code fetch-att}), with the RFC 3501 and RFC 7162 ones. */
public sealed interface FetchAtt {

  /** FLAGS. */
  record Flags() implements FetchAtt {}

  /** UID. */
  record Uid() implements FetchAtt {}

  /** INTERNALDATE. */
  record InternalDate() implements FetchAtt {}

  /** RFC822.SIZE. */
  record Rfc822Size() implements FetchAtt {}

  /** ENVELOPE. */
  record Envelope() implements FetchAtt {}

  /** BODYSTRUCTURE ({@code extensible}) or BODY. */
  record Structure(boolean extensible) implements FetchAtt {}

  /** MODSEQ (RFC 7162). */
  record ModSeq() implements FetchAtt {}

  /**
   * BODY[section]&lt;partial&gt;, BODY.PEEK[...], and the RFC 3501 forms RFC822 (BODY[]),
   * RFC822.HEADER (BODY.PEEK[HEADER]) and RFC822.TEXT (BODY[TEXT]).
   *
   * @param label the item name in the response, without the partial's origin: {@code BODY[1.HEADER]} or {@code RFC822}
   * @param offset partial origin, or -1 for the whole section
   * @param length partial length (ignored when {@code offset} is -1)
   */
  record Section(boolean peek, SectionSpec section, String label, long offset, long length) implements FetchAtt {}

  /** BINARY[part]&lt;partial&gt; or BINARY.PEEK (RFC 3516 / RFC 9051); {@code label} as for {@link Section}. */
  record Binary(boolean peek, int[] part, String label, long offset, long length) implements FetchAtt {}

  /** BINARY.SIZE[part]. */
  record BinarySize(int[] part, String label) implements FetchAtt {}
}
