package org.rll4j.examples;

import java.util.Locale;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
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
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.rll4j.eval.RetrievalEvaluation;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalMetric;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * Trains a small CNN with the Ranked List Loss from in-memory data, with a plain {@code net.fit(iterator, epochs)}:
 * the UCI digits 0-4 (embedded in rll-sampler, 8x8 pixels) in batches of 5 classes x 12 images from
 * {@link ClassBalancedDataSetIterator}, then measures retrieval (MAP@R) on the digits 5-9, which training never saw,
 * with {@code net.doEvaluation(...)} and {@link RetrievalEvaluation}, an ND4J {@code IEvaluation}.
 *
 * <p>Dependencies: rll-loss, rll-sampler, rll-eval and an ND4J backend; no OpenCV, DataVec image, CLI or
 * logging implementation comes with them.
 */
public final class InMemoryTraining {

    /** MAP@R on the unseen digits before and after training, and the training loss at the first and last batch. */
    public record Result(double mapAtRBefore, double mapAtRAfter, double firstLoss, double lastLoss) {
    }

    private InMemoryTraining() {
    }

    public static void main(String[] args) {
        Result r = run(42, 7);
        System.out.printf(Locale.ROOT, "digits 5-9 (unseen), MAP@R: untrained %.4f, trained on digits 0-4 %.4f%n",
                r.mapAtRBefore(), r.mapAtRAfter());
    }

    /**
     * @param seed seed of the weights and of the batches
     * @param epochs epochs of the iterator (15 batches each)
     */
    public static Result run(long seed, int epochs) {
        UciDigits.Data all = UciDigits.load();
        UciDigits.Data train = all.ofClasses(0, 1, 2, 3, 4);
        UciDigits.Data test = all.ofClasses(5, 6, 7, 8, 9);

        ClassBalancedDataSetIterator batches = ClassBalancedDataSetIterator.builder()
                .features(train.features())
                .labels(Nd4j.createFromArray(train.labels()).reshape(-1, 1)) // class ids; one-hot works too
                .classesPerBatch(5).samplesPerClass(12).seed(seed)
                .build();

        ComputationGraph net = network(seed);
        // the unseen digits in plain batches of 100; the evaluation gathers every batch's embeddings, then ranks
        DataSetIterator testBatches = new ListDataSetIterator<>(
                new DataSet(test.features(), Nd4j.createFromArray(test.labels()).reshape(-1, 1)).asList(), 100);
        double before = mapAtR(net, testBatches);

        double[] losses = {Double.NaN, Double.NaN};
        net.addListeners(new org.deeplearning4j.optimize.api.BaseTrainingListener() {
            @Override
            public void iterationDone(org.deeplearning4j.nn.api.Model model, int iteration, int epoch) {
                if (Double.isNaN(losses[0])) {
                    losses[0] = model.score();
                }
                losses[1] = model.score();
            }
        });
        net.fit(batches, epochs);

        double after = mapAtR(net, testBatches);
        return new Result(before, after, losses[0], losses[1]);
    }

    /** MAP@R (Musgrave et al. 2020) of the network's embeddings of {@code batches}, every item a query against the rest. */
    static double mapAtR(ComputationGraph net, DataSetIterator batches) {
        RetrievalEvaluation retrieval = new RetrievalEvaluation(
                RetrievalEvaluator.builder().metrics(RetrievalMetric.MAP_AT_R).build());
        batches.reset();
        net.doEvaluation(batches, retrieval);
        return retrieval.getValue(RetrievalMetric.MAP_AT_R);
    }

    /** 8x8 digits -> two 3x3 convolutions -> average pooling -> a 64-d embedding -> the Ranked List Loss. */
    static ComputationGraph network(long seed) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(UciDigits.PIXELS))
                .inputPreProcessor("conv1", new FeedForwardToCnnPreProcessor(8, 8, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(32).padding(1, 1)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(64).padding(1, 1)
                        .activation(Activation.RELU).build(), "conv1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                .addLayer("embedding", new DenseLayer.Builder().nOut(64).activation(Activation.IDENTITY)
                        .weightInit(WeightInit.XAVIER).build(), "pool")
                // the paper's settings (alpha 1.2, m 0.4, T_n 10); output() gives the L2-normalised embedding
                .addLayer("rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "embedding")
                .setOutputs("rll")
                .build());
        net.init();
        return net;
    }
}
