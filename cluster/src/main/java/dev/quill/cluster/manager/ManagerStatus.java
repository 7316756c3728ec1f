package dev.quill.cluster.manager;

/**
 * What a node manages, for status displays.
 *
 * @param viewId the view the counts are for; empty before the first view
 * @param managedBuckets buckets this node manages in that view
 * @param completeBuckets of those, the ones every member has reported
 * @param users users known in the managed buckets
 */
public record ManagerStatus(String viewId, int managedBuckets, int completeBuckets, int users) {}
