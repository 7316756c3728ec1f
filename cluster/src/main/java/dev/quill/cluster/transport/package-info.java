/** Cluster membership over JGroups 5: the protocol stack built in code, views by node name, the byte pipe between nodes. */
package dev.quill.cluster.transport;
