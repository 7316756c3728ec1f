/** Security identifiers, the policy and enforcement managers, the audit log and the cluster's keys (DSM, SPIN). */
package dev.quill.security;
