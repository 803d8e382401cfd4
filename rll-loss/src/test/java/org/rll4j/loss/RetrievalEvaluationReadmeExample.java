package org.rll4j.loss;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.InvocationType;
import org.deeplearning4j.optimize.listeners.EvaluativeListener;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.rll4j.eval.RetrievalEvaluation;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalMetric;

/**
 * The example of the README section "Evaluating retrieval" on DL4J's evaluation API, verbatim between the markers
 * (a test compares the two): retrieval metrics by {@code doEvaluation} and, during training, by DL4J's
 * {@code EvaluativeListener}.
 */
final class RetrievalEvaluationReadmeExample {

    /** What the example computed before training, and the evaluation the listener left after it. */
    record Result(double r1, double mapAtR, String stats, String json, RetrievalEvaluation afterTraining) {
    }

    private RetrievalEvaluationReadmeExample() {
    }

    /**
     * @param net a graph whose output layer is one of our loss layers
     * @param trainIterator class-balanced training batches
     * @param testIterator the held-out classes, labels as class ids or one-hot
     * @return the values the example read
     */
    static Result run(ComputationGraph net, DataSetIterator trainIterator, DataSetIterator testIterator) {
        // README:begin
        RetrievalEvaluation retrieval = new RetrievalEvaluation(RetrievalEvaluator.builder()
                .recallAt(1, 2, 4, 8).nmi(true).seed(42)         // any RetrievalEvaluator settings
                .build());
        net.doEvaluation(testIterator, retrieval);                // labels: class ids [B, 1] or one-hot [B, C]
        System.out.print(retrieval.stats());                     // each metric with its value and definition
        double r1 = retrieval.getValue(RetrievalEvaluation.recallAt(1));
        double mapAtR = retrieval.getValue(RetrievalMetric.MAP_AT_R);
        String json = retrieval.toJson();                        // settings, labels and embeddings: fromJson(json)

        // during training: reset, evaluated and logged at the end of every epoch
        net.setListeners(new EvaluativeListener(testIterator, 1, InvocationType.EPOCH_END, retrieval));
        net.fit(trainIterator, 2);
        // README:end
        return new Result(r1, mapAtR, retrieval.stats(), json, retrieval);
    }
}
