package dev.quill.store;

import java.time.Instant;
import java.util.Set;

/**
 * A stored message without its bytes: UID, internal date, size in octets (RFC 822 size, CRLF
 * line endings), flags and keywords, MODSEQ and the CRC32C of its bytes.
 */
public record MessageMeta(
    long uid, Instant internalDate, long size, Set<String> flags, long modSeq, int crc32c) {}
