package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClassBalancedBatchSamplerTest {

    /** Class sizes drawn in [minSize, maxSize], shuffled example order. */
    static LabelIndex labels(int classes, int minSize, int maxSize, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Integer> l = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            int n = minSize + r.nextInt(maxSize - minSize + 1);
            for (int i = 0; i < n; i++) {
                l.add(c);
            }
        }
        java.util.Collections.shuffle(l, new java.util.Random(seed));
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add(String.format("c%03d", c));
        }
        return LabelIndex.of(names, l.stream().mapToInt(Integer::intValue).toArray());
    }

    static Stream<Arguments> grid() {
        List<Arguments> out = new ArrayList<>();
        int[] cs = {2, 5, 20};
        int[] ks = {2, 3, 5};
        int[][] sizes = {{1, 1}, {2, 2}, {2, 4}, {3, 60}, {1, 8}};
        long seed = 1;
        for (int c : cs) {
            for (int k : ks) {
                for (int[] s : sizes) {
                    out.add(Arguments.of(c, k, s[0], s[1], 41, seed++));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "C={0} K={1} sizes [{2},{3}] classes={4}")
    @MethodSource("grid")
    void everyBatchHasCDistinctClassesWithKExamplesEach(int c, int k, int minSize, int maxSize, int classes, long seed) {
        LabelIndex labels = labels(classes, minSize, maxSize, seed);
        int eligible = labels.classesWithAtLeast(2).length;
        if (c > eligible) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassBalancedBatchSampler.builder()
                    .labels(labels).classesPerBatch(c).samplesPerClass(k).seed(seed).build());
            assertTrue(e.getMessage().startsWith("classesPerBatch (C) must be <= the number of classes with at least 2 examples"),
                    e.getMessage());
            return;
        }
        ClassBalancedBatchSampler s = ClassBalancedBatchSampler.builder()
                .labels(labels).classesPerBatch(c).samplesPerClass(k).seed(seed).build();
        int examples = 0;
        for (int cls : labels.classesWithAtLeast(2)) {
            examples += labels.count(cls);
        }
        assertEquals(eligible / c, s.batchesPerPass());
        assertEquals(Math.max(eligible / c, examples / (c * k)), s.batchesPerEpoch(), "an epoch shows about every example once");
        for (long epoch = 0; epoch < 3; epoch++) {
            int[][] batches = s.epoch(epoch);
            assertEquals(s.batchesPerEpoch(), batches.length);
            Set<Integer> classesThisPass = new HashSet<>();
            for (int b = 0; b < batches.length; b++) {
                int[] batch = batches[b];
                if (b % s.batchesPerPass() == 0) {
                    classesThisPass.clear();
                }
                assertEquals(c * k, batch.length);
                Set<Integer> classesInBatch = new HashSet<>();
                for (int g = 0; g < c; g++) {
                    int cls = labels.label(batch[g * k]);
                    assertTrue(classesInBatch.add(cls), "class repeated in a batch");
                    assertTrue(classesThisPass.add(cls), "class visited twice in one pass");
                    assertTrue(labels.count(cls) >= 2, "ineligible class sampled");
                    Set<Integer> distinct = new HashSet<>();
                    for (int i = 0; i < k; i++) {
                        assertEquals(cls, labels.label(batch[g * k + i]), "group mixes classes");
                        distinct.add(batch[g * k + i]);
                    }
                    assertEquals(Math.min(k, labels.count(cls)), distinct.size(),
                            "without replacement up to the class size, then with replacement");
                }
            }
        }
    }

    @Test
    void sameSeedSameBatchesDifferentSeedsOrEpochsDiffer() {
        LabelIndex labels = labels(30, 3, 10, 7);
        ClassBalancedBatchSampler a = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(5).samplesPerClass(3).seed(11).build();
        ClassBalancedBatchSampler b = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(5).samplesPerClass(3).seed(11).build();
        ClassBalancedBatchSampler other = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(5).samplesPerClass(3).seed(12).build();
        assertTrue(Arrays.deepEquals(a.epoch(4), b.epoch(4)));
        assertFalse(Arrays.deepEquals(a.epoch(4), other.epoch(4)));
        assertFalse(Arrays.deepEquals(a.epoch(4), a.epoch(5)));
    }

    @Test
    void anEpochOfManyExamplesPerClassIsSeveralPassesAndEpochsDoNotRepeatPasses() {
        // Fashion-MNIST's shape in small: 5 classes of 100 examples, C x K = 5 x 4 -> one batch per pass, 25 per epoch
        int[] ids = new int[500];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % 5;
        }
        LabelIndex labels = LabelIndex.of(List.of("a", "b", "c", "d", "e"), ids);
        ClassBalancedBatchSampler s = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(5).samplesPerClass(4)
                .seed(3).build();
        assertEquals(1, s.batchesPerPass());
        assertEquals(25, s.batchesPerEpoch());
        Set<String> seen = new HashSet<>();
        Set<Integer> shown = new HashSet<>();
        for (long e = 0; e < 2; e++) {
            for (int[] batch : s.epoch(e)) {
                assertTrue(seen.add(Arrays.toString(batch)), "a batch repeated within or across epochs");
                Arrays.stream(batch).forEach(shown::add);
            }
        }
        assertTrue(shown.size() > 300, "two epochs show most of the 500 examples, found " + shown.size());
    }

    @Test
    void anEpochIsOnePassWhenClassesHoldAboutKExamples() {
        // the emoji set's shape: 2 images per class, K = 2 -> the epoch is the pass over the classes, as before
        LabelIndex labels = labels(40, 2, 2, 5);
        ClassBalancedBatchSampler s = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(8).samplesPerClass(2)
                .seed(9).build();
        assertEquals(5, s.batchesPerEpoch());
        assertEquals(s.batchesPerPass(), s.batchesPerEpoch());
    }

    @Test
    void everyEligibleClassIsVisitedOncePerEpochWhenCDividesTheClassCount() {
        LabelIndex labels = labels(24, 2, 6, 3);
        ClassBalancedBatchSampler s = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(6).samplesPerClass(2).seed(1).build();
        Set<Integer> seen = new HashSet<>();
        for (int[] batch : s.epoch(0)) {
            for (int i = 0; i < batch.length; i += 2) {
                seen.add(labels.label(batch[i]));
            }
        }
        assertEquals(24, seen.size());
    }

    @Test
    void singletonClassesAreIneligibleAndCounted() {
        LabelIndex labels = LabelIndex.of(List.of("a", "b", "c", "d"), new int[] {0, 0, 1, 2, 2, 3});
        ClassBalancedBatchSampler s = ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(2).samplesPerClass(3).build();
        assertEquals(2, s.ineligibleClasses());
        assertEquals(1, s.batchesPerEpoch());
        int[] batch = s.epoch(0)[0];
        for (int i : batch) {
            assertTrue(labels.label(i) == 0 || labels.label(i) == 2);
        }
    }

    @Test
    void invalidSettingsAreRejectedWithTheValue() {
        LabelIndex labels = labels(10, 3, 3, 1);
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(2).samplesPerClass(1).build());
        assertEquals("samplesPerClass (K) must be >= 2 for the Ranked List Loss (a query needs a positive), found 1", k.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(1).samplesPerClass(2).build());
        assertEquals("classesPerBatch (C) must be >= 2 (a query needs negatives), found 1", c.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> ClassBalancedBatchSampler.builder().labels(labels).classesPerBatch(11).samplesPerClass(2).build());
        assertEquals("classesPerBatch (C) must be <= the number of classes with at least 2 examples (10 of 10 classes), found 11; "
                + "lower classesPerBatch", big.getMessage());
    }
}
