package org.rll4j.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

class PlotsTest {

    @Test
    void barsAreDrawnToScaleWithTheirWhiskers() throws Exception {
        byte[] png = Plots.bars("R@1", List.of("raw pixels", "rll", "triplet"), new double[] {0.14, 0.28, 0.21},
                new double[] {0, 0.01, 0.02});
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(900, img.getWidth());
        assertEquals(40 + 40 + 3 * 30, img.getHeight());
        // the longest reach (0.28 + 0.01) spans the plot width (570 px from x = 200); rll's bar ends near 200 + 0.28/0.29 * 570
        int rllRow = 40 + 30 + 15;
        int end = 200;
        while (end < 900 && img.getRGB(end, rllRow - 8) != 0xffffffff) {
            end++;
        }
        assertEquals(200 + Math.round(0.28 / 0.29 * 570), end, 2.0, "bar length");
        assertTrue(img.getRGB(200 + (int) Math.round(0.14 / 0.29 * 570) - 3, 40 + 15 - 8) != 0xffffffff, "the first bar is drawn");
        assertThrows(IllegalArgumentException.class, () -> Plots.bars("x", List.of("a"), new double[] {1, 2}, new double[] {0}));
    }
}
