package org.rll4j.loss;

import java.util.Collection;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonIgnore;

/**
 * The Ranked List Loss (Wang et al., CVPR 2019 / TPAMI 2021) as a DL4J output layer without
 * parameters, for any {@code ComputationGraph} or {@code MultiLayerNetwork}.
 *
 * <ul>
 *   <li><b>Input:</b> the raw embedding {@code [B, D]} (a feed-forward activation). The layer
 *       L2-normalises it ({@link ActivationL2Normalize}).</li>
 *   <li><b>Labels:</b> integer class ids {@code [B, 1]}, or one-hot rows {@code [B, C]} (the form
 *       DataVec iterators produce); the width decides ({@link LabelIds}). Anything else throws an
 *       {@link IllegalArgumentException} naming the row and value. Ids travel in the network's data
 *       type, so in FLOAT networks ids above 2^24 are not exact.</li>
 *   <li><b>Score:</b> {@code (1/B) sum_i L(i)}, the batch mean of the per-query losses defined on
 *       {@link RankedListLossConfig}; the gradient is that of the mean (DL4J divides the summed
 *       gradient by B). {@code scoreExamples} gives the per-query {@code L(i)}.</li>
 *   <li><b>Output</b> ({@code output()}, {@code feedForward}): the L2-normalised embedding
 *       {@code [B, D]}, so a trained network serves embeddings directly.</li>
 *   <li>A non-finite input (NaN or infinity) throws a {@link NonFiniteEmbeddingException} naming
 *       the layer, row and column, instead of producing a NaN score.</li>
 * </ul>
 *
 * <pre>
 * .addLayer("rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "embedding")
 * </pre>
 *
 * <p>The computation is {@link RankedListLossKernel}'s hand-derived forward and backward pass on the shared
 * {@link PairwiseEngine} (two
 * GEMMs and one pass over the {@code B x B} pairs), checked against a brute-force reference, DL4J's
 * gradient checks and SameDiff's automatic differentiation in the tests. The hyper-parameters live in
 * the {@link RankedListLossFunction} and survive JSON and {@code ModelSerializer} round trips.
 */
public class RankedListLossLayer extends LossLayer {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation; prefer {@link #of(RankedListLossConfig)}. Holds {@link RankedListLossConfig#paper()}. */
    public RankedListLossLayer() {
        this.lossFn = new RankedListLossFunction(RankedListLossConfig.paper());
        this.activationFn = new ActivationL2Normalize();
    }

    /**
     * A layer with the given hyper-parameters.
     *
     * @param lossConfig validated hyper-parameters, not null
     * @return a new layer configuration
     */
    public static RankedListLossLayer of(RankedListLossConfig lossConfig) {
        RankedListLossLayer layer = new RankedListLossLayer();
        layer.lossFn = new RankedListLossFunction(lossConfig);
        return layer;
    }

    /** The hyper-parameters (held by the layer's {@link RankedListLossFunction}). */
    @JsonIgnore
    public RankedListLossConfig getLossConfig() {
        requireConsistent();
        return ((RankedListLossFunction) lossFn).getConfig();
    }

    private void requireConsistent() {
        if (!(lossFn instanceof RankedListLossFunction)) {
            throw new IllegalStateException("RankedListLossLayer '" + getLayerName() + "' must use a RankedListLossFunction, found "
                    + lossFn + "; build it with RankedListLossLayer.of(config)");
        }
        if (!(activationFn instanceof ActivationL2Normalize)) {
            throw new IllegalStateException("RankedListLossLayer '" + getLayerName() + "' must use the L2-normalise activation "
                    + "(the loss is defined on unit embeddings), found " + activationFn
                    + "; build it with RankedListLossLayer.of(config)");
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireFeedForward(inputType);
        super.setNIn(inputType, override);
        nOut = nIn;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireFeedForward(inputType);
        return inputType;
    }

    private void requireFeedForward(InputType inputType) {
        LayerErrors.requireFeedForward("RankedListLossLayer", getLayerName(), inputType);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        requireConsistent();
        RankedListLossLayerImpl layer = new RankedListLossLayerImpl(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public RankedListLossLayer clone() {
        return (RankedListLossLayer) super.clone();
    }
}
