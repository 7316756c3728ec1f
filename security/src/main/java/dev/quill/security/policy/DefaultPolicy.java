package dev.quill.security.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The policy a node starts with until an operator pushes one: the readable file {@code default-policy.txt}. */
public final class DefaultPolicy {
  private DefaultPolicy() {}

  /** The default policy's text, as shipped. */
  public static String text() {
    try (InputStream in = DefaultPolicy.class.getResourceAsStream("default-policy.txt")) {
      if (in == null) {
        throw new IllegalStateException("default-policy.txt is missing from the security module");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The default policy, parsed. */
  public static Policy policy() {
    try {
      return PolicyParser.parse(text());
    } catch (PolicyException e) {
      throw new IllegalStateException("the shipped default policy does not parse: " + e.getMessage(), e);
    }
  }
}
