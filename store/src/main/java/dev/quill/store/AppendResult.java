package dev.quill.store;

/** The outcome of an APPEND: stored with {@code uid} under {@code uidValidity}, or refused for quota. */
public record AppendResult(boolean stored, long uidValidity, long uid) {}
