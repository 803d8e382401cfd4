package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rll4j.eval.RetrievalEvaluator;

class BestModelListenerTest {

    @Test
    void theBestModelIsTheNetworkOfTheBestEvaluation(@TempDir Path dir) throws Exception {
        ComputationGraph net = Digits.network(4);
        Path file = dir.resolve("models/best.zip");
        BestModelListener best = BestModelListener.builder().metric("map@r").file(file).build();
        List<RetrievalEvaluationListener.Result> results = new ArrayList<>();
        List<INDArray> params = new ArrayList<>();
        net.setListeners(RetrievalEvaluationListener.builder()
                .data(Digits.heldOut()).evaluator(RetrievalEvaluator.builder().recallAt(1).build()).every(3)
                .callback(best)
                .callback((model, r) -> {
                    results.add(r);
                    params.add(model.params().dup());
                })
                .build());
        net.fit(Digits.batches(4).build(), 2);

        assertEquals(9, results.size(), "every 3 of 28 steps");
        int argMax = 0;
        for (int i = 1; i < results.size(); i++) {
            if (results.get(i).report().mapAtR() > results.get(argMax).report().mapAtR()) {
                argMax = i;
            }
        }
        assertTrue(argMax > 0, "training improved on the first evaluation (else the test shows little): " + results);
        assertEquals(results.get(argMax).report().mapAtR(), best.bestValue());
        assertEquals(results.get(argMax).iteration(), best.bestIteration());
        ComputationGraph kept = ModelSerializer.restoreComputationGraph(file.toFile(), false);
        assertArrayEquals(params.get(argMax).toFloatVector(), kept.params().toFloatVector(), "exactly those weights");
        assertEquals(best.bestIteration(), kept.getIterationCount(), "with the counter of the evaluated step");
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file), s.toList(), "written through a temporary file that is gone");
        }
    }

    @Test
    void aResumedRunKeepsItsBestUntilABetterOne(@TempDir Path dir) throws Exception {
        BestModelListener best = BestModelListener.builder().metric("recall@1").file(dir.resolve("best.zip"))
                .resumeFrom(2.0, 7).build(); // better than any recall
        ComputationGraph net = Digits.network(5);
        net.setListeners(RetrievalEvaluationListener.builder().data(Digits.heldOut()).every(5).callback(best).build());
        net.fit(Digits.batches(5).build(), 1);
        assertFalse(Files.exists(dir.resolve("best.zip")));
        assertEquals(2.0, best.bestValue());
        assertEquals(7, best.bestIteration());
    }

    @Test
    void aMetricIsFoundByItsNameIgnoringCaseOrByTheNameBeforeItsDefinition() {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("Recall@1", 0.5);
        values.put("MAP@R", 0.25);
        values.put("NMI (arithmetic)", 0.75);
        assertEquals(0.5, BestModelListener.value(values, "recall@1"));
        assertEquals(0.25, BestModelListener.value(values, "MAP@R"));
        assertEquals(0.75, BestModelListener.value(values, "nmi"));
        assertEquals(0.75, BestModelListener.value(values, "nmi (arithmetic)"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BestModelListener.value(values, "recall@8"));
        assertEquals("metric recall@8 is not in the evaluation [Recall@1, MAP@R, NMI (arithmetic)]", e.getMessage());
    }

    @Test
    void aBlankMetricIsRejected(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BestModelListener.builder().metric("").file(dir.resolve("best.zip")).build());
        assertEquals("metric must not be blank (e.g. \"recall@1\", \"map@r\", \"nmi\"), found \"\"", e.getMessage());
    }
}
