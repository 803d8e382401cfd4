package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.datasets.iterator.AsyncDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.rll4j.sampler.ClassBalancedBatchSampler;
import org.rll4j.sampler.LabelEncoding;
import org.rll4j.sampler.LabelIndex;
import org.rll4j.sampler.SequentialBatchSampler;

class SampledDataSetIteratorTest {

    /** 8 classes x 3..5 images of 40x30 (PNG and JPEG). */
    static ImageList fixture(Path root) throws Exception {
        for (int c = 0; c < 8; c++) {
            for (int i = 0; i < 3 + c % 3; i++) {
                TestImages.rgb(root.resolve("class" + c + "/img" + i + (i % 2 == 0 ? ".png" : ".jpg")), 40, 30,
                        c * 100 + i, i % 2 == 0 ? "png" : "jpg");
            }
        }
        return ImageFolderReader.read(root).images();
    }

    static SampledDataSetIterator iterator(ImageList list, int workers, long seed) {
        ExampleSource source = ImageListSource.of(list);
        ClassBalancedBatchSampler sampler = ClassBalancedBatchSampler.builder().labels(source.labels())
                .classesPerBatch(4).samplesPerClass(3).seed(seed).build();
        return SampledDataSetIterator.builder().source(source).sampler(sampler)
                .pipeline(ImagePipeline.builder().randomResizedCrop(16, 16, 0.5, 1, 0.75, 4.0 / 3).horizontalFlip(0.5).build())
                .workers(workers).prefetch(3).seed(seed).build();
    }

    @Test
    void batchesHaveShapesAndLabelsOfTheSampledClasses(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        try (SampledDataSetIterator it = iterator(list, 2, 1)) {
            int batches = 0;
            while (it.hasNext()) {
                DataSet ds = it.next();
                assertArrayEquals(new long[] {12, 3, 16, 16}, ds.getFeatures().shape());
                assertArrayEquals(new long[] {12, 1}, ds.getLabels().shape());
                for (int g = 0; g < 4; g++) {
                    for (int k = 1; k < 3; k++) {
                        assertEquals(ds.getLabels().getDouble(g * 3), ds.getLabels().getDouble(g * 3 + k));
                    }
                }
                batches++;
            }
            assertEquals(2, batches);
            assertThrows(java.util.NoSuchElementException.class, it::next);
        }
    }

    @Test
    void batchAtBuildsTheBatchOfThatPositionWithItsAugmentation(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        try (SampledDataSetIterator sequential = iterator(list, 2, 5); SampledDataSetIterator random = iterator(list, 1, 5)) {
            for (long e = 0; e < 2; e++) {
                for (int b = 0; b < 2; b++) {
                    if (!sequential.hasNext()) {
                        sequential.reset();
                    }
                    DataSet expected = sequential.next();
                    DataSet actual = random.batchAt(e, b);
                    assertEquals(expected.getFeatures(), actual.getFeatures(), "epoch " + e + ", batch " + b);
                    assertEquals(expected.getLabels(), actual.getLabels());
                }
            }
            assertEquals(0, random.batchInEpoch(), "batchAt does not move the iterator");
            assertThrows(IllegalArgumentException.class, () -> random.batchAt(0, 2));
        }
    }

    @Test
    void resultsDoNotDependOnWorkerCountAndResetGivesTheNextEpoch(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        List<DataSet> one = new ArrayList<>();
        List<DataSet> two = new ArrayList<>();
        try (SampledDataSetIterator a = iterator(list, 1, 7); SampledDataSetIterator b = iterator(list, 3, 7)) {
            a.forEachRemaining(one::add);
            b.forEachRemaining(two::add);
            assertEquals(one.size(), two.size());
            for (int i = 0; i < one.size(); i++) {
                assertEquals(one.get(i).getFeatures(), two.get(i).getFeatures());
                assertEquals(one.get(i).getLabels(), two.get(i).getLabels());
            }
            a.reset();
            assertEquals(1, a.epoch());
            assertFalse(a.next().getFeatures().equals(one.get(0).getFeatures()), "the next epoch differs");
        }
    }

