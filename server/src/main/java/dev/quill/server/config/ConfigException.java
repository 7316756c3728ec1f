package dev.quill.server.config;

/** The configuration is refused: the message names the file, the line, the key and what is wrong. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
