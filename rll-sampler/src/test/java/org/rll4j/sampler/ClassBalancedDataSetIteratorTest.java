package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ClassBalancedDataSetIteratorTest {

    /** Values per example of the rank-4 fixture, [2, 3, 2]. */
    private static final int PER = 12;
    /**
     * Class of every example, in a mixed order: class 0 has 6 examples, 1 has 5, 2 has 4, 3 has 3, class 4 a single one
     * (ineligible: never drawn) and class 5 has 2.
     */
    private static final int[] IDS = {3, 0, 1, 2, 0, 5, 1, 4, 2, 0, 3, 1, 0, 2, 1, 5, 0, 3, 2, 1, 0};
    private static final int CLASSES = 6;

    /** Example i is {@code [2, 3, 2]} holding {@code 12 i .. 12 i + 11}, so every value tells its row. */
    private static INDArray features(DataType type) {
        return Nd4j.arange(IDS.length * PER).reshape(IDS.length, 2, 3, 2).castTo(type);
    }

    private static INDArray idColumn() {
        return Nd4j.createFromArray(IDS).castTo(DataType.FLOAT).reshape(-1, 1);
    }

    private static ClassBalancedDataSetIterator.Builder digitsLike(DataType type) {
        return ClassBalancedDataSetIterator.builder().features(features(type)).labels(idColumn())
                .classesPerBatch(2).samplesPerClass(3).seed(7);
    }

    /** The example (row of the fixture) behind each row of a batch. */
    private static int[] rowsOf(DataSet batch) {
        double[] first = batch.getFeatures().reshape(batch.numExamples(), PER).getColumn(0).castTo(DataType.DOUBLE)
                .toDoubleVector();
        return Arrays.stream(first).mapToInt(v -> (int) v / PER).toArray();
    }

    /** The rows of every batch of the next {@code batches} batches, resetting at the end of an epoch. */
    private static List<int[]> take(ClassBalancedDataSetIterator it, int batches) {
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            if (!it.hasNext()) {
                it.reset();
            }
            out.add(rowsOf(it.next()));
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"DOUBLE", "FLOAT", "HALF", "INT"})
    void everyBatchHoldsCClassesOfKExamplesWithTheirOwnFeatureRows(DataType type) {
        INDArray x = features(type);
        ClassBalancedDataSetIterator it = digitsLike(type).build();
        assertEquals(it.sampler().batchesPerEpoch(), it.batchesInEpoch());
        for (int epoch = 0; epoch < 3; epoch++) {
            int batches = 0;
            while (it.hasNext()) {
                DataSet batch = it.next();
                batches++;
                assertEquals(type, batch.getFeatures().dataType(), "features keep their data type");
                assertArrayEquals(new long[] {6, 2, 3, 2}, batch.getFeatures().shape());
                assertArrayEquals(new long[] {6, 1}, batch.getLabels().shape());
                int[] rows = rowsOf(batch);
                float[] labels = batch.getLabels().toFloatVector();
                Set<Integer> classes = new LinkedHashSet<>();
                for (int r = 0; r < rows.length; r++) {
                    assertEquals(x.get(NDArrayIndex.point(rows[r])), batch.getFeatures().get(NDArrayIndex.point(r)),
                            "row " + r + " holds example " + rows[r]);
                    assertEquals(IDS[rows[r]], (int) labels[r], "row " + r + " carries its example's class");
                    assertEquals(IDS[rows[r - r % 3]], IDS[rows[r]], "the K = 3 examples of a class are together");
                    classes.add(IDS[rows[r]]);
                }
                assertEquals(2, classes.size(), "C = 2 distinct classes: " + classes);
                assertFalse(classes.contains(4), "class 4 has a single example and is never drawn");
            }
            assertEquals(it.batchesInEpoch(), batches);
            assertEquals(epoch, it.epoch());
            it.reset();
        }
    }

    @Test
    void rank2FeaturesAreGatheredRowByRowToo() {
        INDArray x = features(DataType.FLOAT).reshape(IDS.length, PER);
        DataSet batch = ClassBalancedDataSetIterator.builder().features(x).labels(idColumn())
                .classesPerBatch(2).samplesPerClass(3).build().next();
        int[] rows = Arrays.stream(batch.getFeatures().getColumn(0).toDoubleVector()).mapToInt(v -> (int) v / PER).toArray();
        assertEquals(x.getRows(rows), batch.getFeatures());
    }

    @Test
    void batchAtGivesTheBatchOfThatPositionWithoutMovingTheIterator() {
        ClassBalancedDataSetIterator sequential = digitsLike(DataType.FLOAT).build();
        ClassBalancedDataSetIterator random = digitsLike(DataType.FLOAT).build();
        int perEpoch = sequential.batchesInEpoch();
        for (long e = 0; e < 3; e++) {
            for (int b = 0; b < perEpoch; b++) {
                if (!sequential.hasNext()) {
                    sequential.reset();
                }
                assertEquals(sequential.next(), random.batchAt(e, b), "epoch " + e + ", batch " + b);
            }
        }
        assertEquals(new ResumableIterator.Position(0, 0), random.resumePosition());
        assertThrows(IllegalArgumentException.class, () -> random.batchAt(0, perEpoch));
        assertThrows(IllegalArgumentException.class, () -> random.batchAt(-1, 0));
    }

    @Test
    void theSameSeedGivesTheSameBatchesAndAnotherSeedOthers() {
        List<int[]> a = take(digitsLike(DataType.FLOAT).seed(1).build(), 12);
        List<int[]> b = take(digitsLike(DataType.FLOAT).seed(1).build(), 12);
        List<int[]> c = take(digitsLike(DataType.FLOAT).seed(2).build(), 12);
        assertEquals(render(a), render(b));
        assertNotEquals(render(a), render(c));
    }

    private static String render(List<int[]> batches) {
        StringBuilder s = new StringBuilder();
        for (int[] b : batches) {
            s.append(Arrays.toString(b)).append('\n');
        }
        return s.toString();
    }

    @Test
    void oneHotAndClassIdLabelsGiveTheSameBatches() {
        INDArray oneHot = LabelEncoding.ONE_HOT.encode(idColumn(), CLASSES, DataType.FLOAT);
        ClassBalancedDataSetIterator byIds = digitsLike(DataType.FLOAT).build();
        ClassBalancedDataSetIterator byOneHot = digitsLike(DataType.FLOAT).labels(oneHot).build();
        for (int b = 0; b < byIds.batchesInEpoch(); b++) {
            assertEquals(byIds.next(), byOneHot.next(), "batch " + b);
        }
    }

    @Test
    void labelsCanBeEmittedOneHot() {
        ClassBalancedDataSetIterator it = digitsLike(DataType.FLOAT).labelEncoding(LabelEncoding.ONE_HOT).build();
        assertEquals(CLASSES, it.totalOutcomes());
        DataSet batch = it.next();
        assertArrayEquals(new long[] {6, CLASSES}, batch.getLabels().shape());
        int[] rows = rowsOf(batch);
        long[] ids = LabelIds.classIds(batch.getLabels(), "test");
        for (int r = 0; r < rows.length; r++) {
            assertEquals(IDS[rows[r]], ids[r]);
        }
    }

    @Test
    void resumingAtAnEpochAndBatchContinuesTheUninterruptedSequence() {
        ClassBalancedDataSetIterator uninterrupted = digitsLike(DataType.FLOAT).build();
        int perEpoch = uninterrupted.batchesInEpoch();
        assertTrue(perEpoch >= 3, "the fixture must have a few batches per epoch: " + perEpoch);
        List<int[]> all = take(uninterrupted, 3 * perEpoch);
        // stopped after batch 1 of epoch 1: the checkpoint holds epoch() = 1 and batchInEpoch() = 2
        ClassBalancedDataSetIterator stopped = digitsLike(DataType.FLOAT).build();
        take(stopped, perEpoch + 2);
        assertEquals(1, stopped.epoch());
        assertEquals(2, stopped.batchInEpoch());
        ClassBalancedDataSetIterator resumed = digitsLike(DataType.FLOAT).firstEpoch(stopped.epoch())
                .firstBatch(stopped.batchInEpoch()).build();
        assertEquals(render(all.subList(perEpoch + 2, all.size())), render(take(resumed, 2 * perEpoch - 2)));
        assertEquals(2, resumed.epoch());
    }

    @Test
    void theResumePositionIsTheNextBatchOrAfterTheLastOneTheNextEpochsFirst() {
        ClassBalancedDataSetIterator uninterrupted = digitsLike(DataType.FLOAT).build();
        int perEpoch = uninterrupted.batchesInEpoch();
        List<int[]> all = take(uninterrupted, 3 * perEpoch);
        ClassBalancedDataSetIterator it = digitsLike(DataType.FLOAT).build();
        assertEquals(new ResumableIterator.Position(0, 0), it.resumePosition());
        take(it, 1);
        assertEquals(new ResumableIterator.Position(0, 1), it.resumePosition());
        take(it, perEpoch - 1);
        assertFalse(it.hasNext());
        ResumableIterator.Position end = it.resumePosition();
        assertEquals(new ResumableIterator.Position(1, 0), end, "after the epoch's last batch: the next epoch's first");
        ClassBalancedDataSetIterator resumed = digitsLike(DataType.FLOAT).firstEpoch(end.epoch())
                .firstBatch(end.batchInEpoch()).build();
        assertEquals(render(all.subList(perEpoch, all.size())), render(take(resumed, 2 * perEpoch)));
    }

    @Test
    void aNegativePositionIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ResumableIterator.Position(0, -1));
        assertEquals("batchInEpoch must be >= 0, found -1", e.getMessage());
    }

    @Test
    void collectingAnotherIteratorsExamplesGivesTheSameBatchesAsTheArrays() {
        INDArray x = features(DataType.FLOAT);
        ViewIterator source = new ViewIterator(new DataSet(x, idColumn()), 5);
        ClassBalancedDataSetIterator collected = ClassBalancedDataSetIterator.collect(source)
                .classesPerBatch(2).samplesPerClass(3).seed(7).build();
        ClassBalancedDataSetIterator direct = digitsLike(DataType.FLOAT).build();
        assertFalse(source.hasNext(), "the source is read to its end");
        for (int b = 0; b < 2 * direct.batchesInEpoch(); b++) {
            if (!direct.hasNext()) {
                direct.reset();
                collected.reset();
            }
            assertEquals(direct.next(), collected.next(), "batch " + b);
        }
    }

    @Test
    void collectingResetsAnExhaustedSource() {
        ViewIterator source = new ViewIterator(new DataSet(features(DataType.FLOAT), idColumn()), 8);
        while (source.hasNext()) {
            source.next();
        }
        ClassBalancedDataSetIterator collected = ClassBalancedDataSetIterator.collect(source)
                .classesPerBatch(2).samplesPerClass(3).seed(7).build();
        assertEquals(digitsLike(DataType.FLOAT).build().next(), collected.next());
    }

    @Test
    void itBehavesAsADl4jIteratorWhoseResetStartsTheNextEpoch() {
        ClassBalancedDataSetIterator it = digitsLike(DataType.FLOAT).build();
        assertFalse(it.asyncSupported());
        assertTrue(it.resetSupported());
        assertEquals(6, it.batch());
        assertEquals(PER, it.inputColumns());
        assertEquals(1, it.totalOutcomes());
        assertEquals(List.of("0", "1", "2", "3", "4", "5"), it.getLabels());
        it.setPreProcessor(ds -> ds.setFeatures(ds.getFeatures().mul(0)));
        assertEquals(0, it.next().getFeatures().sumNumber().doubleValue(), "the pre-processor is applied");
        while (it.hasNext()) {
            it.next();
        }
        NoSuchElementException end = assertThrows(NoSuchElementException.class, it::next);
        assertEquals("epoch 0 is over (" + it.batchesInEpoch() + " batches); call reset() for the next epoch", end.getMessage());
        it.reset();
        assertEquals(1, it.epoch());
        assertEquals(0, it.batchInEpoch());
        assertTrue(it.hasNext());
        UnsupportedOperationException size = assertThrows(UnsupportedOperationException.class, () -> it.next(5));
        assertEquals("the batch size is fixed by the sampler (C x K = 6), asked for 5", size.getMessage());
    }

    @Test
    void classNamesNameTheClassesAndSetTheOneHotWidth() {
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g");
        ClassBalancedDataSetIterator it = digitsLike(DataType.FLOAT).classNames(names)
                .labelEncoding(LabelEncoding.ONE_HOT).build();
        assertEquals(names, it.getLabels());
        assertEquals(7, it.next().getLabels().size(1));
    }

    // one case per invalid input: the message names the value and says what is allowed

    @Test
    void featuresAndLabelsOfDifferentLengthsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).labels(idColumn().get(NDArrayIndex.interval(0, 20))).build());
        assertEquals("labels must have one row per example of features (21), found 20 rows", e.getMessage());
    }

    @Test
    void moreClassesPerBatchThanEligibleClassesIsRejectedNamingTheIneligible() {
        // 6 classes, class 4 has a single example: 5 can be drawn
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).classesPerBatch(6).build());
        assertEquals("classesPerBatch (C) must be <= the number of classes with at least 2 examples (5 of 6 classes), "
                + "found 6; lower classesPerBatch, or give 2 or more examples to more classes (1 have fewer: no positive "
                + "pair, never drawn)", e.getMessage());
    }

    @Test
    void fewerThanTwoExamplesPerClassIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).samplesPerClass(1).build());
        assertEquals("samplesPerClass (K) must be >= 2 for the Ranked List Loss (a query needs a positive), found 1",
                e.getMessage());
    }

    @Test
    void aNegativeClassIdIsRejectedWithItsRow() {
        INDArray ids = idColumn().putScalar(3, 0, -2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).labels(ids).build());
        assertEquals("labels row 3 must be a class id >= 0, found -2", e.getMessage());
    }

    @Test
    void anIdBeyondTheClassNamesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).classNames(List.of("a", "b", "c", "d", "e")).build());
        assertEquals("labels row 5 must be a class id in [0, 5), one of the classNames, found 5; name every class",
                e.getMessage());
    }

    @Test
    void labelsThatAreNeitherIdsNorOneHotAreRejected() {
        INDArray twoHot = LabelEncoding.ONE_HOT.encode(idColumn(), CLASSES, DataType.FLOAT).putScalar(0, 0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).labels(twoHot).build());
        assertTrue(e.getMessage().startsWith("ClassBalancedDataSetIterator: labels of width 6 are read as one-hot, "
                + "but row 0 is not (min 0.0, max 1.0, sum 2.0)"), e.getMessage());
    }

    @Test
    void aFirstBatchPastTheEpochIsRejected() {
        int perEpoch = digitsLike(DataType.FLOAT).build().batchesInEpoch();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).firstEpoch(2).firstBatch(perEpoch + 1).build());
        assertEquals("firstBatch " + (perEpoch + 1) + " is past the end of epoch 2, which has " + perEpoch + " batches",
                e.getMessage());
    }

    @Test
    void aVectorOfFeaturesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> digitsLike(DataType.FLOAT).features(Nd4j.zeros(DataType.FLOAT, IDS.length)).build());
        assertEquals("features must be [N, ...], the examples along dimension 0 and at least one more dimension, found "
                + "shape [21]; reshape(N, 1) a vector", e.getMessage());
    }

    @Test
    void aMaskedSourceCannotBeCollected() {
        DataSet masked = new DataSet(features(DataType.FLOAT).reshape(IDS.length, PER), idColumn(),
                Nd4j.ones(DataType.FLOAT, IDS.length, PER), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassBalancedDataSetIterator.collect(new ViewIterator(masked, 30)));
        assertEquals("batch 0 of the source has a features or labels mask; masked (variable-length) examples cannot be "
                + "batched by class here", e.getMessage());
    }

    @Test
    void theClassJavadocsExampleBuilds() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 60, 64);
        INDArray ids = Nd4j.arange(60).fmod(5).reshape(-1, 1);
        // the class javadoc and the README's "Data" section
        ClassBalancedDataSetIterator train = ClassBalancedDataSetIterator.builder()
                .features(x).labels(ids)              // [N, ...] and class ids [N, 1] (or one-hot [N, C])
                .classesPerBatch(5).samplesPerClass(12).seed(42)
                .build();
        assertArrayEquals(new long[] {60, 64}, train.next().getFeatures().shape());
    }
}
