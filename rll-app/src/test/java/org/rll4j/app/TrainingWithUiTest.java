package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.Trainer;

/** While a run trains, the UI answers on its stock page and its retrieval page serves the run's metrics. */
@Tag("training")
class TrainingWithUiTest {

    @Test
    void theUiServesTheRunsRetrievalMetricsWhileItTrains(@TempDir Path dir) throws Exception {
        Path data = TinyEmoji.copy(dir.resolve("emoji40"), 40);
        RunConfig config = ConfigLoader.load(null, List.of("dataset.root=" + data, "model.widths=[8,16,16]",
                "model.embeddingDim=16", "sampler.classesPerBatch=8", "training.epochs=2", "evaluation.every=2",
                "evaluation.baselines=false", "evaluation.nmi=false"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true);
        List<String> seen = new ArrayList<>();
        try (UiListener ui = new UiListener(true, 0, true, out)) {
            new Trainer(config, dir.resolve("run"), out).listener(ui).listener(new UiProbe(ui, seen)).train("# test\n");
        }
        assertEquals(2, seen.size());
        assertTrue(seen.get(1).contains("Recall@1") && seen.get(1).contains("MAP@R"), seen.get(1));
        assertTrue(log.toString().contains("DL4J training UI: http://localhost:"), log.toString());
    }
}
