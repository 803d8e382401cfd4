package org.rll4j.loss;

import java.io.Serializable;

import org.nd4j.shade.jackson.annotation.JsonSubTypes;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;

/**
 * The immutable, validated hyper-parameters of a baseline metric-learning loss, which also says what the
 * loss computes ({@link PairwiseEngine.PairTerms}). The losses the Ranked List Loss is compared with, all on
 * the shared {@link PairwiseEngine}, each in its paper's geometry: L2-normalised embeddings, except the lifted
 * structured and N-pair losses, which their papers define on the raw embeddings. Every loss layer's
 * {@code output()}, what retrieval compares, is the normalised embedding.
 * <ul>
 *   <li>{@link ContrastiveLossConfig}: the contrastive loss with positive and negative margins
 *       (Hadsell, Chopra and LeCun, CVPR 2006);</li>
 *   <li>{@link TripletLossConfig}: the triplet margin loss with batch-hard (Hermans et al. 2017) or semi-hard
 *       (Schroff et al., FaceNet, CVPR 2015) mining;</li>
 *   <li>{@link LiftedStructureLossConfig}: the smooth lifted structured loss (Oh Song et al., CVPR 2016);</li>
 *   <li>{@link NPairLossConfig}: the multi-class N-pair loss (Sohn, NeurIPS 2016);</li>
 *   <li>{@link MultiSimilarityLossConfig}: the Multi-Similarity loss with its mining (Wang et al., CVPR 2019).</li>
 * </ul>
 * Use one in a network with {@link MetricLossLayer#of(MetricLossConfig)}. JSON names the loss in a
 * {@code "type"} property.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ContrastiveLossConfig.class, name = "contrastive"),
    @JsonSubTypes.Type(value = TripletLossConfig.class, name = "triplet"),
    @JsonSubTypes.Type(value = LiftedStructureLossConfig.class, name = "lifted-structure"),
    @JsonSubTypes.Type(value = NPairLossConfig.class, name = "n-pair"),
    @JsonSubTypes.Type(value = MultiSimilarityLossConfig.class, name = "multi-similarity")})
public abstract class MetricLossConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Package-private: the losses are the ones this package implements. */
    MetricLossConfig() {
    }

    /** The loss's per-pair terms. */
    abstract PairwiseEngine.PairTerms terms();

    /** The loss's name for people, e.g. "Contrastive Loss". */
    public abstract String lossName();

    /**
     * An upper bound of the batch mean {@code (1/B) sum_i L(i)}: for a loss on unit embeddings (every distance in
     * [0, 2], every similarity in [-1, 1]) a training score far above it can only come from the regularisation
     * terms, that is from weights growing without limit. Infinite for a loss on raw embeddings, which has no bound.
     *
     * @param batchSize B, for the losses whose bound grows with the number of pairs
     * @return the bound
     */
    public abstract double maxBatchMean(int batchSize);
}
