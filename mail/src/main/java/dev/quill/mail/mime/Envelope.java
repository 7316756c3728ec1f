package dev.quill.mail.mime;

import java.util.List;

/**
 * The ENVELOPE of a message (RFC 9051 §7.5.2): raw header values (byte strings, see
 * {@link HeaderField}), encoded words not decoded, as IMAP servers send them. Address lists are
 * empty when the header is absent or holds no address (written as NIL).
 */
record Envelope(
    String date,
    String subject,
    List<Address> from,
    List<Address> sender,
    List<Address> replyTo,
    List<Address> to,
    List<Address> cc,
    List<Address> bcc,
    String inReplyTo,
    String messageId) {

  /**
   * One address structure: (name adl mailbox host). A group is written as a start marker
   * (NIL NIL group-name NIL) and an end marker (NIL NIL NIL NIL), RFC 9051 §7.5.2.
   */
  record Address(String name, String adl, String mailbox, String host) {
    static final Address GROUP_END = new Address(null, null, null, null);

    static Address groupStart(String name) {
      return new Address(null, null, name, null);
    }
  }

  static Envelope of(List<HeaderField> fields) {
    List<Address> from = addresses(fields, "From");
    List<Address> sender = addresses(fields, "Sender");
    List<Address> replyTo = addresses(fields, "Reply-To");
    return new Envelope(
        HeaderField.first(fields, "Date"),
        HeaderField.first(fields, "Subject"),
        from,
        sender.isEmpty() ? from : sender, // RFC 3501 §7.4.2: absent or empty Sender/Reply-To = From
        replyTo.isEmpty() ? from : replyTo,
        addresses(fields, "To"),
        addresses(fields, "Cc"),
        addresses(fields, "Bcc"),
        HeaderField.first(fields, "In-Reply-To"),
        HeaderField.first(fields, "Message-ID"));
  }

  private static List<Address> addresses(List<HeaderField> fields, String name) {
    String value = HeaderField.first(fields, name);
    return value == null ? List.of() : AddressParser.parse(value);
  }
}
