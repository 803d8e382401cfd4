package org.rll4j.loss;

import java.io.Serializable;

import org.nd4j.shade.jackson.annotation.JsonSubTypes;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;

/**
 * The immutable, validated hyper-parameters of a baseline metric-learning loss, which also says what the
 * loss computes ({@link PairwiseEngine.PairTerms}). The losses the Ranked List Loss is compared with, all on
 * L2-normalised embeddings and the shared {@link PairwiseEngine}:
 * <ul>
 *   <li>{@link ContrastiveLossConfig}: the contrastive loss with positive and negative margins
 *       (Hadsell, Chopra and LeCun, CVPR 2006).</li>
 * </ul>
 * Use one in a network with {@link MetricLossLayer#of(MetricLossConfig)}. JSON names the loss in a
 * {@code "type"} property.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = ContrastiveLossConfig.class, name = "contrastive")})
public abstract class MetricLossConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Package-private: the losses are the ones this package implements. */
    MetricLossConfig() {
    }

    /** The loss's per-pair terms. */
    abstract PairwiseEngine.PairTerms terms();

    /** The loss's name for people, e.g. "Contrastive Loss". */
    public abstract String lossName();
}
