package dev.quill.cluster.usermap;

/** One bucket whose manager changed between two user maps. */
public record BucketMove(int bucket, String from, String to) {}
