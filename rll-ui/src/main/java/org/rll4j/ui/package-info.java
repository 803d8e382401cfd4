/**
 * The retrieval page of the DL4J training UI, as a module to add next to {@code deeplearning4j-ui}.
 *
 * <p>The stock DL4J training UI charts only what {@code StatsListener} records (score, updates,
 * memory); it has no place for Recall@K, MAP@R or NMI (DL4J issue #4248). This package adds them
 * without forking the UI:
 * <ul>
 *   <li>{@link org.rll4j.listeners.RetrievalStats} (rll-listeners) stores the metrics of each evaluation as records in
 *       the same {@code StatsStorage} as the {@code StatsListener}, so they survive in a stats file;
 *       {@code RetrievalEvaluationListener} writes them during {@code fit}.</li>
 *   <li>{@link org.rll4j.ui.RetrievalUIModule} is a DL4J {@code UIModule}, listed in this jar's
 *       {@code META-INF/services/org.deeplearning4j.ui.api.UIModule}, so DL4J's UI server loads it by
 *       itself and serves {@code /rll/retrieval}: a self-contained page charting every metric over
 *       the iterations, updated while training runs.</li>
 * </ul>
 * Nothing here starts a server, picks a backend or a logging implementation: start DL4J's server
 * as usual ({@code UIServer.getInstance()}) and attach the storage.
 */
package org.rll4j.ui;
