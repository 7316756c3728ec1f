package dev.quill.mail.imap;

import dev.quill.mail.RawLineClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A bare IMAP client for tests: writes exactly what it is given and reads responses line by line. */
final class RawImapClient extends RawLineClient {

  RawImapClient(int port) throws IOException {
    super(port, StandardCharsets.UTF_8);
  }

  /** Reads lines up to and including the one starting with {@code tag + " "}. */
  List<String> until(String tag) throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String l = line();
      if (l == null) {
        throw new IOException("end of stream before " + tag + "'s completion; got " + lines);
      }
      lines.add(l);
      if (l.startsWith(tag + " ")) {
        return lines;
      }
    }
  }

  /** Sends {@code tag + " " + command} and returns every line up to the tagged completion. */
  List<String> command(String tag, String command) throws IOException {
    send(tag + " " + command);
    return until(tag);
  }

  /** The tagged completion line only. */
  String completion(String tag, String command) throws IOException {
    List<String> lines = command(tag, command);
    return lines.get(lines.size() - 1);
  }
}
