package org.rll4j.app.ui;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import io.vertx.core.Vertx;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.VertxUIServer;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.rll4j.listeners.RetrievalStats;
import org.rll4j.ui.RetrievalUIModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DL4J training UI of a run: the stock pages ({@code /train/overview}, {@code /train/model},
 * {@code /train/system}) plus the retrieval page of {@link RetrievalUIModule}
 * ({@code /rll/retrieval}), served from one {@link StatsStorage}.
 *
 * <p>Example (from {@code TrainingUiTest.javadocExample}):
 * <pre>{@code
 * FileStatsStorage storage = new FileStatsStorage(runDir.resolve("ui-stats.dl4j").toFile());
 * StatsListener stats = new StatsListener(storage);
 * net.setListeners(stats);
 * try (TrainingUi ui = TrainingUi.start(0, true, storage)) {     // port 0: any free port
 *     System.out.println("Training UI: " + ui.url() + "  retrieval metrics: " + ui.retrievalUrl());
 *     net.fit(batch);
 *     RetrievalStats.put(storage, stats.getSessionID(), "worker0", net.getIterationCount(), net.getEpochCount(),
 *             Map.of("Recall@1", 0.42, "MAP@R", 0.17));
 * }
 * storage.close();
 * }</pre>
 * For an earlier run: {@code TrainingUi.view(statsFile, port)}.
 *
 * <h2>Binding</h2>
 * DL4J 1.0.0-M2.1's own {@code UIServer.getInstance()} always listens on all interfaces
 * ({@code 0.0.0.0}): Vert.x 3.9's {@code listen(port, handler)} hard-codes that address and no
 * system property changes it. {@code TrainingUi} starts DL4J's server through a subclass that
 * makes it listen on {@code 127.0.0.1} when {@code localhostOnly} is true (the default the runner
 * should use), or on {@code 0.0.0.0} when it is false, so that the UI is reachable from other
 * machines, without authentication. The port is the one given here; DL4J's
 * {@code org.deeplearning4j.ui.port} property is not consulted.
 *
 * <h2>Lifecycle</h2>
 * DL4J allows one UI server per JVM ({@code VertxUIServer.getInstance()} is static); while a
 * {@code TrainingUi} is open it is that instance, and code that calls
 * {@code UIServer.getInstance()} gets it. Starting a second one while one runs throws
 * {@link IllegalStateException}. {@link #close()} detaches the storage and stops the server, after
 * which a new one can start (on the same port). The server's Vert.x threads are not daemon
 * threads: a JVM with an open {@code TrainingUi} does not end when {@code main} returns, the same
 * as with DL4J's own server, so close it (or leave it open on purpose to keep the charts up).
 * {@code close()} does not close the caller's storage.
 */
public final class TrainingUi implements AutoCloseable {

    /** DL4J's default UI port. */
    public static final int DEFAULT_PORT = VertxUIServer.DEFAULT_UI_PORT;

    private static final Logger log = LoggerFactory.getLogger(TrainingUi.class);
    private static final long START_TIMEOUT_SECONDS = 60;
    private static final Object LIFECYCLE_LOCK = new Object();

    private final BoundUIServer server;
    private final StatsStorage storage;
    private final boolean ownsStorage;
    private final Path tempDir;
    private final int port;
    private boolean closed;

    private TrainingUi(BoundUIServer server, StatsStorage storage, boolean ownsStorage, Path tempDir) {
        this.server = server;
        this.storage = storage;
        this.ownsStorage = ownsStorage;
        this.tempDir = tempDir;
        this.port = server.getPort();
    }

    /**
     * Starts the DL4J UI server and attaches {@code storage} to it.
     *
     * @param port the TCP port, 1 to 65535, or 0 for a free port chosen by the system (read it back
     *        with {@link #port()} or {@link #url()})
     * @param localhostOnly true to listen on {@code 127.0.0.1} only (recommended); false to listen on
     *        all interfaces, which exposes the UI, unauthenticated, to the network
     * @param storage the storage the run's {@code StatsListener} and {@link RetrievalStats#put}
     *        write to; it stays open after {@link #close()}
     * @return the running UI
     * @throws IllegalArgumentException if {@code port} is outside [0, 65535]
     * @throws IllegalStateException if a DL4J UI server already runs in this JVM
     * @throws UncheckedIOException if the port is busy (the message names the port and the fix) or
     *         the server fails to start otherwise
     */
    public static TrainingUi start(int port, boolean localhostOnly, StatsStorage storage) {
        Objects.requireNonNull(storage, "storage");
        return start(port, localhostOnly, storage, false, null);
    }

    /**
     * Serves the stats file of an earlier run, read-only, with the stock pages and the retrieval
     * page, on {@code 127.0.0.1}.
     *
     * <p>The file is never opened itself: DL4J's {@code FileStatsStorage} (MapDB) opens files for
     * writing, locks them and may rewrite them, so this copies the file (and MapDB's
     * {@code .wal.*} files beside it, if any) to a temporary directory and serves the copy. That
     * also works while the run is still writing, and shows the file as it was when copied.
     * {@link #close()} deletes the copy.
     *
     * @param statsFile the run's {@code FileStatsStorage} file
     * @param port the TCP port, or 0 for a free port
     * @return the running UI
     * @throws UncheckedIOException if the file does not exist, is not a DL4J stats file, or the
     *         port is busy
     * @throws IllegalArgumentException if {@code port} is outside [0, 65535]
     * @throws IllegalStateException if a DL4J UI server already runs in this JVM
     */
    public static TrainingUi view(Path statsFile, int port) {
        Objects.requireNonNull(statsFile, "statsFile");
        checkPort(port);
        if (!Files.isRegularFile(statsFile)) {
            throw new UncheckedIOException(new NoSuchFileException(statsFile.toString(), null,
                    "no such stats file (pass the stats file of a run)"));
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("rll-ui-view-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for a copy of " + statsFile, e);
        }
        FileStatsStorage storage = null;
        try {
            Path copy = copyWithWal(statsFile, dir);
            try {
                storage = new FileStatsStorage(copy.toFile());
            } catch (RuntimeException e) {
                throw new UncheckedIOException(new IOException("cannot read " + statsFile
                        + " as a DL4J stats file (FileStatsStorage): " + e.getMessage(), e));
            }
            return start(port, true, storage, true, dir);
        } catch (RuntimeException e) {
            if (storage != null) {
                storage.close();
            }
            deleteRecursively(dir);
            throw e;
        }
    }

    /**
     * Starts a UI that receives the stats of runs elsewhere (DL4J's remote-listener mode): a run with
     * {@code ui.remote: http://this-host:port} (its process, or the driver of a Spark run) posts its DL4J stats and its
     * retrieval metrics here, with a {@code RemoteUIStatsStorageRouter}; they are put into {@code storage} and shown
     * on the stock pages and the retrieval page. Anyone who can reach the port can post: bind to all interfaces only
     * on a network you trust.
     *
     * @param port the TCP port, or 0 for a free port
     * @param localhostOnly listen on {@code 127.0.0.1} only (runs on this machine) or on all interfaces
     * @param storage where received stats go; it stays open after {@link #close()}
     * @return the running UI
     * @throws UncheckedIOException if the port is busy
     * @throws IllegalStateException if a DL4J UI server already runs in this JVM
     */
    public static TrainingUi receive(int port, boolean localhostOnly, StatsStorage storage) {
        Objects.requireNonNull(storage, "storage");
        TrainingUi ui = start(port, localhostOnly, storage, false, null);
        ui.server.enableRemoteListener(storage, true);
        return ui;
    }

    private static TrainingUi start(int port, boolean localhostOnly, StatsStorage storage, boolean ownsStorage,
            Path tempDir) {
        checkPort(port);
        String host = localhostOnly ? "127.0.0.1" : "0.0.0.0";
        synchronized (LIFECYCLE_LOCK) {
            VertxUIServer running = VertxUIServer.getInstance();
            if (running != null && !running.isStopped()) {
                throw new IllegalStateException("a DL4J UI server already runs in this JVM at " + running.getAddress()
                        + "; close it (TrainingUi.close() or UIServer.stopInstance()) before starting another");
            }
            BoundUIServer server = new BoundUIServer(host, port);
            CompletableFuture<String> deployed = new CompletableFuture<>();
            Vertx.vertx().deployVerticle(server, ar -> {
                if (ar.succeeded()) {
                    deployed.complete(ar.result());
                } else {
                    deployed.completeExceptionally(ar.cause());
                }
            });
            try {
                deployed.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                stopAfterFailedStart(server);
                throw startFailure(e.getCause(), host, port, ownsStorage ? "--port" : "--ui-port");
            } catch (TimeoutException e) {
                stopAfterFailedStart(server);
                throw new UncheckedIOException(new IOException("the DL4J UI server did not start within "
                        + START_TIMEOUT_SECONDS + " s on " + host + ":" + port, e));
            } catch (InterruptedException e) {
                stopAfterFailedStart(server);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the DL4J UI server", e);
            }
            server.attach(storage);
            TrainingUi ui = new TrainingUi(server, storage, ownsStorage, tempDir);
            log.info("DL4J training UI on {}:{}: {} (retrieval metrics: {})", host, ui.port, ui.url(),
                    ui.retrievalUrl());
            return ui;
        }
    }

    /**
     * The port the server listens on.
     *
     * @return the port; the one the system chose when started with port 0
     */
    public int port() {
        return port;
    }

    /**
     * The base address; DL4J redirects it to the overview page.
     *
     * @return {@code http://localhost:PORT}
     */
    public String url() {
        return "http://localhost:" + port;
    }

    /**
     * The stock training overview page.
     *
     * @return {@code http://localhost:PORT/train/overview}
     */
    public String overviewUrl() {
        return url() + "/train/overview";
    }

    /**
     * The retrieval metrics page of {@link RetrievalUIModule}.
     *
     * @return {@code http://localhost:PORT/rll/retrieval}
     */
    public String retrievalUrl() {
        return url() + RetrievalUIModule.PAGE_PATH;
    }

    /**
     * Whether the server is reachable from this machine only.
     *
     * @return true if the server listens on {@code 127.0.0.1} only, false if on all interfaces
     */
    public boolean localhostOnly() {
        return server.host().equals("127.0.0.1");
    }

    /**
     * Detaches the storage and stops the server; for {@link #view}, also closes and deletes the
     * copy of the stats file. Idempotent.
     */
    @Override
    public void close() {
        synchronized (LIFECYCLE_LOCK) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                server.detach(storage);
                stop(server);
            } finally {
                if (ownsStorage) {
                    try {
                        storage.close();
                    } catch (IOException | RuntimeException e) {
                        log.warn("closing the copied stats storage failed", e);
                    } catch (IllegalAccessError e) {
                        // at JVM exit (Ctrl-C) MapDB's own shutdown hook may have closed the copy first
                        log.debug("the copied stats storage was already closed", e);
                    }
                }
                if (tempDir != null) {
                    deleteRecursively(tempDir);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TrainingUi{" + url() + (localhostOnly() ? ", localhost only" : ", all interfaces")
                + (closed ? ", closed" : "") + "}";
    }

    private static void stop(BoundUIServer server) {
        try {
            if (VertxUIServer.getInstance() == server) {
                VertxUIServer.stopInstance();   // also clears DL4J's static instance
            } else {
                server.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the DL4J UI server", e);
        } catch (Exception e) {
            throw new IllegalStateException("stopping the DL4J UI server failed: " + e.getMessage(), e);
        }
    }

    /** Releases what a failed start holds, so that the next start is possible; keeps the start's error. */
    private static void stopAfterFailedStart(BoundUIServer server) {
        try {
            stop(server);
        } catch (RuntimeException e) {
            log.warn("cleaning up after a failed UI server start failed", e);
        }
    }

    /** @param option the command-line option that sets the port ({@code --ui-port} of train, {@code --port} of ui) */
    private static RuntimeException startFailure(Throwable cause, String host, int port, String option) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                BindException bind = new BindException("UI port " + port + " is busy on " + host + " ("
                        + t.getMessage() + "): choose another port with " + option + " N, or " + option + " 0 for a free one");
                bind.initCause(cause);
                return new UncheckedIOException(bind.getMessage(), bind);
            }
        }
        return new UncheckedIOException(new IOException("the DL4J UI server failed to start on " + host + ":" + port
                + ": " + cause, cause));
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ui port must be in [0, 65535] (0 picks a free port), found " + port);
        }
    }

    private static Path copyWithWal(Path statsFile, Path dir) {
        String name = statsFile.getFileName().toString();
        Path copy = dir.resolve(name);
        try {
            Files.copy(statsFile, copy, StandardCopyOption.COPY_ATTRIBUTES);
            Path parent = statsFile.toAbsolutePath().getParent();
            try (DirectoryStream<Path> wal = Files.newDirectoryStream(parent, glob(name) + ".wal.*")) {
                for (Path p : wal) {
                    Files.copy(p, dir.resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + statsFile + " to " + dir, e);
        }
        return copy;
    }

    /** Escapes the glob metacharacters of a file name. */
    private static String glob(String name) {
        return name.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("cannot delete temporary file {}", p, e);
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete temporary directory {}", dir, e);
        }
    }
}
