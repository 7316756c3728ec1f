/** A node's membership as the node uses it: transport, RPC, load gossip, the current user map and cluster status. */
package dev.quill.cluster.node;
