package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The presets are docs/METHOD.md section 6's networks. */
class NetworkSpecTest {

    @Test
    void presetsFollowTheRecipeTable() {
        assertEquals(NetworkSpec.AIRBENCH94, NetworkSpec.preset("94").orElseThrow());
        assertEquals(List.of(64, 256, 256), NetworkSpec.AIRBENCH94.widths());
        assertEquals(0.6, NetworkSpec.AIRBENCH94.batchNormMemory());
        assertEquals(List.of(128, 384, 384), NetworkSpec.preset("95").orElseThrow().widths());
        NetworkSpec n96 = NetworkSpec.preset("96").orElseThrow();
        assertEquals(List.of(128, 384, 512), n96.widths());
        assertEquals(3, n96.convsPerBlock());
        assertTrue(n96.residual());
        assertEquals(0.9, n96.batchNormMemory());
        assertTrue(NetworkSpec.preset("93").isEmpty());
        assertEquals(List.of("94", "95", "96"), NetworkSpec.presetNames());
    }

    @Test
    void airbench94HasAboutTwoMillionParameters() {
        // docs/METHOD.md: "about 1.97 million"
        assertEquals(1.97e6, NetworkSpec.AIRBENCH94.parameterCount(), 0.01e6);
    }
}
