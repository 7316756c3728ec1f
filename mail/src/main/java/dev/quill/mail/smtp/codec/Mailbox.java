package dev.quill.mail.smtp.codec;

/**
 * A mailbox of an SMTP path (RFC 5321 §4.1.2 {@code Mailbox}): a local part and a domain or
 * address literal. A quoted local part whose content is a plain dot-string is stored unquoted,
 * so that {@code "john.doe"@example.org} and {@code john.doe@example.org} are the same mailbox.
 *
 * @param localPart the local part, unquoted when quoting was unnecessary, else with its quotes
 * @param domain the domain (as sent, case kept) or an address literal with its brackets; empty
 *     only for the special {@code <Postmaster>} recipient
 */
public record Mailbox(String localPart, String domain) {

  /** {@code localPart@domain}, or just the local part for {@code <Postmaster>}. */
  public String address() {
    return domain.isEmpty() ? localPart : localPart + "@" + domain;
  }

  /** Whether the address needs SMTPUTF8 (has a non-ASCII character). */
  public boolean isAscii() {
    return ascii(localPart) && ascii(domain);
  }

  /** Whether this is the domain-less {@code <Postmaster>} of RFC 5321 §4.1.1.3. */
  public boolean isBarePostmaster() {
    return domain.isEmpty();
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return address();
  }
}
