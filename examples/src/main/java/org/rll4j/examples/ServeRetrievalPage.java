package org.rll4j.examples;

import java.nio.file.Path;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.rll4j.ui.RetrievalUIModule;

/**
 * Serves a run's {@code stats.dl4j} (e.g. {@link ResumableTraining}'s) in DL4J's training UI: the stock pages plus
 * rll4j's retrieval page, which DL4J's server loads by itself from rll-ui's jar (nothing to register).
 *
 * <p>Usage: {@code ServeRetrievalPage [RUN_DIR]}; the port is DL4J's {@code -Dorg.deeplearning4j.ui.port}
 * (default 9000), and DL4J's server listens on all network interfaces.
 */
public final class ServeRetrievalPage {

    private ServeRetrievalPage() {
    }

    public static void main(String[] args) throws Exception {
        Path run = Path.of(args.length > 0 ? args[0] : "runs/resumable-training");
        String page = serve(run.resolve("stats.dl4j"));
        System.out.println("retrieval charts: " + page + " (stock pages: /train/overview); press Enter to stop");
        System.in.read();
        UIServer.stopInstance();
    }

    /**
     * Starts DL4J's UI server (or takes the running one) and attaches a stats file to it.
     *
     * @return the address of the retrieval page
     */
    public static String serve(Path statsFile) {
        StatsStorage stats = new FileStatsStorage(statsFile.toFile());
        UIServer ui = UIServer.getInstance();
        ui.attach(stats);
        return "http://localhost:" + ui.getPort() + RetrievalUIModule.PAGE_PATH;
    }
}
