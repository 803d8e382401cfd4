package org.rll4j.loss;

import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * The example of the README section "Using the loss in SameDiff", verbatim between the markers (a test compares
 * the two): a pure-SameDiff MLP trained with the Ranked List Loss on the even UCI digits, evaluated on the unseen
 * odd digits.
 */
final class SameDiffReadmeExample {

    /** MAP@R on the unseen digits before and after training. */
    record Result(double untrained, double trained, double firstLoss, double lastLoss) {
    }

    private SameDiffReadmeExample() {
    }

    static Result run(long seed, int epochs) {
        Nd4j.getRandom().setSeed(seed);
        // README:begin
        // The embedded UCI digits (8x8): train on the even digits, test retrieval on the unseen odd ones.
        UciDigits.Data all = UciDigits.load();
        UciDigits.Data train = all.ofClasses(0, 2, 4, 6, 8);
        UciDigits.Data test = all.ofClasses(1, 3, 5, 7, 9);

        // A SameDiff MLP, 64 pixels -> 128 (ReLU) -> 64, and the Ranked List Loss on its 64-d output.
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 64);
        SDVariable labels = sd.placeHolder("labels", DataType.FLOAT, -1, 1);      // class ids [B, 1]
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', 64, 128), DataType.FLOAT, 64, 128);
        SDVariable b1 = sd.zero("b1", DataType.FLOAT, 1, 128);
        SDVariable w2 = sd.var("w2", new XavierInitScheme('c', 128, 64), DataType.FLOAT, 128, 64);
        SDVariable embedding = sd.nn().relu(x.mmul(w1).add(b1), 0).mmul(w2);
        SameDiffRankedListLoss.Outputs rll =
                SameDiffRankedListLoss.add(sd, embedding, labels, RankedListLossConfig.paper());
        sd.setTrainingConfig(TrainingConfig.builder()
                .updater(new Adam(3e-4))
                .dataSetFeatureMapping("x")
                .dataSetLabelMapping("labels")
                .build());
        SameDiffRankedListLoss.createGradientFunction(sd);   // optional: without ND4J's line per op on stdout

        // Class-balanced batches of 5 classes x 12 images, as the loss needs them, from the arrays in memory.
        ClassBalancedDataSetIterator.Builder batches = ClassBalancedDataSetIterator.builder()
                .features(train.features())
                .labels(Nd4j.createFromArray(train.labels()).reshape(-1, 1))    // class ids [N, 1]
                .classesPerBatch(5).samplesPerClass(12).seed(seed);
        RetrievalEvaluator evaluator = RetrievalEvaluator.builder().build();
        double untrained = evaluator.evaluate(sd.outputSingle(Map.of("x", test.features()), rll.embedding().name()),
                test.labels()).mapAtR();
        DataSet first = batches.build().next();
        Map<String, INDArray> firstBatch = Map.of("x", first.getFeatures(), "labels", first.getLabels());
        double firstLoss = sd.outputSingle(firstBatch, rll.loss().name()).getDouble(0);   // batch mean of L(i)
        sd.fit(batches.build(), epochs);                       // epochs 0 .. epochs-1 (reset() starts the next)
        double lastLoss = sd.outputSingle(firstBatch, rll.loss().name()).getDouble(0);
        INDArray testEmbeddings = sd.outputSingle(Map.of("x", test.features()), rll.embedding().name());
        double trained = evaluator.evaluate(testEmbeddings, test.labels()).mapAtR();
        // README:end
        return new Result(untrained, trained, firstLoss, lastLoss);
    }
}
