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
 *   <li>With a {@link CrossBatchMemoryConfig}, the layer holds the {@link CrossBatchMemory}: from the warm-up
 *       iteration on, a training step's loss runs over the batch and the memory, and the step's normalised
 *       embeddings wait as the <i>pending</i> batch until DL4J's iteration counter moves on, when they join the
 *       memory. So every call within one iteration (the step itself, a gradient check's scores) sees the same
 *       memory, and a checkpoint written at the end of an iteration holds the memory and the pending batch
 *       ({@link CrossBatchMemories}).</li>
 * </ul>
 */
final class PairwiseLossLayerImpl extends LossLayer {

    private static final long serialVersionUID = 1L;

    /** Sum of the per-query losses from the last backward pass, for the input and labels below. */
    private transient double pendingScoreSum;
    private transient INDArray pendingInput;
    private transient INDArray pendingLabels;
    private transient double regularizationTerm;
    private transient CrossBatchMemory memory;
    private transient Pending pending;

    /** A training batch's normalised embeddings, to join the memory once the iteration counter passes {@code iteration}. */
    record Pending(double[] rows, long[] ids, int n, int dim, DataType type, long iteration) {
    }

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
            CrossBatchMemory gallery = gallery(true);
            PairwiseEngine.Result r = lossFunction().evaluate(getLabels2d(), input, layerConf().getActivationFn(),
                    maskArray, true, gallery);
            if (gallery != null) {
                pending = new Pending(r.embeddings(), r.ids(), (int) input.size(0), (int) input.size(1),
                        input.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT, getIterationCount());
            }
            pendingScoreSum = r.sum();
            pendingInput = input;
            pendingLabels = labels;
            INDArray delta = workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, r.gradient());
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
                    : lossFunction().evaluate(getLabels2d(), input, layerConf().getActivationFn(), maskArray, false,
                    gallery(training)).sum();
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

    /**
     * The memory to rank against now, or null: none configured, not training, or still warming up. First moves a
     * pending batch of an earlier iteration into the memory, and empties the memory when the input width changed.
     */
    private CrossBatchMemory gallery(boolean training) {
        CrossBatchMemoryConfig cfg = ((PairwiseLossLayer) layerConf()).memoryConfig();
        if (cfg == null || !training) {
            return null;
        }
        if (memory == null) {
            memory = new CrossBatchMemory(cfg.size());
        }
        long iteration = getIterationCount();
        if (pending != null && pending.iteration() < iteration) {
            if (memory.dimension() >= 0 && memory.dimension() != pending.dim()) {
                memory.clear();
            }
            memory.add(pending.rows(), pending.ids(), pending.n(), pending.dim(), pending.type());
            pending = null;
        }
        if (memory.dimension() >= 0 && memory.dimension() != input.size(1)) {
            memory.clear();     // the model changed shape: the stored embeddings are of another space
        }
        return iteration >= cfg.warmupIterations() ? memory : null;
    }

    /** The memory and the pending batch, for checkpoints; null before the layer's first training step with a memory. */
    CrossBatchMemory memory() {
        return memory;
    }

    Pending pending() {
        return pending;
    }

    /** Restores what {@link #memory()} and {@link #pending()} gave. */
    void restoreMemory(CrossBatchMemory restored, Pending restoredPending) {
        this.memory = restored;
        this.pending = restoredPending;
    }

    private <T> T named(Supplier<T> call) {
        return LayerErrors.named(conf().getLayer().getClass().getSimpleName(), conf().getLayer().getLayerName(), call);
    }
}
