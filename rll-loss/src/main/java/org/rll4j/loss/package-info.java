/**
 * The Ranked List Loss (X. Wang et al., "Ranked List Loss for Deep Metric Learning", CVPR 2019;
 * IEEE TPAMI 2021, arXiv:1903.03238) for Deeplearning4j.
 *
 * <ul>
 *   <li>{@link org.rll4j.loss.RankedListLossConfig}: the validated, immutable hyper-parameters, the
 *       formula and the paper presets.</li>
 *   <li>{@link org.rll4j.loss.RankedListLossLayer}: the output layer to put on an embedding.</li>
 *   <li>{@link org.rll4j.loss.RankedListLoss}: the loss as a function of a batch, outside a network.</li>
 *   <li>{@link org.rll4j.loss.RankedListLossFunction} and {@link org.rll4j.loss.ActivationL2Normalize}:
 *       the DL4J loss function and activation the layer is made of.</li>
 *   <li>{@link org.rll4j.loss.SameDiffRankedListLoss}: the loss as SameDiff operations, for SameDiff
 *       models; {@link org.rll4j.loss.SameDiffRankedListLossLayer}: the same graph as a DL4J
 *       {@code SameDiffOutputLayer} with the contract of {@code RankedListLossLayer};
 *       {@link org.rll4j.loss.RankedListLossImplementation} chooses between the two layers.</li>
 *   <li>{@link org.rll4j.loss.CrossBatchMemoryConfig}, {@link org.rll4j.loss.CrossBatchMemory} and
 *       {@link org.rll4j.loss.CrossBatchMemories}: the Ranked List Loss over a cross-batch memory (X. Wang et al.,
 *       "Cross-Batch Memory for Embedding Learning", CVPR 2020), a gallery of the batch and the last M embeddings,
 *       and the memories as training state for checkpoints.</li>
 * </ul>
 * The loss has two forms of the same mathematics: {@code RankedListLossKernel}, the hand-derived forward
 * and backward pass behind {@code RankedListLossLayer} and {@code RankedListLoss}, and the SameDiff graph,
 * differentiated by SameDiff; the tests hold both to a brute-force reference and to each other. This
 * module depends on the DL4J/ND4J API only; users choose the ND4J backend.
 */
package org.rll4j.loss;