    @Test
    void resumingMidEpochGivesTheBatchesOfAnUninterruptedRun(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        List<DataSet> uninterrupted = new ArrayList<>();
        try (SampledDataSetIterator a = iterator(list, 2, 9)) {
            a.forEachRemaining(uninterrupted::add); // epoch 0
            a.reset();
            a.forEachRemaining(uninterrupted::add); // epoch 1
        }
        int perEpoch = uninterrupted.size() / 2;
        ExampleSource source = ImageListSource.of(list);
        ClassBalancedBatchSampler sampler = ClassBalancedBatchSampler.builder().labels(source.labels())
                .classesPerBatch(4).samplesPerClass(3).seed(9).build();
        try (SampledDataSetIterator resumed = SampledDataSetIterator.builder().source(source).sampler(sampler)
                .pipeline(ImagePipeline.builder().randomResizedCrop(16, 16, 0.5, 1, 0.75, 4.0 / 3).horizontalFlip(0.5).build())
                .workers(1).seed(9).firstEpoch(1).firstBatch(1).build()) {
            assertEquals(1, resumed.batchInEpoch());
            assertEquals(perEpoch, resumed.batchesInEpoch());
            for (int b = 1; b < perEpoch; b++) {
                DataSet ds = resumed.next();
                assertEquals(uninterrupted.get(perEpoch + b).getFeatures(), ds.getFeatures(), "batch " + b);
                assertEquals(uninterrupted.get(perEpoch + b).getLabels(), ds.getLabels(), "batch " + b);
            }
            assertFalse(resumed.hasNext());
        }
        assertEquals("firstBatch 3 is past the end of epoch 0, which has 2 batches", assertThrows(IllegalArgumentException.class,
                () -> SampledDataSetIterator.builder().source(source).sampler(sampler).pipeline(ImagePipeline.test(16, 16))
                        .firstBatch(3).build()).getMessage());
    }

    @Test
    void worksUnderDl4jsAsyncWrapper(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        try (SampledDataSetIterator direct = iterator(list, 2, 3); SampledDataSetIterator inner = iterator(list, 2, 3)) {
            AsyncDataSetIterator async = new AsyncDataSetIterator(inner, 2, true);
            for (int epoch = 0; epoch < 2; epoch++) {
                int n = 0;
                while (async.hasNext()) {
                    DataSet expected = direct.next();
                    DataSet actual = async.next();
                    assertEquals(expected.getFeatures(), actual.getFeatures());
                    n++;
                }
                assertEquals(2, n);
                assertFalse(direct.hasNext());
                async.reset();
                direct.reset();
            }
            async.shutdown();
        }
    }

