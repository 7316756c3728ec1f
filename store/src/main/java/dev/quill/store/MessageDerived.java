package dev.quill.store;

/**
 * What the mail layer computes from a message once, at delivery or APPEND, and the store keeps
 * beside it: the serialized MIME structure (for FETCH ENVELOPE/BODYSTRUCTURE/BODY[section]) and
 * the decoded searchable text (for SEARCH). Opaque to the store; copied with the message.
 */
public record MessageDerived(byte[] structure, byte[] searchText) {}
