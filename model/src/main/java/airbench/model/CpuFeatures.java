package airbench.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The processor this process runs on, as far as the fastest configuration depends on it: its model
 * name and the instruction-set flags Linux reports in {@code /proc/cpuinfo}. The project's machines
 * differ (Intel with AMX, AMD with AVX-512 and BF16, AMD with AVX2 only) and so does what is fastest.
 *
 * @param model the "model name" line, or {@code os.arch} where there is none
 * @param flags every flag of the first processor's "flags" line
 */
public record CpuFeatures(String model, Set<String> flags) {

    /** The flags that decide a configuration, in the order reports list them. */
    public static final List<String> REPORTED_FLAGS = List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16");

    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

    /** This machine's processor; without {@code /proc/cpuinfo} (not Linux), a model and no flags. */
    public static CpuFeatures detect() {
        try {
            return parse(Files.readString(Path.of("/proc/cpuinfo")));
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures(System.getProperty("os.arch"), Set.of());
        }
    }

    /** Reads the first processor's "model name" and "flags" lines of a {@code /proc/cpuinfo} text. */
    public static CpuFeatures parse(String cpuinfo) {
        String model = null;
        Set<String> flags = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (model == null && key.equals("model name")) {
                model = value;
            } else if (flags == null && key.equals("flags")) {
                flags = new TreeSet<>(Arrays.asList(value.split("\\s+")));
            }
        }
        return new CpuFeatures(model != null ? model : System.getProperty("os.arch"),
                flags != null ? flags : Set.of());
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /**
     * Whether bfloat16 arithmetic runs in hardware (AVX512_BF16 or AMX-BF16). Elsewhere TensorFlow
     * emulates it, and a bf16 step was measured many times slower than fp32 (TF-JAVA-NOTES.md).
     */
    public boolean hasNativeBf16() {
        return has("avx512_bf16") || has("amx_bf16");
    }

    /** Model name and the deciding flags, for logs and result files. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model_name", model);
        REPORTED_FLAGS.forEach(flag -> map.put(flag, has(flag)));
        return map;
    }

    /** One line: model name and which deciding flags are present, e.g. "AMD EPYC (avx2 avx512f avx512_bf16; no amx_bf16)". */
    public String describe() {
        List<String> present = REPORTED_FLAGS.stream().filter(this::has).toList();
        List<String> absent = REPORTED_FLAGS.stream().filter(f -> !has(f)).toList();
        return model + " (" + (present.isEmpty() ? "none of " + String.join(" ", REPORTED_FLAGS)
                : String.join(" ", present) + (absent.isEmpty() ? "" : "; no " + String.join(" ", absent))) + ")";
    }
}
