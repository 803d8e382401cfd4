package org.rll4j.eval;

import java.util.Arrays;

/**
 * Streaming selection of the {@code k} best (similarity, index) pairs of one query, fed gallery items
 * in increasing index order, over any number of tiles.
 *
 * <p>Order: larger similarity first, and among equal similarities the smaller index first. Each pair
 * is packed into one {@code long} whose signed order is that order (high 32 bits: the similarity's
 * bits mapped to a signed int that sorts like the float, with -0 read as +0; low 32 bits: the
 * complement of the index), so selection and sorting compare plain longs.
 *
 * <p>Method: candidates strictly better than the current threshold (the k-th best so far) are
 * appended to a buffer of {@code 2k} slots; when it is full, a quickselect keeps the best {@code k}
 * and raises the threshold. An item equal to the threshold is rejected, which is exact because every
 * later item has a larger index and so ranks below the k-th. Amortised O(1) per item; most items
 * cost one float comparison.
 */
final class TopK {

    private final int k;
    private final long[] keys;
    private int count;
    private float threshold = Float.NEGATIVE_INFINITY;

    TopK(int k) {
        this.k = k;
        this.keys = new long[Math.max(2 * k, k + 16)];
    }

    void reset() {
        count = 0;
        threshold = Float.NEGATIVE_INFINITY;
    }

    /**
     * Offers {@code row[from..to)}, the similarities of gallery items {@code firstIndex + (j - from)}.
     * Values equal to {@link Float#NEGATIVE_INFINITY} are never kept (used to mask the query itself).
     */
    void offer(float[] row, int from, int to, int firstIndex) {
        float thr = threshold;
        long[] buf = keys;
        int c = count;
        for (int j = from; j < to; j++) {
            float v = row[j];
            if (v > thr) {
                buf[c++] = key(v, firstIndex + j - from);
                if (c == buf.length) {
                    count = c;
                    compact();
                    c = count;
                    thr = threshold;
                }
            }
        }
        count = c;
    }

    /** @return the similarity an item must exceed to be kept ({@code -Infinity} until k items are held) */
    float threshold() {
        return threshold;
    }

    /** Adds an item known to be above {@link #threshold()}; gallery items must come in increasing index order. */
    void add(float similarity, int index) {
        keys[count++] = key(similarity, index);
        if (count == keys.length) {
            compact();
        }
    }

    /** @return number of items kept so far, at most k */
    int size() {
        return Math.min(count, k);
    }

    /**
     * Writes the best {@code min(k, seen)} items, best first, into {@code indices} and
     * {@code similarities} from {@code offset}.
     *
     * @return how many were written
     */
    int drainSorted(int[] indices, float[] similarities, int offset) {
        if (count > k) {
            compact();
        }
        Arrays.sort(keys, 0, count);
        for (int i = 0; i < count; i++) {
            long key = keys[count - 1 - i];
            indices[offset + i] = index(key);
            similarities[offset + i] = similarity(key);
        }
        return count;
    }

    private void compact() {
        select(keys, 0, count - 1, count - k);
        System.arraycopy(keys, count - k, keys, 0, k);
        count = k;
        long min = keys[0];
        for (int i = 1; i < k; i++) {
            min = Math.min(min, keys[i]);
        }
        threshold = similarity(min);
    }

    static long key(float similarity, int index) {
        int bits = Float.floatToRawIntBits(similarity + 0.0f);
        int sortable = bits < 0 ? bits ^ 0x7fffffff : bits;
        return ((long) sortable << 32) | (~index & 0xffffffffL);
    }

    static int index(long key) {
        return ~(int) key;
    }

    static float similarity(long key) {
        int sortable = (int) (key >> 32);
        int bits = sortable < 0 ? sortable ^ 0x7fffffff : sortable;
        return Float.intBitsToFloat(bits);
    }

    /** Rearranges {@code a[lo..hi]} so that {@code a[nth]} is in its sorted place (ascending). */
    private static void select(long[] a, int lo, int hi, int nth) {
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            // median of three as pivot
            if (a[mid] < a[lo]) {
                swap(a, mid, lo);
            }
            if (a[hi] < a[lo]) {
                swap(a, hi, lo);
            }
            if (a[hi] < a[mid]) {
                swap(a, hi, mid);
            }
            long pivot = a[mid];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    swap(a, i, j);
                    i++;
                    j--;
                }
            }
            if (nth <= j) {
                hi = j;
            } else if (nth >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
