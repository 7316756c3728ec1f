/** Managers: each node's soft state for the users of the buckets it manages, rebuilt after every view change. */
package dev.quill.cluster.manager;
