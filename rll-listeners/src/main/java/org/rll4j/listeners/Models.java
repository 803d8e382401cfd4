package org.rll4j.listeners;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** The training counters of the two DL4J network types, and writing a network as it stands after a step. */
final class Models {

    private Models() {
    }

    /** The network's iteration counter (steps done, once DL4J has counted the current one). */
    static long iterations(Model model) {
        return either(model, ComputationGraph::getIterationCount, MultiLayerNetwork::getIterationCount);
    }

    /** The network's epoch counter. */
    static int epochs(Model model) {
        return either(model, ComputationGraph::getEpochCount, MultiLayerNetwork::getEpochCount);
    }

    static void setIterations(Model model, long iterations) {
        int n = Math.toIntExact(iterations);
        either(model, g -> {
            g.getConfiguration().setIterationCount(n);
            return null;
        }, m -> {
            m.getLayerWiseConfigurations().setIterationCount(n);
            return null;
        });
    }

    private static <T> T either(Model model, Function<ComputationGraph, T> graph, Function<MultiLayerNetwork, T> network) {
        if (model instanceof ComputationGraph g) {
            return graph.apply(g);
        }
        if (model instanceof MultiLayerNetwork n) {
            return network.apply(n);
        }
        throw new IllegalArgumentException("model must be a ComputationGraph or a MultiLayerNetwork, found "
                + (model == null ? "null" : model.getClass().getName()));
    }

    /**
     * Writes the network atomically with its iteration counter at {@code iterationsDone}. DL4J calls
     * {@code iterationDone} before it increments the counter, so a network written from there holds one iteration
     * less than it has trained: restored, its updater (Adam's bias correction) and schedules would run one step
     * behind. The counter is set for the write and put back, since DL4J increments it right after.
     */
    static void write(Path file, Model model, boolean withUpdater, long iterationsDone) throws IOException {
        long counter = iterations(model);
        if (counter == iterationsDone) {
            AtomicFiles.writeModel(file, model, withUpdater);
            return;
        }
        setIterations(model, iterationsDone);
        try {
            AtomicFiles.writeModel(file, model, withUpdater);
        } finally {
            setIterations(model, counter);
        }
    }

}
