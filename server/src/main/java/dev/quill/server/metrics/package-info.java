/** The node's metrics: its counters rendered in Prometheus' text format and served over HTTP. */
package dev.quill.server.metrics;
