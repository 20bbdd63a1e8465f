package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

    /** Two processors as /proc/cpuinfo lists them (shortened); only the first one's lines are read. */
    private static final String CPUINFO = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) Processor
            flags\t\t: fpu sse2 avx avx2 avx512f avx512_bf16 amx_bf16 amx_tile
            bogomips\t: 4200.00

            processor\t: 1
            model name\t: Something Else
            flags\t\t: fpu
            """;

    @Test
    void readsTheFirstProcessorsModelAndFlags() {
        CpuFeatures cpu = CpuFeatures.parse(CPUINFO);
        assertEquals("Intel(R) Xeon(R) Processor", cpu.model());
        assertTrue(cpu.has("avx2"));
        assertTrue(cpu.has("amx_tile"));
        assertFalse(cpu.has("avx512_vnni"));
        assertTrue(cpu.hasNativeBf16());
        assertEquals(Map.of("model_name", "Intel(R) Xeon(R) Processor", "avx2", true, "avx512f", true,
                "avx512_bf16", true, "amx_bf16", true), cpu.toMap());
    }

    @Test
    void nativeBfloat16NeedsAvx512Bf16OrAmxBf16() {
        assertTrue(CpuFeatures.parse("model name : A\nflags : avx2 avx512f avx512_bf16\n").hasNativeBf16());
        assertTrue(CpuFeatures.parse("model name : A\nflags : avx2 amx_bf16\n").hasNativeBf16());
        // avx512f alone (or bf16 support of another kind such as avx_vnni) is not enough
        assertFalse(CpuFeatures.parse("model name : A\nflags : avx2 avx512f avx512_vnni avx_vnni\n").hasNativeBf16());
    }

    @Test
    void describesPresentAndAbsentDecidingFlags() {
        assertEquals("AMD EPYC (avx2; no avx512f avx512_bf16 amx_bf16)",
                CpuFeatures.parse("model name : AMD EPYC\nflags : fpu avx2 fma\n").describe());
        CpuFeatures unknown = CpuFeatures.parse("");
        assertEquals(System.getProperty("os.arch"), unknown.model());
        assertTrue(unknown.flags().isEmpty());
    }

    @Test
    void detectsThisMachine() {
        CpuFeatures cpu = CpuFeatures.detect();
        assertFalse(cpu.model().isBlank());
    }
}
