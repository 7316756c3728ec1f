package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import java.util.List;

/**
 * A manager's answer: the value, or why it cannot give one yet. The refusals are part of the
 * response body rather than handler failures, so that callers tell them apart by type, not by
 * parsing messages, and retry exactly these.
 *
 * <pre>
 * byte    kind: 0 ok, 1 not manager, 2 incomplete, 3 stale view, 4 unreserved
 * ok:          the value's body
 * not manager: string manager (the one this node believes in), string view id
 * incomplete:  varint bucket, varint count + strings (members not yet reported)
 * stale view:  string the manager's view id
 * unreserved:  string why (at most 1,000 bytes)
 * </pre>
 */
public sealed interface Answer<T> {
  /** The value asked for. */
  record Ok<T>(T value) implements Answer<T> {}

  /** This node does not manage the user under its view {@code viewId}; {@code manager} does. */
  record NotManager<T>(String manager, String viewId) implements Answer<T> {}

  /** The user's bucket has not heard from every member since it became this manager's. */
  record Incomplete<T>(int bucket, List<String> waitingFor) implements Answer<T> {
    public Incomplete {
      waitingFor = List.copyOf(waitingFor);
    }
  }

  /** A report was made under another view than the manager's, {@code viewId}; it was ignored. */
  record Stale<T>(String viewId) implements Answer<T> {}

  /**
   * The manager could not make the numbers it would give durable on the user's profile node (no
   * live member holds the profile, or the node did not answer), so it gave none; retry later.
   */
  record Unreserved<T>(String reason) implements Answer<T> {}

  /** A one-line description of a refusal, for logs and exceptions. */
  default String describe() {
    return switch (this) {
      case Ok<T> ok -> "ok";
      case NotManager<T> n -> "not the manager in view " + n.viewId() + "; the manager is " + n.manager();
      case Incomplete<T> i -> "mail map of bucket " + i.bucket() + " not complete: waiting for "
          + String.join(", ", i.waitingFor());
      case Stale<T> s -> "report ignored: the manager is in view " + s.viewId();
      case Unreserved<T> u -> "numbers not reserved on the profile node: " + u.reason();
    };
  }

  /** The codec of answers carrying values of {@code value}'s type. */
  static <T> Codec<Answer<T>> codec(Codec<T> value) {
    return Codec.of(
        (out, answer) -> {
          switch (answer) {
            case Ok<T> ok -> {
              out.writeByte(0);
              value.write(out, ok.value());
            }
            case NotManager<T> n -> out.writeByte(1).writeString(n.manager()).writeString(n.viewId());
            case Incomplete<T> i -> {
              out.writeByte(2).writeVarInt(i.bucket());
              Wire.writeNames(out, i.waitingFor());
            }
            case Stale<T> s -> out.writeByte(3).writeString(s.viewId());
            case Unreserved<T> u -> out.writeByte(4).writeString(Wire.truncate(u.reason(), Wire.MAX_REASON));
          }
        },
        in -> {
          int kind = in.readByte();
          return switch (kind) {
            case 0 -> new Ok<>(value.read(in));
            case 1 -> new NotManager<>(in.readString(Wire.MAX_NAME), in.readString(Wire.MAX_NAME));
            case 2 -> new Incomplete<>(in.readVarInt(), Wire.readNames(in, "waiting members"));
            case 3 -> new Stale<>(in.readString(Wire.MAX_NAME));
            case 4 -> new Unreserved<>(in.readString(Wire.MAX_REASON));
            default -> throw new WireException("answer kind " + kind + " is not 0..4");
          };
        });
  }
}
