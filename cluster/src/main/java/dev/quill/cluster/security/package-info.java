/** The cluster's side of security: which policy object each remote operation touches, and policy distribution. */
package dev.quill.cluster.security;
