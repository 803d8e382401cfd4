package org.rll4j.loss;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.rll4j.sampler.LabelEncoding;
import org.rll4j.sampler.LabelIds;

/**
 * The Ranked List Loss (Wang et al., CVPR 2019 / TPAMI 2021) as a DL4J {@link SameDiffOutputLayer}: the
 * loss is the SameDiff graph of {@link SameDiffRankedListLoss}, differentiated by SameDiff, inside any
 * {@code ComputationGraph} or {@code MultiLayerNetwork}. Use it to read, extend or differentiate through
 * the loss as a graph; for training speed prefer {@link RankedListLossLayer}, the same loss with a
 * hand-derived backward pass (the loss benchmark, {@code rll bench loss}, prints both). Both compute the
 * same values (1e-10 in double precision, except for pairs closer than 1e-6, see
 * {@link SameDiffRankedListLoss}), and share this contract:
 * <ul>
 *   <li><b>Input:</b> the raw embedding {@code [B, D]} (feed-forward); the layer L2-normalises it.</li>
 *   <li><b>Labels:</b> class ids {@code [B, 1]} or one-hot rows {@code [B, C]}, validated by
 *       {@link LabelIds} (an error names the row and value) and fed to the graph as ids.</li>
 *   <li><b>Score:</b> {@code (1/B) sum_i L(i)} plus the network's regularisation term;
 *       {@code scoreExamples} gives the per-query {@code L(i)}.</li>
 *   <li><b>Output:</b> the L2-normalised embedding {@code [B, D]}.</li>
 *   <li>A non-finite input throws a {@link NonFiniteEmbeddingException} naming the layer, row and column.</li>
 * </ul>
 * Per-example masks are not supported (every example is a query and a gallery item). The
 * hyper-parameters survive JSON and {@code ModelSerializer} round trips.
 *
 * <pre>
 * .addLayer("rll", SameDiffRankedListLossLayer.of(RankedListLossConfig.paper()), "embedding")
 * </pre>
 */
public class SameDiffRankedListLossLayer extends SameDiffOutputLayer {

    private static final long serialVersionUID = 1L;

    /** Name prefix of the loss's variables inside the layer's graph. */
    static final String LOSS_NAME = "rll";
    /** The layer's output: the normalised embedding. */
    static final String EMBEDDING = LOSS_NAME + "/embedding";
    /** The per-query losses {@code [B]}. */
    static final String PER_QUERY = LOSS_NAME + "/per_query_loss";

    private RankedListLossConfig lossConfig = RankedListLossConfig.paper();

    /** For JSON deserialisation; prefer {@link #of(RankedListLossConfig)}. Holds {@link RankedListLossConfig#paper()}. */
    public SameDiffRankedListLossLayer() {
    }

    /**
     * A layer with the given hyper-parameters.
     *
     * @param lossConfig validated hyper-parameters, not null
     * @return a new layer configuration
     */
    public static SameDiffRankedListLossLayer of(RankedListLossConfig lossConfig) {
        SameDiffRankedListLossLayer layer = new SameDiffRankedListLossLayer();
        layer.setLossConfig(lossConfig);
        return layer;
    }

    /** The hyper-parameters. */
    @JsonProperty("lossConfig")
    public RankedListLossConfig getLossConfig() {
        return lossConfig;
    }

    /** Sets the hyper-parameters (for JSON; configurations are otherwise built with {@link #of}). */
    @JsonProperty("lossConfig")
    public void setLossConfig(RankedListLossConfig lossConfig) {
        this.lossConfig = Objects.requireNonNull(lossConfig, "lossConfig must not be null");
    }

    /**
     * Adds {@link SameDiffRankedListLoss} on the layer input, with the labels as class ids, and returns
     * the sum of the per-query losses (DL4J divides the score by the batch size).
     */
    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable layerInput, SDVariable labels, Map<String, SDVariable> paramTable) {
        SameDiffRankedListLoss.Outputs rll = SameDiffRankedListLoss.add(sd, LOSS_NAME, layerInput, labels,
                LabelEncoding.CLASS_IDS, lossConfig);
        SDVariable sum = rll.perQuery().sum(LOSS_NAME + "/loss_sum");
        sd.setLossVariables(sum);
        return sum;
    }

    @Override
    public String activationsVertexName() {
        return EMBEDDING;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // no parameters
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // no parameters
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireFeedForward(inputType);
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireFeedForward(inputType);
    }

    /** As {@link RankedListLossLayer} (DL4J's loss layers): a convolutional or recurrent input is flattened to {@code [B, D]}. */
    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return RankedListLossLayer.of(lossConfig).getPreProcessorForInputType(inputType);
    }

    private void requireFeedForward(InputType inputType) {
        LayerErrors.requireFeedForward("SameDiffRankedListLossLayer", getLayerName(), inputType);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView, boolean initializeParams,
                                                       DataType networkDataType) {
        SameDiffRankedListLossLayerImpl layer = new SameDiffRankedListLossLayerImpl(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SameDiffRankedListLossLayer other && super.equals(o) && lossConfig.equals(other.lossConfig);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + lossConfig.hashCode();
    }

    @Override
    public SameDiffRankedListLossLayer clone() {
        return (SameDiffRankedListLossLayer) super.clone();
    }
}
