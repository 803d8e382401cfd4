/**
 * The DL4J training UI of the rll4j runner, with a page for retrieval metrics.
 *
 * <p>The stock DL4J training UI charts only what {@code StatsListener} records (score, updates,
 * memory); it has no place for Recall@K, MAP@R or NMI (DL4J issue #4248). This package adds them
 * without forking the UI:
 * <ul>
 *   <li>{@link org.rll4j.listeners.RetrievalStats} (rll-listeners) stores the metrics of each evaluation as records in
 *       the same {@code StatsStorage} as the {@code StatsListener} (usually the run's
 *       {@code FileStatsStorage}), so they survive in the stats file.</li>
 *   <li>{@link org.rll4j.ui.RetrievalUIModule} (rll-ui) is a DL4J {@code UIModule}, found by the UI
 *       server through {@code ServiceLoader}, that serves {@code /rll/retrieval}: a self-contained
 *       page charting every metric over the iterations, updated while training runs.</li>
 *   <li>{@link org.rll4j.app.ui.TrainingUi} starts and stops the server for a run, on
 *       {@code 127.0.0.1} by default (DL4J's own server always listens on all interfaces), or
 *       serves an old run's stats file read-only.</li>
 * </ul>
 *
 * <p>Typical use by the trainer (from {@code TrainingUiTest.javadocExample}):
 * <pre>{@code
 * FileStatsStorage storage = new FileStatsStorage(runDir.resolve("ui-stats.dl4j").toFile());
 * StatsListener stats = new StatsListener(storage);
 * net.setListeners(stats);
 * try (TrainingUi ui = TrainingUi.start(0, true, storage)) {     // port 0: any free port
 *     System.out.println("Training UI: " + ui.url() + "  retrieval metrics: " + ui.retrievalUrl());
 *     net.fit(batch);
 *     RetrievalStats.put(storage, stats.getSessionID(), "worker0", net.getIterationCount(), net.getEpochCount(),
 *             Map.of("Recall@1", 0.42, "MAP@R", 0.17));
 *     List<RetrievalStats.Point> points = RetrievalStats.read(storage, stats.getSessionID());
 * }
 * storage.close();
 * }</pre>
 * An old run's stats file is served with {@code TrainingUi.view(statsFile, port)}.
 */
package org.rll4j.app.ui;
