package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class UciDigitsTest {

    @Test
    void embeddedFileHas1797ImagesInTenClasses() {
        UciDigits.Data d = UciDigits.load();
        assertEquals(1797, d.size());
        int[] counts = new int[10];
        for (int l : d.labels()) {
            counts[l]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(counts[c] >= 170 && counts[c] <= 185, "class " + c + ": " + counts[c]);
        }
        // first image of the file: a zero whose first row is 0,0,5,13,9,1,0,0
        assertEquals(0, d.labels()[0]);
        assertEquals(5 / 16f, d.pixels()[0][2]);
        assertEquals(13 / 16f, d.pixels()[0][3]);
        assertEquals(1797, d.ofClasses(0, 1, 2, 3, 4).size() + d.ofClasses(5, 6, 7, 8, 9).size());
    }

    @Test
    void malformedLineNamesSourceAndLine() {
        String csv = "0,".repeat(64) + "3\n" + "0,".repeat(63) + "3\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UciDigits.read(new ByteArrayInputStream(csv.getBytes(StandardCharsets.US_ASCII)), "x.csv"));
        assertEquals("x.csv line 2: expected 65 comma-separated values (64 pixels and a label), found 64", e.getMessage());
    }

    @Test
    void outOfRangePixelIsRejected() {
        String csv = "17," + "0,".repeat(63) + "3\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UciDigits.read(new ByteArrayInputStream(csv.getBytes(StandardCharsets.US_ASCII)), "x.csv"));
        assertEquals("x.csv line 1, column 1: value must be in [0, 16], found 17", e.getMessage());
    }
}
