package dev.quill.store;

import java.time.Instant;

/**
 * A user's profile as stored: the lower-cased address, the encoded password hash
 * ({@link PasswordHasher} format), the quota in bytes (0 = unlimited) and the creation time.
 */
public record UserProfile(String address, String passwordHash, long quotaBytes, Instant created) {}
