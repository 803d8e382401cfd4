package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenersReadmeExampleTest {

    @Test
    void theExampleContinuesAnInterruptedRunToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        ComputationGraph whole = ListenersReadmeExample.run(dir.resolve("whole"), 2);
        assertEquals(2 * Digits.BATCHES_PER_EPOCH, whole.getIterationCount());
        assertTrue(Files.isRegularFile(dir.resolve("whole/best.zip")));

        ListenersReadmeExample.run(dir.resolve("twice"), 1);                 // stopped after one epoch
        ComputationGraph resumed = ListenersReadmeExample.run(dir.resolve("twice"), 2);
        assertEquals(whole.getIterationCount(), resumed.getIterationCount());
        assertArrayEquals(whole.params().toFloatVector(), resumed.params().toFloatVector());
        assertEquals(CheckpointState.read(dir.resolve("whole/checkpoint")).bestIteration(),
                CheckpointState.read(dir.resolve("twice/checkpoint")).bestIteration(), "the same best model");
    }

    @Test
    void theReadmeShowsTheExampleThatTheTestsRun() throws Exception {
        Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String source = Files.readString(Path.of("src/test/java/org/rll4j/listeners/ListenersReadmeExample.java"),
                StandardCharsets.UTF_8);
        String example = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("        // README:end"));
        String dedented = example.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l)
                .collect(Collectors.joining("\n", "", "\n"));
        assertTrue(text.contains(dedented), "README.md must contain the example of ListenersReadmeExample verbatim "
                + "(dedented by 8):\n" + dedented);
    }
}
