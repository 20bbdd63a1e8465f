package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.CpuFeatures;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A bf16 model on a CPU without native bfloat16 gets a warning; every other pairing none. */
class EmulatedBf16WarningTest {
    private static final CpuFeatures AVX2 = new CpuFeatures("AMD EPYC", Set.of("avx2"));
    private static final CpuFeatures ZEN4 = new CpuFeatures("AMD EPYC", Set.of("avx2", "avx512f", "avx512_bf16"));
    private static final CpuFeatures AMX = new CpuFeatures("Intel Xeon", Set.of("avx2", "amx_bf16"));
    private static final Path DIR = Path.of("runs/94/seed-0/model");

    @Test
    void warnsOnlyForBfloat16OnACpuThatEmulatesIt() {
        Optional<String> warning = ExportedModel.emulatedBf16Warning(DIR, "BF16", AVX2);
        assertTrue(warning.isPresent());
        assertTrue(warning.get().contains(DIR.toString()), warning.get());
        assertTrue(warning.get().contains("--precision fp32"), warning.get());
        assertTrue(warning.get().contains("no avx512f avx512_bf16 amx_bf16"), warning.get());
        assertEquals(Optional.empty(), ExportedModel.emulatedBf16Warning(DIR, "BF16", ZEN4));
        assertEquals(Optional.empty(), ExportedModel.emulatedBf16Warning(DIR, "bf16", AMX));
        assertEquals(Optional.empty(), ExportedModel.emulatedBf16Warning(DIR, "FP32", AVX2));
        assertEquals(Optional.empty(), ExportedModel.emulatedBf16Warning(DIR, null, AVX2));  // no metadata file
    }
}
