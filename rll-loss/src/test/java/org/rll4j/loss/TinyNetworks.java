package org.rll4j.loss;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/** Small ComputationGraphs ending in the loss layer, for tests. */
final class TinyNetworks {

    private TinyNetworks() {
    }

    /** {@code in(nIn) -> dense(tanh, hidden) -> dense(identity, dim) "emb" -> rll}, NoOp updater. */
    static ComputationGraph mlp(int nIn, int hidden, int dim, RankedListLossConfig cfg, DataType dt, long seed) {
        return mlp(nIn, hidden, dim, cfg, dt, seed, new NoOp());
    }

    static ComputationGraph mlp(int nIn, int hidden, int dim, RankedListLossConfig cfg, DataType dt, long seed,
                                IUpdater updater) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(dt).updater(updater).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(nIn))
                .addLayer("hidden", new DenseLayer.Builder().nOut(hidden).activation(Activation.TANH).build(), "in")
                .addLayer("emb", new DenseLayer.Builder().nOut(dim).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("rll", RankedListLossLayer.of(cfg), "emb")
                .setOutputs("rll")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** {@code in(dim) -> rll}: the loss directly on given embeddings (no parameters). */
    static ComputationGraph lossOnly(int dim, RankedListLossConfig cfg, DataType dt) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp())
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(dim))
                .addLayer("rll", RankedListLossLayer.of(cfg), "in")
                .setOutputs("rll")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }
}
