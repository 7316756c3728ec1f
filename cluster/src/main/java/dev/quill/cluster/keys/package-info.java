/** Traffic key rotation across the cluster: new keys delivered sealed per node, old ones retired, revoked nodes locked out. */
package dev.quill.cluster.keys;
