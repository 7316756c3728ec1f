/** Load gossip: each node's disk queue and CPU load, spread to the others and aged out when stale. */
package dev.quill.cluster.load;
