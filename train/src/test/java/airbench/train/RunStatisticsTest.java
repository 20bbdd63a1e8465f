package airbench.train;

import airbench.train.run.Json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RunStatisticsTest {

    @Test
    void meanStandardDeviationAndIntervalByHand() {
        // values 0.93, 0.94, 0.95: mean 0.94, sample sd 0.01, t(2) = 4.303, half width 4.303 * 0.01 / sqrt 3
        RunStatistics s = RunStatistics.of(List.of(0.93, 0.94, 0.95));
        assertEquals(3, s.n());
        assertEquals(0.94, s.mean(), 1e-12);
        assertEquals(0.01, s.standardDeviation(), 1e-12);
        double half = 4.303 * 0.01 / Math.sqrt(3);
        assertEquals(0.94 - half, s.ciLow(), 1e-12);
        assertEquals(0.94 + half, s.ciHigh(), 1e-12);
    }

    @Test
    void oneRunHasNoSpread() {
        RunStatistics s = RunStatistics.of(List.of(0.9));
        assertEquals(0.9, s.mean());
        assertNull(s.standardDeviation());
        assertNull(s.ciLow());
        assertNull(s.ciHigh());
    }

    @Test
    void oneRunIsWrittenAsJsonNullNotAsTheStringNaN() throws Exception {
        com.fasterxml.jackson.databind.JsonNode json = Json.MAPPER.readTree(
                Json.MAPPER.writeValueAsString(RunStatistics.of(List.of(0.9))));
        assertTrue(json.get("standard_deviation").isNull(), json.toString());
        assertTrue(json.get("ci_low").isNull() && json.get("ci_high").isNull(), json.toString());
        assertEquals(0.9, json.get("mean").asDouble());
    }

    @Test
    void tQuantileApproachesTheNormalOne() {
        assertEquals(2.042, RunStatistics.tQuantile975(30), 1e-3);
        assertEquals(2.021, RunStatistics.tQuantile975(40), 2e-3);   // tables: 2.021
        assertEquals(1.984, RunStatistics.tQuantile975(100), 2e-3);  // tables: 1.984
    }
}
