package dev.quill.store;

import java.util.Locale;

/** Normalisation and checks of mail addresses and domain names as keys of the store. */
public final class Addresses {
  private Addresses() {}

  /** Lower-cases and trims an address or domain so that lookups are case-insensitive. */
  public static String normalize(String address) {
    return address.strip().toLowerCase(Locale.ROOT);
  }

  /** The domain part of {@code local@domain}, or empty string when there is no '@'. */
  public static String domainOf(String address) {
    int at = address.lastIndexOf('@');
    return at < 0 ? "" : address.substring(at + 1);
  }

  /**
   * Whether {@code address} is a plausible mailbox for a local user: a non-empty local part of
   * at most 64 octets, one '@', and a valid domain name.
   */
  public static boolean isValidAddress(String address) {
    int at = address.lastIndexOf('@');
    if (at <= 0 || at > 64 || address.indexOf('@') != at) {
      return false;
    }
    for (int i = 0; i < at; i++) {
      char c = address.charAt(i);
      if (c <= ' ' || c == 0x7f || "()<>,;:\\\"[]".indexOf(c) >= 0) {
        return false;
      }
    }
    return isValidDomain(address.substring(at + 1));
  }

  /** Whether {@code domain} is a syntactically valid DNS name (RFC 1035 letters-digits-hyphen). */
  public static boolean isValidDomain(String domain) {
    if (domain.isEmpty() || domain.length() > 253) {
      return false;
    }
    for (String label : domain.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
        return false;
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
