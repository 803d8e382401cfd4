/** Benchmark commands; run with {@code ./rll bench NAME}. Not published. */
package org.rll4j.bench;
