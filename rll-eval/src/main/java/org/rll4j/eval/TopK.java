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
 * <p>Method: a binary min-heap of at most {@code k} keys whose root is the k-th best so far; once it
 * is full, the threshold is that root's similarity, exact after every insertion, so only items that
 * really enter the top k cost more than one float comparison (about {@code k ln(n/k)} of n items in
 * random order), each O(log k). An item equal to the threshold is rejected, which is exact because
 * every later item has a larger index and so ranks below the k-th. (A buffer of 2k slots compacted by
 * quickselect, the first version, raised the threshold only every k insertions and spent most of the
 * scan in the selection; measured at SOP scale.)
 */
final class TopK {

    private final long[] heap;
    private int k;
    private int count;
    private float threshold = Float.NEGATIVE_INFINITY;

    /** @param k items kept, at least 1; also the most that {@link #reset(int)} may ask for */
    TopK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, found " + k);
        }
        this.k = k;
        this.heap = new long[k];
    }

    /**
     * Forgets everything (next query) and keeps {@code k} items from now on: at most the capacity given
     * to the constructor; 0 keeps nothing (the threshold is +infinity, so nothing is ever offered).
     */
    void reset(int k) {
        if (k < 0 || k > heap.length) {
            throw new IllegalArgumentException("k must be in [0, " + heap.length + "], found " + k);
        }
        this.k = k;
        count = 0;
        threshold = k == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
    }

    /**
     * Offers {@code row[from..to)}, the similarities of gallery items {@code firstIndex + (j - from)}.
     * Values equal to {@link Float#NEGATIVE_INFINITY} are never kept (used to mask the query itself).
     */
    void offer(float[] row, int from, int to, int firstIndex) {
        float gate = Math.nextUp(threshold); // v > threshold, i.e. v >= nextUp(threshold); -Infinity never passes
        for (int j = ExactNeighbours.next(row, from, to, gate); j < to; j = ExactNeighbours.next(row, j + 1, to, gate)) {
            add(row[j], firstIndex + j - from);
            gate = Math.nextUp(threshold);
        }
    }


    /** Items must beat this similarity to enter (the k-th best so far, or -infinity while fewer than k). */
    float threshold() {
        return threshold;
    }

    /** Adds an item known to beat {@link #threshold()}. */
    void add(float similarity, int index) {
        long key = key(similarity, index);
        if (count < k) {
            int i = count++;
            while (i > 0) { // sift up
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= key) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = key;
            if (count == k) {
                threshold = similarity(heap[0]);
            }
            return;
        }
        if (key <= heap[0]) {
            return;
        }
        int i = 0; // replace the root and sift down
        while (true) {
            int child = 2 * i + 1;
            if (child >= k) {
                break;
            }
            if (child + 1 < k && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= key) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = key;
        threshold = similarity(heap[0]);
    }

    /** Items held, at most k. */
    int size() {
        return count;
    }

    /**
     * Writes the kept items best first into {@code indices}/{@code similarities} from {@code offset}
     * and returns how many there are. Leaves the selector unchanged.
     */
    int drainSorted(int[] indices, float[] similarities, int offset) {
        long[] sorted = Arrays.copyOf(heap, count);
        Arrays.sort(sorted);
        for (int i = 0; i < count; i++) {
            long key = sorted[count - 1 - i];
            indices[offset + i] = index(key);
            similarities[offset + i] = similarity(key);
        }
        return count;
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
}
