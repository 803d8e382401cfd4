/**
 * Retrieval metrics for embedding models (Recall@K, R-Precision, MAP@R), each named with its
 * definition. This first version holds the per-query metric functions and an exact in-memory
 * neighbour search for small sets; the full-scale engine, NMI and reports are issue #5.
 */
package org.rll4j.eval;
