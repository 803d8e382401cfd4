/**
 * Training rll4j embedding networks on Apache Spark through DL4J's own Spark integration
 * ({@code SparkComputationGraph} with parameter averaging): {@link org.rll4j.spark.SparkEmbeddingTrainer} runs the rounds
 * and the driver's listeners, a {@link org.rll4j.spark.BatchSource} builds the sampler's whole C x K batches on the
 * executors from their coordinates, and {@link org.rll4j.spark.WholeBatchHook} enforces on every worker that each
 * minibatch fitted is one whole batch. Spark itself is a {@code provided} dependency: a cluster brings its own.
 */
package org.rll4j.spark;
