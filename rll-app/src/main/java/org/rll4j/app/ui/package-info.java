/**
 * The DL4J training UI of the rll4j runner, with a page for retrieval metrics.
 *
 * <p>The stock DL4J training UI charts only what {@code StatsListener} records (score, updates,
 * memory). Retrieval metrics (Recall@K, MAP@R, NMI) go into the same {@code StatsStorage} as
 * {@link org.rll4j.app.ui.RetrievalStats} records, so they survive in the run's stats file.
 */
package org.rll4j.app.ui;
