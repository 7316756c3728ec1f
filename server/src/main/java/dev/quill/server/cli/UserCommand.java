package dev.quill.server.cli;

import dev.quill.server.admin.AdminOps;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code quill user add|list|passwd|delete}. Passwords are read from standard input when it is
 * not a terminal and prompted for (twice) when it is; never taken from the command line, where
 * other users could read them in the process list.
 */
@Command(name = "user", description = "Manage users (mailboxes).", mixinStandardHelpOptions = true)
final class UserCommand {

  @Command(name = "add", description = "Add a user; the password comes from standard input or a prompt.")
  int add(@Mixin DataDirOption d, @Parameters(paramLabel = "ADDRESS") String address) throws IOException {
    char[] password = readPassword();
    try (AdminOps ops = Admin.open(d.data, false)) {
      ops.addUser(address, password);
      System.out.println("user " + address + " added");
      return 0;
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  @Command(name = "passwd", description = "Change a user's password (from standard input or a prompt).")
  int passwd(@Mixin DataDirOption d, @Parameters(paramLabel = "ADDRESS") String address) throws IOException {
    char[] password = readPassword();
    try (AdminOps ops = Admin.open(d.data, false)) {
      ops.setPassword(address, password);
      System.out.println("password of " + address + " changed");
      return 0;
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  @Command(name = "import", description = "Add many users: one 'ADDRESS PASSWORD' per line on standard input.")
  int importUsers(@Mixin DataDirOption d) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int added = 0;
    int lineNo = 0;
    try (AdminOps ops = Admin.open(d.data, false)) {
      for (String line; (line = in.readLine()) != null; ) {
        lineNo++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String[] parts = t.split("\\s+", 2);
        if (parts.length != 2) {
          throw new IllegalArgumentException("standard input line " + lineNo + ": expected 'ADDRESS PASSWORD'; "
              + added + " users were added before it");
        }
        char[] password = checked(parts[1].toCharArray());
        try {
          ops.addUser(parts[0], password);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("standard input line " + lineNo + ": " + e.getMessage() + "; "
              + added + " users were added before it");
        } finally {
          Arrays.fill(password, '\0');
        }
        added++;
      }
    }
    System.out.println(added + " users added");
    return 0;
  }

  @Command(name = "list", description = "List users with their usage.")
  int list(@Mixin DataDirOption d) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      for (AdminOps.UserLine u : ops.users()) {
        System.out.printf("%s\tmessages=%d\tusage=%d\tquota=%s%n", u.address(), u.messages(), u.usageBytes(),
            u.quotaBytes() == 0 ? "unlimited" : Long.toString(u.quotaBytes()));
      }
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete a user and all of its mail.")
  int delete(@Mixin DataDirOption d, @Parameters(paramLabel = "ADDRESS") String address) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      if (!ops.deleteUser(address)) {
        System.err.println("quill: no such user: " + address);
        return 1;
      }
      System.out.println("user " + address + " deleted");
      return 0;
    }
  }

  static char[] readPassword() throws IOException {
    Console console = System.console();
    if (console != null && console.isTerminal()) {
      char[] first = console.readPassword("Password: ");
      char[] second = console.readPassword("Repeat password: ");
      if (first == null || second == null || !Arrays.equals(first, second)) {
        throw new IllegalArgumentException("the passwords do not match");
      }
      Arrays.fill(second, '\0');
      return checked(first);
    }
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    if (line == null) {
      throw new IllegalArgumentException("no password on standard input; pipe it in, e.g. printf '%s\\n' \"$PW\" | quill user add ...");
    }
    return checked(line.toCharArray());
  }

  private static char[] checked(char[] password) {
    if (password.length == 0) {
      throw new IllegalArgumentException("the password is empty");
    }
    if (password.length > 1024) {
      throw new IllegalArgumentException("the password is longer than 1024 characters");
    }
    return password;
  }
}
