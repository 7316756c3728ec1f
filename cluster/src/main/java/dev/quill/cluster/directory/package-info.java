/**
 * What every node must see alike although it lives on one node: users' profiles, served by the node
 * that holds them ({@link dev.quill.cluster.directory.ProfileAccess}), and domains and aliases,
 * copied to every node ({@link dev.quill.cluster.directory.Directory}).
 */
package dev.quill.cluster.directory;
