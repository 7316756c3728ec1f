/** The user map: users hashed into buckets, buckets assigned to manager nodes by rendezvous hashing over node names. */
package dev.quill.cluster.usermap;
