package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Summary statistics against values worked out by hand. */
class TimingStatsTest {

    @Test
    void oddCountMedianAndQuartiles() {
        TimingStats t = TimingStats.of(5, 1, 4, 2, 3);
        assertEquals(3, t.median());
        assertEquals(1, t.min());
        assertEquals(5, t.max());
        // positions 0.25 * 4 = 1 and 0.75 * 4 = 3 of the sorted values 1 2 3 4 5
        assertEquals(2, t.q1());
        assertEquals(4, t.q3());
        assertEquals(2, t.iqr());
        assertArrayEquals(new double[] {5, 1, 4, 2, 3}, t.samples(), "samples keep their measured order");
    }

    @Test
    void evenCountInterpolates() {
        TimingStats t = TimingStats.of(10, 40, 20, 30);
        // sorted 10 20 30 40: median at position 1.5, q1 at 0.75, q3 at 2.25
        assertEquals(25, t.median());
        assertEquals(17.5, t.q1());
        assertEquals(32.5, t.q3());
        assertEquals(15, t.iqr());
    }

    @Test
    void singleSampleIsEverything() {
        TimingStats t = TimingStats.of(7.5);
        assertEquals(7.5, t.median());
        assertEquals(7.5, t.min());
        assertEquals(7.5, t.max());
        assertEquals(0, t.iqr());
    }

    @Test
    void throughputOneTimeCostAndSpeedup() {
        TimingStats t = TimingStats.of(500, 512, 530);
        assertEquals(2000, t.imagesPerSecond(1024), 1e-9);         // 1024 images in 0.512 s
        assertEquals(988, t.oneTimeCost(1500), 1e-9);              // first call 1500 ms, median 512 ms
        assertEquals(0, t.oneTimeCost(400), "a first call faster than the median costs nothing");
        assertEquals(1.5, TimingStats.speedup(TimingStats.of(300), TimingStats.of(200)), 1e-12);
        assertEquals(0.8, TimingStats.speedup(TimingStats.of(200), TimingStats.of(250)), 1e-12);
    }

    @Test
    void noSamplesIsAnError() {
        assertThrows(IllegalArgumentException.class, TimingStats::of);
    }
}
