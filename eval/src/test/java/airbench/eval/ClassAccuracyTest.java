package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassAccuracyTest {

    @Test
    void countsEachClassesImagesAndHits() {
        int[] labels = {0, 0, 0, 2, 2, 1};
        int[] predicted = {0, 1, 0, 2, 0, 0};
        List<ClassAccuracy> perClass = ClassAccuracy.of(predicted, labels, List.of("a", "b", "c", "d"));
        // By hand: class a 2 of 3, b 0 of 1, c 1 of 2, d no images.
        assertEquals(List.of(new ClassAccuracy(0, "a", 2, 3), new ClassAccuracy(1, "b", 0, 1),
                new ClassAccuracy(2, "c", 1, 2), new ClassAccuracy(3, "d", 0, 0)), perClass);
        assertEquals(2 / 3.0, perClass.get(0).accuracy(), 0);
        assertEquals(0, perClass.get(3).accuracy(), 0);
        assertThrows(IllegalArgumentException.class, () -> ClassAccuracy.of(new int[] {0}, new int[] {4},
                List.of("a", "b")));
        assertThrows(IllegalArgumentException.class, () -> ClassAccuracy.of(new int[2], new int[1], List.of("a")));
    }
}
