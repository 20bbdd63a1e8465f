package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptimizerSpecTest {

    @Test
    void decoupledValuesOfAirbench94MatchHandComputation() {
        OptimizerSpec spec = new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64);
        // kilostep = 1024 * (1 + 1 / 0.15) = 7850.666...
        assertEquals(7850.6667, spec.kilostep(), 1e-3);
        assertEquals(11.5 / 7850.6667, spec.learningRate(), 1e-9);
        assertEquals(0.0014648, spec.learningRate(), 1e-7);
        assertEquals(0.0014648 * 64, spec.biasLearningRate(), 1e-5);
        assertEquals(0.0153 * 1024 / 7850.6667, spec.weightDecay(), 1e-9);
    }

    @Test
    void weightDecayScalesWithBatchSize() {
        OptimizerSpec full = new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64);
        OptimizerSpec half = new OptimizerSpec(512, 11.5, 0.85, 0.0153, 64);
        assertEquals(full.weightDecay() / 2, half.weightDecay(), 1e-12);
        assertEquals(full.learningRate(), half.learningRate(), 1e-12);
    }

    @Test
    void impossibleValuesAreRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OptimizerSpec(1024, 11.5, 1.0, 0.0153, 64));
        assertTrue(e.getMessage().contains("momentum") && e.getMessage().contains("1.0"), e.getMessage());
    }

    @Test
    void airbench94ParameterCountIsAbout197Million() {
        NetworkSpec spec = new NetworkSpec(List.of(64, 256, 256), 2, false, 0.6, 10);
        // whiten 2*2*3*24 + 24; block convs 9*in*out; shifts; head 256*10
        long expected = 312 + 9 * 24 * 64 + 9 * 64 * 64 + 128 + 9 * 64 * 256 + 9 * 256 * 256 + 512
                + 9 * 256 * 256 + 9 * 256 * 256 + 512 + 2560;
        assertEquals(expected, spec.parameterCount());
        assertEquals(1_971_640, spec.parameterCount());
    }
}
