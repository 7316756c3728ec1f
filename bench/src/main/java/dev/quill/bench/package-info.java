/**
 * Quill's load generators: {@code ./quill bench smtp|pop3|idle}, each a minimal blocking protocol client run on
 * virtual threads (RFC 5321 with RFC 2920 pipelining, RFC 1939), with its own latency histogram and a one-line
 * machine-readable {@code RESULT} summary. Results and the exact commands are in {@code docs/BENCHMARKS.md}.
 */
package dev.quill.bench;
