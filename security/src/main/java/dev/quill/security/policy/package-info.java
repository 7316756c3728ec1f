/** The cluster policy: its file format and parser, the versioned policy manager, the decision cache and the enforcement manager. */
package dev.quill.security.policy;
