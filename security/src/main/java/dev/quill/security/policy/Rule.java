package dev.quill.security.policy;

import dev.quill.security.Sid;
import java.util.Objects;

/**
 * One policy rule: {@code subject object permission -> effect}.
 *
 * @param object the object type, or null for {@code *} (every type)
 * @param permission the permission, or null for {@code *} (every permission)
 */
public record Rule(SubjectPattern subject, ObjectType object, Permission permission, Effect effect) {
  public Rule {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(effect, "effect");
  }

  /** Whether this rule applies to {@code subject} doing {@code permission} on an {@code object}. */
  public boolean matches(Sid subject, ObjectType object, Permission permission) {
    return (this.object == null || this.object == object)
        && (this.permission == null || this.permission == permission)
        && this.subject.matches(subject);
  }

  /** The object column as written in a policy file. */
  String objectText() {
    return object == null ? "*" : object.label();
  }

  /** The permission column as written in a policy file. */
  String permissionText() {
    return permission == null ? "*" : permission.label();
  }

  @Override
  public String toString() {
    return subject + " " + objectText() + " " + permissionText() + " -> " + effect.label();
  }
}
