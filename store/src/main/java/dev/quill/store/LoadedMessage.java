package dev.quill.store;

import java.util.List;
import java.util.Optional;
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

  /**
   * The bytes of the one message a load of one UID with {@link Part#BODY} found, as
   * {@link MailStore#readMessage} gives them: empty when it found none.
   *
   * @throws CorruptMessageException when the message failed its integrity check
   */
  public static Optional<byte[]> onlyBody(List<LoadedMessage> loaded) throws CorruptMessageException {
    if (loaded.isEmpty()) {
      return Optional.empty();
    }
    LoadedMessage m = loaded.getFirst();
    if (m.problem() != null) {
      throw new CorruptMessageException(m.problem());
    }
    return Optional.ofNullable(m.body());
  }
}
