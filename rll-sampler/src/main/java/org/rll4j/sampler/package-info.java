/**
 * Class-balanced batches for metric learning, on {@code nd4j-api} alone (no DataVec, OpenCV or
 * {@code deeplearning4j-nn}).
 *
 * <ul>
 *   <li>{@link org.rll4j.sampler.LabelIndex}: the one index of labels (class names, the class of every
 *       example, the examples of every class) that readers, samplers and evaluators share.</li>
 *   <li>{@link org.rll4j.sampler.BatchSampler} picks the example indices of each batch of an epoch:
 *       {@link org.rll4j.sampler.ClassBalancedBatchSampler} C classes x K examples (the Ranked List Loss
 *       paper's sampling, Wang et al., CVPR 2019) for training, {@link org.rll4j.sampler.SequentialBatchSampler}
 *       every example in order for evaluation. {@link org.rll4j.sampler.ClassBalancedDataSetIterator} turns
 *       them into DL4J batches of in-memory arrays (or of any iterator's examples), rll-data's
 *       {@code SampledDataSetIterator} into decoded, augmented image batches; both are
 *       {@link org.rll4j.sampler.ResumableIterator}s, whose position a checkpoint saves so that training resumes
 *       with the batches an uninterrupted run would have had.</li>
 *   <li>{@link org.rll4j.sampler.LabelEncoding} names the two label forms, class ids {@code [B, 1]} or
 *       one-hot {@code [B, C]}, and builds either from class ids (what the iterators emit, what the SameDiff
 *       loss is told to read); {@link org.rll4j.sampler.LabelIds} reads either as class ids (the losses and
 *       the embedding extractor use it).</li>
 *   <li>{@link org.rll4j.sampler.UciDigits}: the embedded UCI handwritten digits, in-memory example data.</li>
 * </ul>
 */
package org.rll4j.sampler;
