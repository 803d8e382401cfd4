package org.rll4j.loss;

import java.util.function.Supplier;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.LossLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runtime layer of the {@link PairwiseLossLayer}s ({@link RankedListLossLayer}, {@link MetricLossLayer}): DL4J's
 * loss layer with two changes.
 * <ul>
 *   <li>Training computes the loss once per step, not twice: DL4J asks an output layer for its
 *       gradient and then, separately, for the training score of the same input and labels; the
 *       backward pass here also yields the score and hands it to the next {@code computeScore}
 *       call when that call is for the very same input and label arrays (otherwise it recomputes).</li>
 *   <li>Errors are prefixed by the layer name, so a user with several loss heads knows which one failed.</li>
 * </ul>
 */
final class PairwiseLossLayerImpl extends LossLayer {

    private static final long serialVersionUID = 1L;

    /** Sum of the per-query losses from the last backward pass, for the input and labels below. */
    private transient double pendingScoreSum;
    private transient INDArray pendingInput;
    private transient INDArray pendingLabels;
    private transient double regularizationTerm;

    PairwiseLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private PairwiseLossFunction lossFunction() {
        return (PairwiseLossFunction) layerConf().getLossFn();
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        return named(() -> {
            if (input == null || labels == null) {
                throw new IllegalStateException("cannot compute the gradient without input and labels " + layerId());
            }
            Pair<Double, INDArray> scoreAndGrad = lossFunction().computeGradientAndScore(getLabels2d(), input,
                    layerConf().getActivationFn(), maskArray, false);
            pendingScoreSum = scoreAndGrad.getFirst();
            pendingInput = input;
            pendingLabels = labels;
            INDArray delta = workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, scoreAndGrad.getSecond());
            return new Pair<>(new DefaultGradient(), delta);
        });
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        return named(() -> {
            if (input == null || labels == null) {
                throw new IllegalStateException("cannot calculate the score without input and labels " + layerId());
            }
            boolean reuse = training && input == pendingInput && labels == pendingLabels;
            double sum = reuse ? pendingScoreSum
                    : lossFunction().computeScore(getLabels2d(), input, layerConf().getActivationFn(), maskArray, false);
            pendingInput = null;
            pendingLabels = null;
            regularizationTerm = fullNetRegTerm;
            score = sum / getInputMiniBatchSize() + fullNetRegTerm;
            return score;
        });
    }

    @Override
    public void computeGradientAndScore(LayerWorkspaceMgr workspaceMgr) {
        if (input == null || labels == null) {
            return; // as DL4J's LossLayer
        }
        gradient = backpropGradient(null, workspaceMgr).getFirst();
        computeScore(regularizationTerm, true, workspaceMgr);
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        return named(() -> super.computeScoreForExamples(fullNetRegTerm, workspaceMgr));
    }

    @Override
    public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        pendingInput = null;
        super.setInput(input, workspaceMgr);
    }

    @Override
    public void setLabels(INDArray labels) {
        pendingLabels = null;
        super.setLabels(labels);
    }

    private <T> T named(Supplier<T> call) {
        return LayerErrors.named(conf().getLayer().getClass().getSimpleName(), conf().getLayer().getLayerName(), call);
    }
}
