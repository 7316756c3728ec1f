package dev.quill.security.audit;

/** Where audit events go; {@link AuditLog} writes them to disk. Implementations never block for long and never throw. */
@FunctionalInterface
public interface AuditSink {
  /** Records {@code event}. */
  void record(AuditEvent event);
}
