package dev.quill.store;

import java.util.List;

/**
 * The outcome of a COPY or MOVE (UIDPLUS, RFC 4315): the destination's UIDVALIDITY and, in the
 * same order, the source UIDs copied and the UIDs they got in the destination.
 */
public record CopyResult(long uidValidity, List<Long> sourceUids, List<Long> destinationUids) {}
