package org.rll4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rll4j.sampler.LabelIds;

/**
 * How stale a cross-batch memory's entries are: a DL4J listener that keeps a training batch (its images and their
 * embeddings after the step) at chosen iterations, and after each of the next {@code ages} iterations embeds the same
 * images again (training mode, as the loss saw them) and records the mean distance {@code ||e_now - e_then||} per
 * head. The scale to compare it with is recorded at the same time: each image's distance to its nearest image of
 * another class in that batch (the negatives the Ranked List Loss weighs most) and the loss's band, alpha - (alpha - m).
 */
final class EmbeddingDrift extends BaseTrainingListener {

    private final List<Integer> starts;
    private final int maxAge;
    private final Map<Integer, Probe> probes = new LinkedHashMap<>();
    /** age -> probe start -> drift at that age (mean over heads and rows). */
    private final Map<Integer, Map<Integer, Double>> drift = new java.util.TreeMap<>();
    private final List<Double> nearestNegative = new ArrayList<>();
    /** The batch of a start iteration, taken after its backward pass (its labels are cleared by the time the step is done). */
    private INDArray pendingFeatures;
    private long[] pendingIds;

    private record Probe(int start, INDArray features, INDArray[] embeddings) {
    }

    EmbeddingDrift(List<Integer> starts, int maxAge) {
        this.starts = starts;
        this.maxAge = maxAge;
    }

    @Override
    public void onBackwardPass(Model model) {
        ComputationGraph net = (ComputationGraph) model;
        if (starts.contains(net.getIterationCount()) && pendingFeatures == null) {
            pendingFeatures = net.getInputs()[0].dup();
            pendingIds = LabelIds.classIds(((IOutputLayer) net.getOutputLayer(0)).getLabels(), "drift probe");
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        ComputationGraph net = (ComputationGraph) model;
        for (Probe p : probes.values()) {
            int age = iteration - p.start();
            if (age >= 1 && age <= maxAge) {
                INDArray[] now = embed(net, p.features());
                double sum = 0;
                for (int h = 0; h < now.length; h++) {
                    sum += now[h].sub(p.embeddings()[h]).norm2(1).meanNumber().doubleValue();
                }
                drift.computeIfAbsent(age, a -> new LinkedHashMap<>()).put(p.start(), sum / now.length);
            }
        }
        if (starts.contains(iteration) && pendingFeatures != null) {
            INDArray x = pendingFeatures;
            long[] ids = pendingIds;
            pendingFeatures = null;
            INDArray[] e = embed(net, x);
            probes.put(iteration, new Probe(iteration, x, e));
            double s = 0;
            for (INDArray head : e) {
                s += meanNearestNegative(head, ids);
            }
            nearestNegative.add(s / e.length);
        }
    }

    /** The normalised embeddings of every head (the network's outputs), in training mode. */
    private static INDArray[] embed(ComputationGraph net, INDArray x) {
        Map<String, INDArray> acts = net.feedForward(new INDArray[] {x}, true, false);
        List<String> outputs = net.getConfiguration().getNetworkOutputs();
        INDArray[] e = new INDArray[outputs.size()];
        for (int h = 0; h < e.length; h++) {
            e[h] = acts.get(outputs.get(h)).castTo(DataType.DOUBLE).dup();
        }
        return e;
    }

    private static double meanNearestNegative(INDArray e, long[] ids) {
        double[][] g = e.mmul(e.transpose()).toDoubleMatrix();
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < ids.length; j++) {
                if (ids[j] != ids[i]) {
                    best = Math.min(best, Math.sqrt(Math.max(0, g[i][i] + g[j][j] - 2 * g[i][j])));
                }
            }
            sum += best;
        }
        return sum / ids.length;
    }

    /** A markdown table: per age, the mean drift over the probes, and that drift over the probes' nearest-negative distance. */
    String table(double margin) {
        double nn = nearestNegative.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nEmbedding drift (probes at iterations %s, mean over the probes and heads): "
                + "the batch's mean distance to its nearest other-class image was %.4f; the loss's band alpha - (alpha - m) "
                + "is %.2f.%n%n", starts, nn, margin));
        sb.append("| age (iterations) | mean drift of an embedding | drift / nearest-negative distance | drift / band |");
        for (int start : probes.keySet()) {
            sb.append(" probe at ").append(start).append(" |");
        }
        sb.append("\n|---|---|---|---|").append("---|".repeat(probes.size())).append('\n');
        drift.forEach((age, byProbe) -> {
            double d = byProbe.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "| %d | %.4f | %.2f | %.2f |", age, d, d / nn, d / margin));
            for (int start : probes.keySet()) {
                Double v = byProbe.get(start);
                sb.append(v == null ? " |" : String.format(Locale.ROOT, " %.4f |", v));
            }
            sb.append('\n');
        });
        return sb.toString();
    }


}
