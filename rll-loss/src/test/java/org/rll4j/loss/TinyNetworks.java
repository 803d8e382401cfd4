package org.rll4j.loss;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/** Small ComputationGraphs ending in the loss layer, for tests. */
final class TinyNetworks {

    private TinyNetworks() {
    }

    private static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** {@code in(nIn) -> dense(tanh, hidden) -> dense(identity, dim) "emb" -> rll}, NoOp updater. */
    static ComputationGraph mlp(int nIn, int hidden, int dim, RankedListLossConfig cfg, DataType dt, long seed) {
        return mlp(nIn, hidden, dim, cfg, dt, seed, new NoOp());
    }

    static ComputationGraph mlp(int nIn, int hidden, int dim, RankedListLossConfig cfg, DataType dt, long seed,
                                IUpdater updater) {
        return mlp(nIn, hidden, dim, cfg, dt, seed, updater, RankedListLossImplementation.KERNEL);
    }

    static ComputationGraph mlp(int nIn, int hidden, int dim, RankedListLossConfig cfg, DataType dt, long seed,
                                IUpdater updater, RankedListLossImplementation impl) {
        return mlp(nIn, hidden, dim, impl.layer(cfg), dt, seed, updater);
    }

    /** {@code in(nIn) -> dense(tanh, hidden) -> dense(identity, dim) "emb" -> the given loss layer "rll"}. */
    static ComputationGraph mlp(int nIn, int hidden, int dim, org.deeplearning4j.nn.conf.layers.Layer loss, DataType dt, long seed,
                                IUpdater updater) {
        return init(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(dt).updater(updater).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(nIn))
                .addLayer("hidden", new DenseLayer.Builder().nOut(hidden).activation(Activation.TANH).build(), "in")
                .addLayer("emb", new DenseLayer.Builder().nOut(dim).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("rll", loss, "emb")
                .setOutputs("rll")
                .build());
    }

    /** {@code in(dim) -> rll}: the loss directly on given embeddings (no parameters). */
    static ComputationGraph lossOnly(int dim, RankedListLossConfig cfg, DataType dt) {
        return lossOnly(dim, cfg, dt, RankedListLossImplementation.KERNEL);
    }

    static ComputationGraph lossOnly(int dim, RankedListLossConfig cfg, DataType dt, RankedListLossImplementation impl) {
        return init(new NeuralNetConfiguration.Builder()
                .dataType(dt).updater(new NoOp())
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(dim))
                .addLayer("rll", impl.layer(cfg), "in")
                .setOutputs("rll")
                .build());
    }

    /** 8x8 input -> conv 3x3 (32) -> conv 3x3 (64) -> global average pool -> dense D -> RLL. */
    static ComputationGraph digitsCnn(RankedListLossConfig cfg, int dim, long seed) {
        return init(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(64))
                .inputPreProcessor("conv1", new FeedForwardToCnnPreProcessor(8, 8, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(32).padding(1, 1)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(64).padding(1, 1)
                        .activation(Activation.RELU).build(), "conv1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                .addLayer("emb", new DenseLayer.Builder().nOut(dim).activation(Activation.IDENTITY)
                        .weightInit(WeightInit.XAVIER).build(), "pool")
                .addLayer("rll", RankedListLossLayer.of(cfg), "emb")
                .setOutputs("rll")
                .build());
    }

}
