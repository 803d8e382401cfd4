package org.rll4j.loss;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.rll4j.sampler.LabelIds;

/**
 * Runtime layer of {@link SameDiffRankedListLossLayer}: DL4J's SameDiff output layer with the contract of
 * {@link RankedListLossLayer}.
 * <ul>
 *   <li>Labels are validated and turned into a {@code [B, 1]} column of class ids when they are set
 *       ({@link LabelIds}); the graph always sees ids.</li>
 *   <li>The input is checked for NaN and infinity before the graph runs.</li>
 *   <li>The score is {@code sum_i L(i) / B} plus the regularisation term (DL4J 1.0.0-M2.1's
 *       SameDiff output layer divides the regularisation term by B as well), and {@code scoreExamples}
 *       gives {@code L(i)} (DL4J's throws).</li>
 *   <li>The gradient function is created without ND4J's line per op on {@code System.out}.</li>
 * </ul>
 */
final class SameDiffRankedListLossLayerImpl extends SameDiffOutputLayer {

    private static final long serialVersionUID = 1L;
    private static final String KIND = "SameDiffRankedListLossLayer";

    SameDiffRankedListLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    protected void doInit() {
        super.doInit();
        GradFunctions.create(sameDiff, INPUT_KEY);
    }

    @Override
    public void setLabels(INDArray labels) {
        if (labels == null) {
            super.setLabels(null);
            return;
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            super.setLabels(named(() -> LabelIds.toClassIdColumn(labels, dataType, "labels")));
        }
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        named(this::checkInput);
        return super.activate(training, workspaceMgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        named(this::checkInputAndLabels);
        return super.backpropGradient(epsilon, workspaceMgr);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        named(this::checkInputAndLabels);
        return super.computeScore(0.0, training, workspaceMgr) + fullNetRegTerm;
    }

    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        named(this::checkInputAndLabels);
        INDArray perQuery = forward(SameDiffRankedListLossLayer.PER_QUERY, workspaceMgr);
        return perQuery.reshape(perQuery.length(), 1).addi(fullNetRegTerm);
    }

    /** Runs the graph up to {@code variable} with the input and labels, as DL4J's layer runs its score. */
    private INDArray forward(String variable, LayerWorkspaceMgr workspaceMgr) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (sameDiff == null) {
                doInit();
            }
        }
        InferenceSession session = sameDiff.getSessions().computeIfAbsent(Thread.currentThread().getId(),
                id -> SameDiff.getInferenceFactory().create(sameDiff));
        session.setMmgr(new DL4JSameDiffMemoryMgr(workspaceMgr.getWorkspaceName(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS), workspaceMgr.getConfiguration(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATIONS)));
        INDArray out = sameDiff.outputSingle(Map.of(INPUT_KEY, input, LABELS_KEY, labels), variable);
        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    private Void checkInputAndLabels() {
        checkInput();
        if (labels == null) {
            throw new IllegalStateException(KIND + " '" + layerName() + "': labels are not set; the loss needs the batch's class ids");
        }
        if (labels.size(0) != input.size(0)) {
            throw new IllegalArgumentException("labels have " + labels.size(0) + " rows but the embedding batch has " + input.size(0));
        }
        return null;
    }

    private Void checkInput() {
        if (input == null) {
            throw new IllegalStateException(KIND + " '" + layerName() + "': no input set");
        }
        if (input.rank() != 2) {
            throw new IllegalArgumentException("embeddings must be [batch, D], found shape " + Arrays.toString(input.shape()));
        }
        long nonFinite = Nd4j.getExecutioner().exec(new MatchCondition(input, Conditions.notFinite())).getLong(0);
        if (nonFinite > 0) {
            int rows = (int) input.size(0);
            int cols = (int) input.size(1);
            double[] values = input.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int first = 0;
            while (Double.isFinite(values[first])) {
                first++;
            }
            throw NonFiniteEmbeddingException.at("Ranked List Loss", values, rows, cols, first);
        }
        return null;
    }

    private String layerName() {
        return conf().getLayer().getLayerName();
    }

    private <T> T named(Supplier<T> call) {
        return LayerErrors.named(KIND, layerName(), call);
    }
}
