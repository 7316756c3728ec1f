/** Typed, versioned inter-node requests (Active-Message style) over the cluster transport, and their binary encoding. */
package dev.quill.cluster.rpc;
