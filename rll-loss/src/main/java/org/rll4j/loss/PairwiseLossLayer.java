package org.rll4j.loss;

import java.util.Collection;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rll4j.sampler.LabelIds;

/**
 * A parameter-free DL4J output layer for a {@link PairwiseLossFunction}: the contract shared by
 * {@link RankedListLossLayer} and {@link MetricLossLayer}.
 * <ul>
 *   <li><b>Input:</b> the raw embedding {@code [B, D]} (a feed-forward activation; a convolutional one is
 *       flattened, as by DL4J's loss layers). The layer L2-normalises it ({@link ActivationL2Normalize}).</li>
 *   <li><b>Labels:</b> integer class ids {@code [B, 1]}, or one-hot rows {@code [B, C]} (the form
 *       DataVec iterators produce); the width decides ({@link LabelIds}). Anything else throws an
 *       {@link IllegalArgumentException} naming the row and value. Ids travel in the network's data
 *       type, so in FLOAT networks ids above 2^24 are not exact.</li>
 *   <li><b>Score:</b> {@code (1/B) sum_i L(i)}, the batch mean of the per-query losses; the gradient is
 *       that of the mean (DL4J divides the summed gradient by B). {@code scoreExamples} gives {@code L(i)}.</li>
 *   <li><b>Output</b> ({@code output()}, {@code feedForward}): the L2-normalised embedding
 *       {@code [B, D]}, so a trained network serves embeddings directly.</li>
 *   <li>A non-finite input (NaN or infinity) throws a {@link NonFiniteEmbeddingException} naming
 *       the layer, row and column, instead of producing a NaN score.</li>
 * </ul>
 */
public abstract class PairwiseLossLayer extends LossLayer {

    private static final long serialVersionUID = 1L;

    /** With the L2-normalise activation; subclasses set the loss function. */
    protected PairwiseLossLayer() {
        this.activationFn = new ActivationL2Normalize();
    }

    /** The layer's cross-batch memory, or null for the in-batch loss (every loss but the Ranked List Loss). */
    CrossBatchMemoryConfig memoryConfig() {
        return null;
    }

    /** The loss function class this layer must hold. */
    abstract Class<? extends PairwiseLossFunction> functionClass();

    /** Throws unless the layer holds its loss function and the L2-normalise activation (a hand-edited JSON may not). */
    void requireConsistent() {
        String kind = getClass().getSimpleName();
        if (!functionClass().isInstance(lossFn)) {
            throw new IllegalStateException(kind + " '" + getLayerName() + "' must use a " + functionClass().getSimpleName()
                    + ", found " + lossFn + "; build it with " + kind + ".of(config)");
        }
        if (!(activationFn instanceof ActivationL2Normalize)) {
            throw new IllegalStateException(kind + " '" + getLayerName() + "' must use the L2-normalise activation "
                    + "(the loss is defined on unit embeddings), found " + activationFn + "; build it with " + kind + ".of(config)");
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
        LayerErrors.requireFeedForward(getClass().getSimpleName(), getLayerName(), inputType);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        requireConsistent();
        PairwiseLossLayerImpl layer = new PairwiseLossLayerImpl(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public PairwiseLossLayer clone() {
        return (PairwiseLossLayer) super.clone();
    }
}
