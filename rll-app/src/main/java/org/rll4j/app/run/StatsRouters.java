package org.rll4j.app.run;

import java.util.Collection;
import java.util.List;

import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.core.storage.StorageMetaData;
import org.deeplearning4j.core.storage.impl.RemoteUIStatsStorageRouter;

/** DL4J stats routers: several at once (a run's stats file and a remote UI), and closing the remote one. */
final class StatsRouters {

    private StatsRouters() {
    }

    /**
     * Closes DL4J's remote router once it has posted what it holds (at most {@code maxMillis}). Its
     * {@code close()} stops its posting thread at once and drops what is still queued (the run's last evaluation,
     * typically); the queue is private, so it is read reflectively, and a DL4J without that field gets a plain close.
     */
    static void closeWhenPosted(RemoteUIStatsStorageRouter router, long maxMillis) {
        try {
            java.lang.reflect.Field f = RemoteUIStatsStorageRouter.class.getDeclaredField("queue");
            f.setAccessible(true);
            long end = System.nanoTime() + maxMillis * 1_000_000L;
            while (System.nanoTime() < end) {
                Collection<?> queue = (Collection<?>) f.get(router);
                if (queue == null || queue.isEmpty()) {
                    break;
                }
                Thread.sleep(50);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another DL4J: close as it is
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        router.close(); // the batch being posted is finished; its thread stops after it
    }

    /** A router that puts everything into each of {@code routers}, in order. */
    static StatsStorageRouter both(StatsStorageRouter... routers) {
        List<StatsStorageRouter> all = List.of(routers);
        return new StatsStorageRouter() {
            @Override
            public void putStorageMetaData(StorageMetaData m) {
                all.forEach(r -> r.putStorageMetaData(m));
            }

            @Override
            public void putStorageMetaData(Collection<? extends StorageMetaData> m) {
                all.forEach(r -> r.putStorageMetaData(m));
            }

            @Override
            public void putStaticInfo(Persistable p) {
                all.forEach(r -> r.putStaticInfo(p));
            }

            @Override
            public void putStaticInfo(Collection<? extends Persistable> p) {
                all.forEach(r -> r.putStaticInfo(p));
            }

            @Override
            public void putUpdate(Persistable p) {
                all.forEach(r -> r.putUpdate(p));
            }

            @Override
            public void putUpdate(Collection<? extends Persistable> p) {
                all.forEach(r -> r.putUpdate(p));
            }
        };
    }
}
