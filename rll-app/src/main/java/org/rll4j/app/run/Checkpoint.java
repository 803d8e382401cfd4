package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Path;

import org.rll4j.listeners.CheckpointState;
import org.rll4j.listeners.ResumableCheckpointListener;

/**
 * Where a run directory keeps its checkpoint: the folder {@code checkpoint/}, which the run's
 * {@link ResumableCheckpointListener} writes in {@link CheckpointState}'s format (a model file
 * {@code model-<iteration>.zip} and {@code state.json}, committed atomically; see there).
 */
public final class Checkpoint {

    private Checkpoint() {
    }

    /** The checkpoint folder of a run directory. */
    public static Path folder(Path runDir) {
        return runDir.resolve("checkpoint");
    }

    /** Whether the run directory holds a committed checkpoint. */
    public static boolean exists(Path runDir) {
        return CheckpointState.exists(folder(runDir));
    }

    /**
     * Reads the committed checkpoint's state.
     *
     * @throws IOException naming the file when it is missing or unreadable
     */
    public static CheckpointState read(Path runDir) throws IOException {
        return CheckpointState.read(folder(runDir));
    }
}
