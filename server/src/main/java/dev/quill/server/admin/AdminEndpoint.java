package dev.quill.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Where a running node's admin channel is: loopback port and secret token, kept in
 * {@code <data>/admin.json} readable by the node's owner only. Holding the token is what
 * authorises an admin client, so the file is written 0600 and removed at shutdown.
 */
public record AdminEndpoint(int port, String token) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The endpoint file of a data directory. */
  public static Path file(Path dataDir) {
    return dataDir.resolve("admin.json");
  }

  /** A fresh random 256-bit token. */
  public static String newToken() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Writes the endpoint file atomically with owner-only permissions. */
  public void write(Path dataDir) throws IOException {
    Path tmp = dataDir.resolve("admin.json.tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, JSON.writeValueAsString(JSON.createObjectNode().put("port", port).put("token", token)));
    try {
      Files.move(tmp, file(dataDir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file(dataDir), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Reads the endpoint file, or empty when there is none or it is unreadable. */
  public static Optional<AdminEndpoint> read(Path dataDir) {
    Path f = file(dataDir);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(Files.readString(f));
      return Optional.of(new AdminEndpoint(n.path("port").asInt(), n.path("token").asText()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
