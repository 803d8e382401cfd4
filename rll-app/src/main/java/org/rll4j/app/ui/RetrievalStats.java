package org.rll4j.app.ui;

/**
 * The old name of {@link org.rll4j.listeners.RetrievalStats}, kept for the stats files written before the class
 * moved to rll-listeners: {@code FileStatsStorage} stores each record's class name and re-creates the record by
 * that name, so the run directories of earlier versions ({@code stats.dl4j}) name this class. It decodes the same
 * records and is one (an instance of the new class), so {@code ./rll ui} and {@code --resume} read those files as
 * before. Nothing writes it any more.
 *
 * @deprecated use {@link org.rll4j.listeners.RetrievalStats}; this class stays only so that old stats files open
 */
@Deprecated
public final class RetrievalStats extends org.rll4j.listeners.RetrievalStats {

    private static final long serialVersionUID = 1L;

    /** An empty record, filled by {@link #decode(byte[])}: what {@code FileStatsStorage} does with old records. */
    public RetrievalStats() {
        super();
    }
}
