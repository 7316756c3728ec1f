package dev.quill.cluster.rpc;

/**
 * Counters of one endpoint since it started.
 *
 * @param callsSent requests this node sent (self-calls included)
 * @param requestsServed requests and notices whose handler ran
 * @param errorsSent error frames this node answered with
 * @param framesRejected frames dropped because they did not decode or did not match a call
 */
public record RpcStats(long callsSent, long requestsServed, long errorsSent, long framesRejected) {}
