package org.rll4j.app;

import java.io.PrintStream;

import org.deeplearning4j.core.storage.StatsStorage;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;
import org.rll4j.app.ui.TrainingUi;
import org.rll4j.listeners.RetrievalStats;

/**
 * Serves the DL4J training UI for a run (started when the trainer opens its stats storage) and feeds
 * the retrieval page: every evaluation of the trained network goes into the same stats storage under
 * the run's session, so the page charts it live and the file keeps it for {@code ./rll ui} later.
 */
final class UiListener implements Trainer.Listener, AutoCloseable {

    /** Worker id of the retrieval records. */
    static final String WORKER = "rll4j-evaluation";

    private final boolean serve;
    private final int port;
    private final boolean localhostOnly;
    private final PrintStream out;
    private TrainingUi ui;
    private StatsStorage storage;
    private String session;

    UiListener(boolean serve, int port, boolean localhostOnly, PrintStream out) {
        this.serve = serve;
        this.port = port;
        this.localhostOnly = localhostOnly;
        this.out = out;
    }

    @Override
    public void started(StatsStorage storage, String sessionId) {
        this.storage = storage;
        this.session = sessionId;
        if (serve) {
            ui = TrainingUi.start(port, localhostOnly, storage);
            out.println("DL4J training UI: " + ui.overviewUrl() + "   retrieval charts: " + ui.retrievalUrl()
                    + (localhostOnly ? "" : "   (listening on all interfaces)"));
        }
    }

    @Override
    public void evaluated(MetricsLog.Evaluation e) {
        if (storage != null && e.label().equals("trained")) {
            RetrievalStats.put(storage, session, WORKER, e.iteration(), e.epoch(), e.values());
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
