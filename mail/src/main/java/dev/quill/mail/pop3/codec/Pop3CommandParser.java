package dev.quill.mail.pop3.codec;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Turns one POP3 command line (terminator already removed) into a {@link Pop3Command}. Never
 * throws: anything that is not a valid command becomes {@link Pop3Command.Invalid} or
 * {@link Pop3Command.Unknown}.
 *
 * <p>Grammar (RFC 1939 section 3, RFC 2449 section 3): a case-insensitive keyword of 3 or 4
 * printable characters, then arguments separated by spaces. Quill accepts runs of spaces and
 * trailing spaces between arguments (some clients send them); the PASS argument is the rest of
 * the line, spaces included, as RFC 1939 section 7 allows. Message numbers are decimal digits
 * only: no sign, no hex.
 *
 * <p>Standards: RFC 1939, RFC 2449, RFC 2595, RFC 5034.
 *
 * <p>Security: control characters (NUL, bare CR, DEL...) anywhere on the line make it invalid,
 * so they never reach user names or logs. Replies built from {@link Pop3Command.Invalid#reason()}
 * never echo client input. The line length limit is enforced by the framer before this parser
 * runs ({@link #tooLong}).
 */
public final class Pop3CommandParser {
  private Pop3CommandParser() {}

  /** Longest keyword kept verbatim in an {@link Pop3Command.Unknown}, for logs. */
  private static final int MAX_VERB_ECHO = 8;

  /** Parses a line given as raw octets (decoded as UTF-8; malformed sequences never match a password or name). */
  public static Pop3Command parse(byte[] line) {
    return parse(new String(line, StandardCharsets.UTF_8));
  }

  /** The command standing for a line the framer cut because it exceeded {@code limit} octets. */
  public static Pop3Command tooLong(long length, int limit) {
    return new Pop3Command.Invalid("", "line too long (" + length + " octets, limit " + limit + ")");
  }

  /** Parses a line of text. */
  public static Pop3Command parse(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return new Pop3Command.Invalid("", "control character in command");
      }
    }
    int sp = line.indexOf(' ');
    String keyword = sp < 0 ? line : line.substring(0, sp);
    String rest = sp < 0 ? "" : line.substring(sp + 1);
    if (keyword.isEmpty()) {
      return new Pop3Command.Invalid("", "empty command");
    }
    String verb = keyword.toUpperCase(Locale.ROOT);
    String[] args = rest.isBlank() ? new String[0] : rest.strip().split(" +");
    return switch (verb) {
      case "USER" -> args.length == 1 ? new Pop3Command.User(args[0]) : invalid(verb, "USER takes one argument: a user name");
      case "PASS" -> rest.isEmpty() ? invalid(verb, "PASS takes one argument: the password") : new Pop3Command.Pass(rest.toCharArray());
      case "AUTH" -> auth(args);
      case "CAPA" -> noArgs(new Pop3Command.Capa(), args);
      case "STLS" -> noArgs(new Pop3Command.Stls(), args);
      case "STAT" -> noArgs(new Pop3Command.Stat(), args);
      case "RSET" -> noArgs(new Pop3Command.Rset(), args);
      case "NOOP" -> noArgs(new Pop3Command.Noop(), args);
      case "QUIT" -> noArgs(new Pop3Command.Quit(), args);
      case "LIST" -> optionalMessage(verb, args, Pop3Command.List::new);
      case "UIDL" -> optionalMessage(verb, args, Pop3Command.Uidl::new);
      case "RETR" -> oneMessage(verb, args, Pop3Command.Retr::new);
      case "DELE" -> oneMessage(verb, args, Pop3Command.Dele::new);
      case "TOP" -> top(args);
      default -> new Pop3Command.Unknown(sanitizeVerb(verb));
    };
  }

  private static Pop3Command auth(String[] args) {
    return switch (args.length) {
      case 0 -> new Pop3Command.Auth(null, null);
      case 1 -> new Pop3Command.Auth(args[0].toUpperCase(Locale.ROOT), null);
      case 2 -> new Pop3Command.Auth(args[0].toUpperCase(Locale.ROOT), args[1]);
      default -> invalid("AUTH", "AUTH takes a mechanism and an optional initial response");
    };
  }

  private static Pop3Command noArgs(Pop3Command command, String[] args) {
    return args.length == 0 ? command : invalid(command.verb(), command.verb() + " takes no arguments");
  }

  private static Pop3Command optionalMessage(String verb, String[] args, java.util.function.IntFunction<Pop3Command> make) {
    if (args.length == 0) {
      return make.apply(0);
    }
    return oneMessage(verb, args, make);
  }

  private static Pop3Command oneMessage(String verb, String[] args, java.util.function.IntFunction<Pop3Command> make) {
    if (args.length != 1) {
      return invalid(verb, verb + " takes one argument: a message number");
    }
    int n = number(args[0]);
    if (n <= 0) {
      return invalid(verb, "invalid message number");
    }
    return make.apply(n);
  }

  private static Pop3Command top(String[] args) {
    if (args.length != 2) {
      return invalid("TOP", "TOP takes two arguments: a message number and a line count");
    }
    int n = number(args[0]);
    int lines = number(args[1]);
    if (n <= 0) {
      return invalid("TOP", "invalid message number");
    }
    if (lines < 0) {
      return invalid("TOP", "invalid line count");
    }
    return new Pop3Command.Top(n, lines);
  }

  /**
   * A non-negative decimal number, saturated at {@link Integer#MAX_VALUE}; -1 when {@code s} is
   * not all digits. Zero is returned as 0 (callers decide whether it is allowed).
   */
  static int number(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = Math.min(Integer.MAX_VALUE, value * 10 + (c - '0'));
    }
    return (int) value;
  }

  private static Pop3Command invalid(String verb, String reason) {
    return new Pop3Command.Invalid(verb, reason);
  }

  // Unknown keywords go to logs only; keep them short and printable ASCII.
  private static String sanitizeVerb(String verb) {
    StringBuilder b = new StringBuilder(Math.min(verb.length(), MAX_VERB_ECHO));
    for (int i = 0; i < verb.length() && b.length() < MAX_VERB_ECHO; i++) {
      char c = verb.charAt(i);
      b.append(c > 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
