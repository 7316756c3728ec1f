/** The per-node, hash-chained, append-only audit log: writer, verifier and reader. */
package dev.quill.security.audit;
