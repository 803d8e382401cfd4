package org.rll4j.spark;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.rll4j.sampler.ResumableIterator;

/**
 * Per executor thread, the resumable iterator that built a source's last batch, so that a partition of consecutive
 * coordinates costs one iterator, not one per batch: {@link #batch} reuses it when the requested batch is the one it
 * would hand out next, and otherwise opens a new one positioned at the coordinate (an rll4j iterator built at
 * {@code (firstEpoch, firstBatch)} hands out exactly the batches an uninterrupted one would from there). Iterators are
 * per thread because they are not thread-safe; a replaced one is closed when it is {@link AutoCloseable}.
 */
public final class BatchCursors {

    /** Opens an iterator whose next batch is at the given position. */
    @FunctionalInterface
    public interface Opener {
        /**
         * @param at the position of the first batch it must hand out
         * @return a resumable DataSetIterator at that position
         * @throws IOException when the data cannot be opened
         */
        DataSetIterator open(ResumableIterator.Position at) throws IOException;
    }

    private static final ThreadLocal<Map<String, DataSetIterator>> OPEN = ThreadLocal.withInitial(HashMap::new);

    private BatchCursors() {
    }

    /**
     * Batch {@code (epoch, batchInEpoch)} of the source named {@code key}.
     *
     * @param key identifies the source and its settings (two sources with the same key must give the same batches)
     * @param epoch the epoch
     * @param batchInEpoch the batch within it
     * @param opener opens an iterator at a position; the iterator must implement {@link ResumableIterator}
     * @return the batch
     * @throws IOException when opening or reading fails
     */
    public static DataSet batch(String key, long epoch, int batchInEpoch, Opener opener) throws IOException {
        Map<String, DataSetIterator> open = OPEN.get();
        ResumableIterator.Position want = new ResumableIterator.Position(epoch, batchInEpoch);
        DataSetIterator it = open.get(key);
        if (it != null && !want.equals(((ResumableIterator) it).resumePosition())) {
            close(open.remove(key));
            it = null;
        }
        if (it == null) {
            it = opener.open(want);
            if (!(it instanceof ResumableIterator r)) {
                close(it);
                throw new IllegalArgumentException("the opener of " + key + " returned a " + it.getClass().getName()
                        + ", which is not a ResumableIterator");
            }
            if (!want.equals(r.resumePosition())) {
                close(it);
                throw new IllegalStateException("the opener of " + key + " returned an iterator at " + r.resumePosition()
                        + ", asked for " + want);
            }
            open.put(key, it);
        }
        if (!it.hasNext()) {
            it.reset(); // at an epoch's end: resumePosition() said the next epoch's first batch
        }
        return it.next();
    }

    /** Closes this thread's iterators (e.g. when a task ends); the next {@link #batch} opens new ones. */
    public static void closeAll() {
        Map<String, DataSetIterator> open = OPEN.get();
        open.values().forEach(BatchCursors::close);
        open.clear();
    }

    private static void close(DataSetIterator it) {
        if (it instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // an iterator that cannot close its decode threads is dropped anyway
            }
        }
    }
}
