package org.rll4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The workers' guard: whole C x K batches pass and are counted, split, merged or unbalanced ones fail the task. */
class WholeBatchHookTest {

    private static INDArray ids(int... classes) {
        return Nd4j.createFromArray(classes).reshape(classes.length, 1).castTo(DataType.FLOAT);
    }

    @Test
    void passesWholeBatchesAndRejectsOthers() {
        LongAccumulator count = LocalSpark.context().sc().longAccumulator();
        CollectionAccumulator<FittedBatch> record = LocalSpark.context().sc().collectionAccumulator();
        WholeBatchHook hook = new WholeBatchHook(2, 3, count, record);
        INDArray whole = ids(4, 1, 4, 1, 4, 1);
        INDArray f = Nd4j.rand(DataType.FLOAT, 6, 5);
        hook.preUpdate(new MultiDataSet(new INDArray[] {f}, new INDArray[] {whole, whole}), null);
        assertEquals(1, count.value());
        assertEquals(1, record.value().size());
        assertTrue(record.value().get(0).isWhole(2, 3));
        assertEquals(f.sumNumber().doubleValue(), record.value().get(0).featureSum(), 0);

        INDArray half = whole.get(NDArrayIndex.interval(0, 3), NDArrayIndex.all());
        IllegalStateException split = assertThrows(IllegalStateException.class, () -> hook.preUpdate(
                new MultiDataSet(new INDArray[] {f.get(NDArrayIndex.interval(0, 3), NDArrayIndex.all())}, new INDArray[] {half}), null));
        assertTrue(split.getMessage().contains("3 rows") && split.getMessage().contains("C = 2 classes x K = 3"), split.getMessage());
        assertThrows(IllegalStateException.class, () -> hook.preUpdate(new MultiDataSet(new INDArray[] {f},
                new INDArray[] {ids(4, 4, 4, 4, 1, 1)}), null));
        assertThrows(IllegalStateException.class, () -> hook.preUpdate(new MultiDataSet(new INDArray[] {f},
                new INDArray[] {whole, ids(1, 1, 1, 4, 4, 4)}), null));
        assertEquals(1, count.value(), "only whole batches are counted");
    }

    @Test
    void wholeMeansExactlyCClassesOfK() {
        assertTrue(new FittedBatch(6, new int[] {0, 0, 0, 9, 9, 9}, 0).isWhole(2, 3));
        assertFalse(new FittedBatch(6, new int[] {0, 0, 0, 0, 9, 9}, 0).isWhole(2, 3));
        assertFalse(new FittedBatch(6, new int[] {0, 0, 1, 1, 2, 2}, 0).isWhole(2, 3));
        assertFalse(new FittedBatch(6, new int[] {0, 0, 0, 0, 0, 0}, 0).isWhole(2, 3));
        assertFalse(new FittedBatch(9, new int[] {0, 0, 0, 1, 1, 1, 2, 2, 2}, 0).isWhole(2, 3));
    }

    @Test
    void aBatchTheLoaderCannotBuildFailsOnTheTrainingThreadNamingItsCause() {
        BatchSource unreadable = new BatchSource() {
            @Override
            public int batchesPerEpoch() {
                return 4;
            }

            @Override
            public int batchSize() {
                return 6;
            }

            @Override
            public org.nd4j.linalg.dataset.DataSet batch(long epoch, int batchInEpoch) throws java.io.IOException {
                throw new java.io.IOException("cannot decode /shared/cars/12/0007.jpg");
            }

            @Override
            public String describe() {
                return "4 batches of 2 x 3";
            }
        };
        BatchLoader loader = new BatchLoader(unreadable, 2);
        // the loader itself does not throw: it may run on DL4J's prefetch thread, where an exception hangs the worker
        org.nd4j.linalg.dataset.api.MultiDataSet failed = loader.load(source(BatchPaths.of(new org.rll4j.sampler.ResumableIterator.Position(3, 1))));
        org.nd4j.linalg.dataset.api.MultiDataSet outOfRange = loader.load(source(BatchPaths.of(new org.rll4j.sampler.ResumableIterator.Position(0, 9))));

        assertEquals(6, failed.getFeatures(0).size(0), "C x K rows, so that DL4J's re-batching passes it on alone");
        LongAccumulator count = LocalSpark.context().sc().longAccumulator();
        WholeBatchHook hook = new WholeBatchHook(2, 3, count, null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> hook.preUpdate(failed, null));
        assertTrue(e.getMessage().contains("epoch-3/batch-1") && e.getMessage().contains("cannot decode /shared/cars/12/0007.jpg"),
                e.getMessage());
        assertTrue(e.getCause() instanceof java.io.IOException, "the loader's exception is the cause: " + e.getCause());
        IllegalStateException range = assertThrows(IllegalStateException.class, () -> hook.preUpdate(outOfRange, null));
        assertTrue(range.getMessage().contains("batch 9 of epoch 0 asked") && range.getMessage().contains("has 4 batches"),
                range.getMessage());
        assertEquals(0, count.value(), "nothing was fitted");
    }

    private static org.nd4j.common.loader.Source source(String path) {
        return new org.nd4j.common.loader.Source() {
            @Override
            public java.io.InputStream getInputStream() {
                throw new UnsupportedOperationException("the batch is built from its path alone");
            }

            @Override
            public String getPath() {
                return path;
            }
        };
    }

    @Test
    void batchPathsRoundTrip() {
        org.rll4j.sampler.ResumableIterator.Position p = new org.rll4j.sampler.ResumableIterator.Position(12, 345);
        assertEquals(p, BatchPaths.parse(BatchPaths.of(p)));
        assertThrows(IllegalArgumentException.class, () -> BatchPaths.parse("hdfs:///data/batch-1.bin"));
    }
}
