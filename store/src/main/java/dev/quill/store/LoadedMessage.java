package dev.quill.store;

import java.util.Set;

/**
 * One message as {@link MailStore#load} read it, in one consistent view with the others of the
 * same call.
 *
 * @param body the verified bytes; null when not asked for, or when the message failed its
 *     integrity check ({@code problem} then says why and the message has been quarantined)
 * @param derived the stored derived data; null when not asked for or none was stored
 * @param problem null, or why the message is corrupt
 */
public record LoadedMessage(MessageMeta meta, byte[] body, MessageDerived derived, String problem) {

  /** What {@link MailStore#load} reads of each message besides its metadata. */
  public enum Part { BODY, DERIVED }

  /** Asking for nothing but metadata. */
  public static final Set<Part> META_ONLY = Set.of();
}
