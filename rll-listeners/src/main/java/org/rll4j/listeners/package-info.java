/**
 * The training loop of metric learning as DL4J {@code TrainingListener}s, for a plain
 * {@code ComputationGraph.fit(iterator, epochs)} (or {@code MultiLayerNetwork.fit}) in your own program; the
 * rll4j runner ({@code ./rll train}) is their composition.
 *
 * <ul>
 *   <li>{@link org.rll4j.listeners.DivergenceGuardListener} stops training with a clear
 *       {@link org.rll4j.listeners.TrainingDivergedException} when the loss becomes NaN or infinite or far exceeds
 *       what the loss can reach, and refuses checkpoints of an unfit network.</li>
 *   <li>{@link org.rll4j.listeners.RetrievalEvaluationListener} evaluates retrieval (Recall@K, MAP@R, NMI) on
 *       held-out data every N iterations and/or epochs, records the metrics to a DL4J {@code StatsStorageRouter} as
 *       {@link org.rll4j.listeners.RetrievalStats} (the training UI's retrieval page charts them) and passes each
 *       result to its callbacks, such as {@link org.rll4j.listeners.BestModelListener}, which keeps the best
 *       model by a chosen metric.</li>
 *   <li>{@link org.rll4j.listeners.ResumableCheckpointListener} writes atomic checkpoints with the state to resume
 *       bit for bit (iterations, the iterator's position, the best value; {@link org.rll4j.listeners.CheckpointState})
 *       and resumes from them.</li>
 *   <li>{@link org.rll4j.listeners.AtomicFiles}: the one atomic file write (temporary file, fsync, rename) they and
 *       the runner use.</li>
 * </ul>
 *
 * <p>Add them in this order, after DL4J's own {@code StatsListener} or {@code PerformanceListener} if you use
 * them: guard, evaluation, checkpoints. Each class comment says when its callbacks run (DL4J calls
 * {@code iterationDone} after a step's update and before it increments the iteration counter), what it writes,
 * and how it differs from DL4J's nearest listener.
 */
package org.rll4j.listeners;
