package airbench.train;

import airbench.data.AugmentSpec;
import airbench.data.FlipMode;
import airbench.model.Compilation;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The validated options of one invocation. The recipe here already carries the
 * overrides (epochs, batch size, flip, widths, TTA level), so the rest of the
 * program reads hyperparameters from one place.
 *
 * @param recipe      the preset with the command line's overrides applied
 * @param seed        seed of the first run
 * @param runs        number of trainings (seeds seed, seed + 1, ...)
 * @param dataDir     explicit data location, if given
 * @param precision   convolution precision
 * @param threads     TensorFlow intra-op threads
 * @param compile     graph execution: plain TensorFlow or with XLA clusters
 * @param trainSubset use the first N training images (0 = all)
 * @param epochEval   evaluate the test set after every epoch (for the table; not timed)
 * @param output      folder receiving run folders
 * @param resume      an invocation folder to continue
 * @param export      where the final models go instead of each run folder's {@code model}
 * @param overwriteExport replace an existing export instead of refusing
 * @param raw         the option values as given, recorded in results
 */
public record TrainOptions(Recipe recipe, long seed, int runs, Optional<Path> dataDir, Precision precision,
                           int threads, Compilation compile, int trainSubset, boolean epochEval, Path output,
                           Optional<Path> resume, Optional<Path> export, boolean overwriteExport,
                           Map<String, String> raw) {

    /** Folder name of the SavedModel inside a run folder when no --export is given. */
    public static final String MODEL_FOLDER = "model";

    /**
     * Validates raw option values (as returned by {@link CommandLineOptions#parse}).
     *
     * @throws UsageException naming the option, the bad value and the valid choices
     */
    public static TrainOptions resolve(Map<String, String> raw) {
        String recipeName = raw.getOrDefault("recipe", "94");
        Recipe recipe = Recipe.preset(recipeName).orElseThrow(() -> new UsageException(
                "unknown recipe '" + recipeName + "'; valid recipes: " + String.join(", ", Recipe.presetNames())));
        try {
            if (raw.containsKey("epochs")) {
                recipe = recipe.withEpochs(positiveDouble(raw, "epochs"));
            }
            if (raw.containsKey("batch-size")) {
                OptimizerSpec o = recipe.optimizer();
                recipe = recipe.withOptimizer(new OptimizerSpec(positiveInt(raw, "batch-size"), o.lrPer1024(),
                        o.momentum(), o.wdPer1024(), o.biasLrScale(), o.labelSmoothing()));
            }
            if (raw.containsKey("flip")) {
                AugmentSpec a = recipe.augment();
                recipe = recipe.withAugment(new AugmentSpec(a.translate(), a.cutout(),
                        choice(raw, "flip", FlipMode.class)));
            }
            if (raw.containsKey("widths")) {
                recipe = recipe.withNetwork(recipe.network().withWidths(widths(raw.get("widths"))));
            }
            if (raw.containsKey("tta")) {
                int level = integer(raw, "tta");
                if (level < 0 || level > 2) {
                    throw new UsageException("bad value '" + raw.get("tta") + "' for --tta; valid levels: 0, 1, 2");
                }
                recipe = recipe.withTtaLevel(level);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException("invalid recipe override: " + e.getMessage());
        }
        long seed = raw.containsKey("seed") ? longValue(raw, "seed") : 0;
        int runs = raw.containsKey("runs") ? positiveInt(raw, "runs") : 1;
        int threads = raw.containsKey("threads") ? positiveInt(raw, "threads") : Runtime.getRuntime().availableProcessors();
        int subset = raw.containsKey("train-subset") ? positiveInt(raw, "train-subset") : 0;
        Precision precision = raw.containsKey("precision") ? choice(raw, "precision", Precision.class) : Precision.FP32;
        Compilation compile = raw.containsKey("compile") ? choice(raw, "compile", Compilation.class) : Compilation.NONE;
        boolean epochEval = !raw.containsKey("epoch-eval") || bool(raw, "epoch-eval");
        Path output = Path.of(raw.getOrDefault("output", "runs"));
        return new TrainOptions(recipe, seed, runs, Optional.ofNullable(raw.get("data-dir")).map(Path::of), precision,
                threads, compile, subset, epochEval, output, Optional.ofNullable(raw.get("resume")).map(Path::of),
                Optional.ofNullable(raw.get("export")).map(Path::of),
                raw.containsKey("overwrite-export") && bool(raw, "overwrite-export"), Map.copyOf(new LinkedHashMap<>(raw)));
    }

    /** The SavedModel folder of the run of {@code seed}, whose own folder is {@code runDir}. */
    public Path exportFolder(long seed, Path runDir) {
        return export.map(dir -> runs > 1 ? dir.resolve("seed-" + seed) : dir)
                .orElse(runDir.resolve(MODEL_FOLDER));
    }

    /** Human-readable resolved configuration, printed at the start of every invocation. */
    public String describe() {
        List<String> lines = new ArrayList<>();
        lines.add(recipe.describe());
        lines.add("seed " + seed + (runs > 1 ? " (runs " + runs + ": seeds " + seed + ".." + (seed + runs - 1) + ")" : ""));
        lines.add("precision " + precision.name().toLowerCase(Locale.ROOT) + ", threads " + threads
                + ", compile " + compile.name().toLowerCase(Locale.ROOT));
        if (trainSubset > 0) {
            lines.add("training on the first " + trainSubset + " images only");
        }
        lines.add("per-epoch test evaluation " + (epochEval ? "on" : "off") + ", output " + output);
        return String.join(System.lineSeparator(), lines);
    }

    private static <E extends Enum<E>> E choice(Map<String, String> raw, String name, Class<E> type) {
        String value = raw.get(name);
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value)) {
                return constant;
            }
        }
        throw new UsageException("bad value '" + value + "' for --" + name + "; valid values: "
                + String.join(", ", Arrays.stream(type.getEnumConstants())
                        .map(c -> c.name().toLowerCase(Locale.ROOT)).toList()));
    }

    private static boolean bool(Map<String, String> raw, String name) {
        String value = raw.get(name).toLowerCase(Locale.ROOT);
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; valid values: true, false");
    }

    private static int integer(Map<String, String> raw, String name) {
        try {
            return Integer.parseInt(raw.get(name).trim());
        } catch (NumberFormatException e) {
            throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; expected a whole number");
        }
    }

    private static int positiveInt(Map<String, String> raw, String name) {
        int value = integer(raw, name);
        if (value < 1) {
            throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; expected a positive whole number");
        }
        return value;
    }

    private static long longValue(Map<String, String> raw, String name) {
        try {
            return Long.parseLong(raw.get(name).trim());
        } catch (NumberFormatException e) {
            throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; expected a whole number");
        }
    }

    private static double positiveDouble(Map<String, String> raw, String name) {
        try {
            double value = Double.parseDouble(raw.get(name).trim());
            if (value > 0 && Double.isFinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; expected a positive number");
    }

    private static List<Integer> widths(String value) {
        String[] parts = value.split(",");
        if (parts.length != 3) {
            throw new UsageException("bad value '" + value + "' for --widths; expected three positive numbers like 64,256,256");
        }
        List<Integer> widths = new ArrayList<>();
        for (String part : parts) {
            try {
                int w = Integer.parseInt(part.trim());
                if (w < 1) {
                    throw new NumberFormatException();
                }
                widths.add(w);
            } catch (NumberFormatException e) {
                throw new UsageException("bad value '" + value + "' for --widths; expected three positive numbers like 64,256,256");
            }
        }
        return widths;
    }
}
