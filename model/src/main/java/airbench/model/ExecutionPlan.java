package airbench.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Which precision and which execution a training uses, and why. The options {@code --precision} and
 * {@code --compile} take {@code auto} (the default) or a fixed value; {@link #resolve} turns them into
 * a concrete choice for the CPU at hand, with the reason in words for the log and the result file.
 *
 * <p>The rule, from measurements of the airbench94 training step on the project's machines
 * (docs/RESULTS.md, "Speed and bench"):
 * <ul>
 *   <li>precision: bf16 convolutions where the CPU computes bfloat16 natively (AVX512_BF16 or
 *       AMX-BF16): 1.4x (AMD EPYC) to 2x (Intel with AMX) faster per step than fp32, and three full
 *       recipe-94 runs in bf16 reached the reference accuracy. Elsewhere bf16 is emulated and many
 *       times slower: fp32.</li>
 *   <li>compile: XLA (element-wise work in compiled clusters, convolutions with oneDNN) was faster
 *       than the plain graph on every CPU class measured, all of which have AVX2: 5-14% on the AVX2-only
 *       AMD EPYC, 11-14% on the AMD EPYC with BF16, 14-40% on the Intel Xeon with AMX. A CPU without
 *       AVX2 was never measured: the plain graph there.</li>
 * </ul>
 *
 * @param precision         the convolution precision that runs
 * @param precisionReason   why (the option's value, or what auto saw)
 * @param compilation       the execution that runs
 * @param compilationReason why
 */
public record ExecutionPlan(Precision precision, String precisionReason, Compilation compilation,
                            String compilationReason) {

    /** The option value that lets the CPU decide. */
    public static final String AUTO = "auto";

    /**
     * @param precisionOption {@code auto}, {@code fp32} or {@code bf16} (any case)
     * @param compileOption   {@code auto}, {@code none} or {@code xla} (any case)
     * @throws IllegalArgumentException naming the bad value and the valid ones
     */
    public static ExecutionPlan resolve(String precisionOption, String compileOption, CpuFeatures cpu) {
        Precision precision;
        String precisionReason;
        if (precisionOption.equalsIgnoreCase(AUTO)) {
            if (cpu.hasNativeBf16()) {
                precision = Precision.BF16;
                precisionReason = "auto: the CPU computes bfloat16 natively ("
                        + (cpu.has("amx_bf16") ? "amx_bf16" : "avx512_bf16") + ")";
            } else {
                precision = Precision.FP32;
                precisionReason = "auto: the CPU has neither avx512_bf16 nor amx_bf16, bfloat16 would be emulated";
            }
        } else {
            precision = choice(precisionOption, Precision.class, "precision");
            precisionReason = "--precision " + precisionOption.toLowerCase(Locale.ROOT);
        }
        Compilation compilation;
        String compilationReason;
        if (compileOption.equalsIgnoreCase(AUTO)) {
            if (cpu.has("avx2")) {
                compilation = Compilation.XLA;
                compilationReason = "auto: XLA's training step measured faster on every AVX2 CPU class";
            } else {
                compilation = Compilation.NONE;
                compilationReason = "auto: no AVX2, a CPU class where XLA was never measured";
            }
        } else {
            compilation = choice(compileOption, Compilation.class, "compile");
            compilationReason = "--compile " + compileOption.toLowerCase(Locale.ROOT);
        }
        return new ExecutionPlan(precision, precisionReason, compilation, compilationReason);
    }

    /** For result files: the choices in lower case and their reasons. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("precision", precision.name().toLowerCase(Locale.ROOT));
        map.put("precision_reason", precisionReason);
        map.put("compile", compilation.name().toLowerCase(Locale.ROOT));
        map.put("compile_reason", compilationReason);
        return map;
    }

    public String describe() {
        return "precision " + precision.name().toLowerCase(Locale.ROOT) + " (" + precisionReason + "), compile "
                + compilation.name().toLowerCase(Locale.ROOT) + " (" + compilationReason + ")";
    }

    private static <E extends Enum<E>> E choice(String value, Class<E> type, String option) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value.trim())) {
                return constant;
            }
        }
        StringBuilder valid = new StringBuilder(AUTO);
        for (E constant : type.getEnumConstants()) {
            valid.append(", ").append(constant.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("bad value '" + value + "' for --" + option + "; valid values: " + valid);
    }
}
