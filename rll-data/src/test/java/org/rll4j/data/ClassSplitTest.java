package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ClassSplitTest {

    static ImageList list(int classes) {
        List<ImageRecord> r = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < 2; i++) {
                r.add(new ImageRecord(Path.of("c" + c + "/" + i + ".png"), String.format("%03d", c)));
            }
        }
        return ImageList.of(r, "test");
    }

    @Test
    void halvesSplitSortedClassesAndNeverShareOne() {
        ClassSplit s = ClassSplit.halves(list(7));
        assertEquals(List.of("000", "001", "002"), s.train().labels().classNames());
        assertEquals(List.of("003", "004", "005", "006"), s.test().labels().classNames());
        assertEquals(6, s.train().size());
        assertEquals(8, s.test().size());
    }

    @Test
    void overlappingClassListsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassSplit.of(list(4), List.of("000", "001"), List.of("001", "002")));
        assertEquals("train and test class lists must be disjoint, both contain [001]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassSplit.of(list(4), List.of("000"), List.of("099")));
    }
}