    @Test
    void pixelValuesReachTheBatchNormalisedAndInRgbOrder(@TempDir Path root) throws Exception {
        int[] colours = {0xff0000, 0x00ff00, 0x0000ff};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 2; i++) {
                TestImages.solid(root.resolve("k" + c + "/" + i + ".png"), 12, 9, colours[c], "png");
            }
        }
        ExampleSource source = ImageListSource.of(ImageFolderReader.read(root).images());
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(source)
                .sampler(ClassBalancedBatchSampler.builder().labels(source.labels()).classesPerBatch(3).samplesPerClass(2).build())
                .pipeline(ImagePipeline.builder().resize(4, 4).normalization(Normalization.UNIT).build()).build()) {
            DataSet ds = it.next();
            for (int i = 0; i < 6; i++) {
                int cls = (int) ds.getLabels().getDouble(i, 0);
                for (int ch = 0; ch < 3; ch++) {
                    double expected = ch == cls ? 1.0 : 0.0; // class 0 red, 1 green, 2 blue; planes R, G, B
                    assertEquals(expected, ds.getFeatures().getDouble(i, ch, 2, 3), 1e-6, "example " + i + " channel " + ch);
                }
            }
        }
    }

    @Test
    void oneHotLabels(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        ExampleSource source = ImageListSource.of(list);
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(source)
                .sampler(ClassBalancedBatchSampler.builder().labels(source.labels()).classesPerBatch(2).samplesPerClass(2).build())
                .pipeline(ImagePipeline.builder().resize(8, 8).build())
                .labelEncoding(LabelEncoding.ONE_HOT).build()) {
            DataSet ds = it.next();
            assertArrayEquals(new long[] {4, 8}, ds.getLabels().shape());
            assertEquals(4.0, ds.getLabels().sumNumber().doubleValue());
            assertEquals(8, it.totalOutcomes());
        }
    }

    @Test
    void corruptImagesAreReplacedByTheirClassAndReported(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        // corrupt two files after the scan: valid PNG signature, garbage after it
        Path bad1 = root.resolve("class0/img0.png");
        Path bad2 = root.resolve("class3/img2.png");
        byte[] sig = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3};
        Files.write(bad1, sig);
        Files.write(bad2, sig);
        try (SampledDataSetIterator it = iterator(list, 2, 5)) {
            for (int epoch = 0; epoch < 4; epoch++) {
                while (it.hasNext()) {
                    DataSet ds = it.next();
                    assertEquals(12, ds.numExamples());
                }
                it.reset();
            }
            List<String> bad = it.undecodable();
            assertTrue(bad.contains(bad1.toString()) || bad.contains(bad2.toString()), bad.toString());
            for (String b : bad) {
                assertTrue(b.equals(bad1.toString()) || b.equals(bad2.toString()), b);
            }
        }
    }

    @Test
    void aClassWithoutDecodableImagesFailsNamingIt(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        for (ImageRecord r : list.records()) {
            if (r.className().equals("class1")) {
                Files.write(r.path(), new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0});
            }
        }
        ExampleSource source = ImageListSource.of(list);
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(source)
                .sampler(ClassBalancedBatchSampler.builder().labels(source.labels()).classesPerBatch(8).samplesPerClass(2).build())
                .pipeline(ImagePipeline.builder().resize(8, 8).build()).build()) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, it::next);
            assertTrue(e.getMessage().startsWith("java.io.IOException: class 'class1' has no decodable image left"), e.getMessage());
            assertTrue(e.getCause().getMessage().startsWith("class 'class1' has no decodable image left"), e.getMessage());
        }
    }

    @Test
    void samplerMustBeBuiltOnTheSourceLabels(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        LabelIndex other = LabelIndex.of(List.of("x", "y"), new int[] {0, 0, 1, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SampledDataSetIterator.builder()
                .source(ImageListSource.of(list))
                .sampler(ClassBalancedBatchSampler.builder().labels(other).classesPerBatch(2).samplesPerClass(2).build())
                .pipeline(ImagePipeline.builder().resize(8, 8).build()).build());
        assertEquals("the sampler must be built on the source's labels (source.labels())", e.getMessage());
    }

    @Test
    void sequentialIteratorVisitsEveryExampleOnceInOrderAndSkipsOrFailsOnCorruptImages(@TempDir Path root) throws Exception {
        ImageList list = fixture(root);
        ExampleSource source = ImageListSource.of(list);
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source,
                ImagePipeline.builder().resize(8, 8).build(), 5, 2)) {
            List<Double> labels = new ArrayList<>();
            int batches = 0;
            while (it.hasNext()) {
                DataSet ds = it.next();
                for (int i = 0; i < ds.numExamples(); i++) {
                    labels.add(ds.getLabels().getDouble(i, 0));
                }
                batches++;
            }
            assertEquals((list.size() + 4) / 5, batches);
            assertEquals(list.size(), labels.size());
            for (int i = 0; i < list.size(); i++) {
                assertEquals(list.labels().label(i), labels.get(i).intValue());
            }
        }
        Path bad = list.get(7).path();
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 9});
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source,
                ImagePipeline.builder().resize(8, 8).build(), 5, 1, SampledDataSetIterator.OnUndecodable.FAIL)) {
            it.next();
            IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
            assertTrue(e.getMessage().contains("cannot decode " + bad), e.getMessage());
        }
        // the default for a sequential pass: the corrupt image is left out, the batch says which rows it holds
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source,
                ImagePipeline.builder().resize(8, 8).build(), 5, 2)) {
            List<Integer> seen = new ArrayList<>();
            while (it.hasNext()) {
                DataSet ds = it.next();
                List<java.io.Serializable> rows = ds.getExampleMetaData();
                assertEquals(ds.numExamples(), rows.size());
                for (int i = 0; i < rows.size(); i++) {
                    int example = (Integer) rows.get(i);
                    assertEquals(list.labels().label(example), ds.getLabels().getInt(i, 0));
                    seen.add(example);
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                if (i != 7) {
                    expected.add(i);
                }
            }
            assertEquals(expected, seen);
            assertEquals(List.of(bad.toString()), it.undecodable());
        }
        // a batch of nothing but corrupt images comes out empty, not as an error
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source,
                ImagePipeline.builder().resize(8, 8).build(), 1, 1)) {
            for (int i = 0; i < 7; i++) {
                it.next();
            }
            DataSet empty = it.next();
            assertEquals(0, empty.getFeatures().size(0));
            assertEquals(List.of(), empty.getExampleMetaData());
            assertEquals(1, it.next().numExamples());
        }
    }

    @Test
    void sequentialSamplerCoversAllWithASmallerLastBatch() {
        int[][] e = new SequentialBatchSampler(7, 3).epoch(0);
        assertArrayEquals(new int[] {0, 1, 2}, e[0]);
        assertArrayEquals(new int[] {6}, e[2]);
        assertEquals("size must be >= 1 (an empty set has nothing to embed), found 0",
                assertThrows(IllegalArgumentException.class, () -> new SequentialBatchSampler(0, 3)).getMessage());
    }
}
