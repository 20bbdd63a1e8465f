package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ExecutionPlanTest {
    private static final CpuFeatures AMX = new CpuFeatures("Intel Xeon", Set.of("avx2", "avx512f", "avx512_bf16", "amx_bf16"));
    private static final CpuFeatures ZEN4 = new CpuFeatures("AMD EPYC", Set.of("avx2", "avx512f", "avx512_bf16"));
    private static final CpuFeatures AVX2 = new CpuFeatures("AMD EPYC", Set.of("avx2", "fma"));
    private static final CpuFeatures OLD = new CpuFeatures("old", Set.of("sse4_2", "avx"));

    @Test
    void autoChoosesBf16OnlyWithNativeBfloat16AndXlaOnlyWhereMeasured() {
        assertPlan(Precision.BF16, Compilation.XLA, ExecutionPlan.resolve("auto", "auto", AMX));
        assertPlan(Precision.BF16, Compilation.XLA, ExecutionPlan.resolve("auto", "auto", ZEN4));
        assertPlan(Precision.FP32, Compilation.XLA, ExecutionPlan.resolve("auto", "auto", AVX2));
        assertPlan(Precision.FP32, Compilation.NONE, ExecutionPlan.resolve("AUTO", "Auto", OLD));
    }

    @Test
    void reasonsNameWhatAutoSawOrTheOption() {
        ExecutionPlan amx = ExecutionPlan.resolve("auto", "auto", AMX);
        assertTrue(amx.precisionReason().contains("amx_bf16"), amx.precisionReason());
        ExecutionPlan zen4 = ExecutionPlan.resolve("auto", "auto", ZEN4);
        assertTrue(zen4.precisionReason().contains("avx512_bf16"), zen4.precisionReason());
        assertTrue(ExecutionPlan.resolve("auto", "auto", AVX2).precisionReason().contains("emulated"));
        ExecutionPlan fixed = ExecutionPlan.resolve("bf16", "none", AVX2);
        assertPlan(Precision.BF16, Compilation.NONE, fixed);
        assertEquals("--precision bf16", fixed.precisionReason());
        assertEquals("--compile none", fixed.compilationReason());
        assertEquals("bf16", fixed.toMap().get("precision"));
        assertEquals("none", fixed.toMap().get("compile"));
    }

    @Test
    void badValuesNameTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecutionPlan.resolve("fp16", "auto", ZEN4));
        assertEquals("bad value 'fp16' for --precision; valid values: auto, fp32, bf16", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionPlan.resolve("auto", "tvm", ZEN4));
        assertEquals("bad value 'tvm' for --compile; valid values: auto, none, xla", e.getMessage());
    }

    private static void assertPlan(Precision precision, Compilation compilation, ExecutionPlan plan) {
        assertEquals(precision, plan.precision());
        assertEquals(compilation, plan.compilation());
    }
}
