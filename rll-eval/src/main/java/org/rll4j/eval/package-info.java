/**
 * Retrieval metrics for embedding models at full dataset scale, each named with its definition.
 *
 * <ul>
 *   <li>{@link org.rll4j.eval.RetrievalEvaluator}: the entry point; builds a
 *       {@link org.rll4j.eval.RetrievalReport} (table and JSON) from embeddings and labels, in the
 *       one-set (query excluded) or separate query/gallery protocol.</li>
 *   <li>{@link org.rll4j.eval.RetrievalEvaluation}: the same metrics as an ND4J
 *       {@link org.nd4j.evaluation.IEvaluation}, for DL4J's {@code doEvaluation} and
 *       {@code EvaluativeListener}: gathers embeddings and labels batch by batch and hands them to a
 *       {@code RetrievalEvaluator}; {@link org.rll4j.eval.RetrievalMetric} names its metrics.</li>
 *   <li>{@link org.rll4j.eval.RetrievalMetrics}: Recall@K, Precision@1, R-Precision, MAP@R of one
 *       query (Musgrave et al. 2020).</li>
 *   <li>{@link org.rll4j.eval.ClusteringMetrics}: NMI with a named normalisation (Strehl and Ghosh
 *       2002; {@link org.rll4j.eval.NmiNormalization}) and the pairwise F1 of Oh Song et al. 2016.</li>
 *   <li>{@link org.rll4j.eval.ExactNeighbours}: exact k-NN by blocked GEMM with a streaming top-k,
 *       memory bounded by the block size; {@link org.rll4j.eval.BlockedGemm} is its tiling.</li>
 *   <li>{@link org.rll4j.eval.KMeans}: k-means++ seeded Lloyd iterations, blocked the same way.</li>
 * </ul>
 *
 * <p>This module depends only on {@code nd4j-api} and {@code rll-sampler} (itself on {@code nd4j-api} alone,
 * for reading labels): the caller chooses the ND4J backend.
 */
package org.rll4j.eval;
