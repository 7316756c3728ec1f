package dev.quill.mail.pop3;

import dev.quill.mail.RawLineClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A bare POP3 client for tests: writes exactly what it is given and reads replies line by line. */
final class RawPop3Client extends RawLineClient {

  RawPop3Client(int port) throws IOException {
    super(port, StandardCharsets.ISO_8859_1);
  }

  /** Sends a command and returns the status line of its reply. */
  String command(String line) throws IOException {
    send(line);
    return line();
  }

  /** Reads the lines of a multi-line body up to (not including) the terminating ".", still stuffed. */
  List<String> multiLine() throws IOException {
    List<String> lines = new ArrayList<>();
    for (String l = line(); !".".equals(l); l = line()) {
      if (l == null) {
        throw new IOException("end of stream inside a multi-line reply");
      }
      lines.add(l);
    }
    return lines;
  }

  /** Logs in with USER/PASS and returns the PASS reply. */
  String login(String user, String password) throws IOException {
    String u = command("USER " + user);
    if (!u.startsWith("+OK")) {
      return u;
    }
    return command("PASS " + password);
  }
}
