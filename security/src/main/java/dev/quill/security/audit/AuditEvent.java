package dev.quill.security.audit;

/**
 * Something to audit, as handed to an {@link AuditSink}: who did what to which object, the decision
 * and why. Plain strings, so the transport layer can audit dropped messages with the same log.
 *
 * @param subject the principal's SID in text form
 * @param object the object type (e.g. {@code fragment})
 * @param name the object's name (e.g. a fragment id), or empty
 * @param permission the operation (e.g. {@code expunge})
 * @param decision the outcome (e.g. {@code allow} or {@code deny})
 * @param reason why (e.g. the deciding policy rule)
 */
public record AuditEvent(String subject, String object, String name, String permission, String decision, String reason) {
  public AuditEvent {
    subject = orEmpty(subject);
    object = orEmpty(object);
    name = orEmpty(name);
    permission = orEmpty(permission);
    decision = orEmpty(decision);
    reason = orEmpty(reason);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
