package dev.quill.security.policy;

import java.util.Locale;

/** The policy-file names of enum constants (lower-case) and the lookup back, shared by the policy's enums. */
final class Labels {
  private Labels() {}

  /** The name of {@code value} in policy files. */
  static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The constant among {@code values} named {@code label} (case-insensitive), or null when there is none. */
  static <E extends Enum<E>> E find(E[] values, String label) {
    for (E v : values) {
      if (v.name().equalsIgnoreCase(label)) {
        return v;
      }
    }
    return null;
  }

  /** The names of {@code values}, comma-separated, for error messages. */
  static String list(Enum<?>[] values) {
    StringBuilder b = new StringBuilder();
    for (Enum<?> v : values) {
      b.append(b.isEmpty() ? "" : ", ").append(of(v));
    }
    return b.toString();
  }
}
