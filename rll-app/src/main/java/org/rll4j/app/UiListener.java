package org.rll4j.app;

import java.io.PrintStream;

import org.deeplearning4j.core.storage.StatsStorage;
import org.rll4j.app.run.Trainer;
import org.rll4j.app.ui.TrainingUi;

/**
 * Serves the DL4J training UI for a run (started when the trainer opens its stats storage). The run's
 * {@code RetrievalEvaluationListener} records every evaluation of the trained network into that storage
 * under the run's session, so the retrieval page charts it live and the file keeps it for
 * {@code ./rll ui} later.
 */
final class UiListener implements Trainer.Listener, AutoCloseable {

    private final boolean serve;
    private final int port;
    private final boolean localhostOnly;
    private final PrintStream out;
    private TrainingUi ui;

    UiListener(boolean serve, int port, boolean localhostOnly, PrintStream out) {
        this.serve = serve;
        this.port = port;
        this.localhostOnly = localhostOnly;
        this.out = out;
    }

    @Override
    public void started(StatsStorage storage, String sessionId) {
        if (serve) {
            ui = TrainingUi.start(port, localhostOnly, storage);
            out.println("DL4J training UI: " + ui.overviewUrl() + "   retrieval charts: " + ui.retrievalUrl()
                    + (localhostOnly ? "" : "   (listening on all interfaces)"));
        }
    }

    /** Stops the server before the trainer closes the stats storage it reads. */
    @Override
    public void finished() {
        close();
    }

    /** The server while training, or null (for tests). */
    TrainingUi ui() {
        return ui;
    }

    @Override
    public void close() {
        if (ui != null) {
            ui.close();
            ui = null;
        }
    }
}
