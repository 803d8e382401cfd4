package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalReport;
import org.rll4j.sampler.ClassBalancedDataSetIterator;

class RetrievalEvaluationListenerTest {

    private static final RetrievalEvaluator EVALUATOR = RetrievalEvaluator.builder().recallAt(1, 2).build();

    private static List<Long> iterations(List<RetrievalStats.Point> points) {
        return points.stream().map(RetrievalStats.Point::iteration).toList();
    }

    @Test
    void itEvaluatesEveryNStepsAndRecordsEachUnderTheStepsDone() {
        ComputationGraph net = Digits.network(1);
        ClassBalancedDataSetIterator train = Digits.batches(1).build();
        assertEquals(Digits.BATCHES_PER_EPOCH, train.batchesInEpoch());
        InMemoryStatsStorage storage = new InMemoryStatsStorage();
        List<RetrievalEvaluationListener.Result> seen = new ArrayList<>();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .data(Digits.heldOut()).evaluator(EVALUATOR).every(6)
                .stats(storage, "digits").callback((model, r) -> seen.add(r))
                .build();
        net.setListeners(evaluation);
        net.fit(train, 2);

        List<RetrievalStats.Point> points = RetrievalStats.read(storage, "digits");
        assertEquals(List.of(6L, 12L, 18L, 24L), iterations(points));
        assertEquals(List.of(0, 0, 1, 1), points.stream().map(RetrievalStats.Point::epoch).toList(), "epochs of 14 batches");
        assertEquals(List.of(RetrievalEvaluationListener.DEFAULT_WORKER), storage.listWorkerIDsForSessionAndType("digits",
                RetrievalStats.TYPE_ID));
        assertEquals(List.of(6L, 12L, 18L, 24L), seen.stream().map(RetrievalEvaluationListener.Result::iteration).toList());
        for (int i = 0; i < points.size(); i++) {
            assertEquals(seen.get(i).values(), points.get(i).metrics(), "recorded as passed on");
        }
        assertEquals(seen.get(3), evaluation.last());

        // the evaluation "at iteration 6" is of the network after exactly 6 steps (DL4J calls iterationDone before
        // counting the step: an off-by-one would evaluate 5 or 7)
        ComputationGraph same = Digits.network(1);
        ClassBalancedDataSetIterator batches = Digits.batches(1).build();
        for (int i = 0; i < 6; i++) {
            same.fit(batches.next());
        }
        List<INDArray> embeddings = new ArrayList<>();
        ViewIterator heldOut = Digits.heldOut();
        while (heldOut.hasNext()) {
            embeddings.add(same.outputSingle(heldOut.next().getFeatures())); // in the listener's batches: the same floats
        }
        RetrievalReport direct = EVALUATOR.evaluate(Nd4j.vstack(embeddings.toArray(new INDArray[0])), Digits.TEST.labels());
        assertEquals(direct.values(), seen.get(0).values());
    }

    @Test
    void atEpochEndItEvaluatesOnceAfterTheEpochsLastStep() {
        ComputationGraph net = Digits.network(2);
        InMemoryStatsStorage storage = new InMemoryStatsStorage();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .data(Digits.heldOut()).evaluator(EVALUATOR).every(7).atEpochEnd(true).stats(storage, "s").build();
        net.setListeners(evaluation);
        net.fit(Digits.batches(2).build(), 2);
        assertEquals(List.of(7L, 14L, 21L, 28L), iterations(RetrievalStats.read(storage, "s")),
                "the epoch ends (14, 28) fall on the schedule and are evaluated once");

        ComputationGraph other = Digits.network(2);
        InMemoryStatsStorage epochs = new InMemoryStatsStorage();
        other.setListeners(RetrievalEvaluationListener.builder().data(Digits.heldOut()).evaluator(EVALUATOR).atEpochEnd(true)
                .stats(epochs, "e").build());
        other.fit(Digits.batches(2).build(), 2);
        List<RetrievalStats.Point> points = RetrievalStats.read(epochs, "e");
        assertEquals(List.of(14L, 28L), iterations(points));
        assertEquals(List.of(0, 1), points.stream().map(RetrievalStats.Point::epoch).toList());
    }

    @Test
    void aLoopThatEvaluatesItsEndItselfStopsTheScheduleBeforeIt() throws Exception {
        ComputationGraph net = Digits.network(3);
        InMemoryStatsStorage storage = new InMemoryStatsStorage();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .evaluation(model -> EVALUATOR.evaluate(((ComputationGraph) model).outputSingle(Digits.TEST.features()),
                        Digits.TEST.labels()))
                .every(14).before(28).stats(storage, "s").build();
        net.setListeners(evaluation);
        net.fit(Digits.batches(3).build(), 2);
        assertEquals(List.of(14L), iterations(RetrievalStats.read(storage, "s")));
        RetrievalEvaluationListener.Result end = evaluation.evaluate(net);
        assertEquals(28, end.iteration());
        assertEquals(2, end.epoch(), "after fit: DL4J's epoch counter has counted both epochs");
        assertEquals(List.of(14L, 28L), iterations(RetrievalStats.read(storage, "s")));
    }

    @Test
    void itNeedsEitherHeldOutDataOrAnEvaluation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalEvaluationListener.builder().every(10).build());
        assertEquals("give either data(heldOut iterator) or evaluation(custom evaluation), found neither", e.getMessage());
    }

    @Test
    void aNegativeScheduleIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalEvaluationListener.builder().data(Digits.heldOut()).every(-1).build());
        assertEquals("every must be >= 0 iterations (0: none), found -1", e.getMessage());
    }

    @Test
    void recordsNeedASession() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalEvaluationListener.builder().data(Digits.heldOut()).stats(new InMemoryStatsStorage(), " ").build());
        assertEquals("sessionId must not be blank, found \" \"", e.getMessage());
    }
}
