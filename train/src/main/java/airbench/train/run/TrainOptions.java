package airbench.train.run;

import airbench.eval.SelectiveTta;

import airbench.train.Recipe;
import airbench.data.AugmentSpec;
import airbench.data.CifarData;
import airbench.data.CifarReader;
import airbench.data.DataLocator;
import airbench.data.DatasetChoice;
import airbench.data.FlipMode;
import airbench.model.Compilation;
import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.model.Precision;
import airbench.model.TensorFlowRuntime;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoublePredicate;

/**
 * The validated options of one invocation. The recipe here already carries the
 * overrides (epochs, batch size, flip, widths, TTA level) and a head of the
 * dataset's class count, so the rest of the program reads hyperparameters from
 * one place.
 *
 * @param recipe      the preset with the command line's overrides applied
 * @param seed        seed of the first run
 * @param runs        number of trainings (seeds seed, seed + 1, ...)
 * @param dataDir     explicit data location, if given
 * @param dataset     the dataset and labels trained on (the recipe's head already has its class count)
 * @param execution   convolution precision and graph execution (plain or with XLA clusters), as chosen
 *                    for this CPU by {@code auto} or fixed by the options, with the reasons
 * @param oneDnn      TensorFlow's oneDNN kernels on (the default) or off, for comparison
 * @param threads     TensorFlow intra-op threads
 * @param trainSubset use the first N training images (0 = all)
 * @param epochEval   evaluate the test set after every epoch (for the table; not timed)
 * @param output      folder receiving run folders
 * @param resume      an invocation folder to continue
 * @param export      where the final models go instead of each run folder's {@code model}
 * @param overwriteExport replace an existing export instead of refusing
 * @param raw         the option values as given, recorded in results
 */
public record TrainOptions(Recipe recipe, long seed, int runs, Optional<Path> dataDir, DatasetChoice dataset,
                           ExecutionPlan execution,
                           boolean oneDnn, int threads, int trainSubset, boolean epochEval, Path output,
                           Optional<Path> resume, Optional<Path> export, boolean overwriteExport,
                           Map<String, String> raw) {
    private static final Logger LOG = LogManager.getLogger(TrainOptions.class);


    /** Folder name of the SavedModel inside a run folder when no --export is given. */

    /**
     * Validates raw option values (as returned by {@link TrainOptionTable#parse}).
     *
     * @throws UsageException naming the option, the bad value and the valid choices
     */
    public static TrainOptions resolve(Map<String, String> raw) {
        return resolve(raw, CpuFeatures.detect());
    }

    /** {@link #resolve(Map)} for a given CPU (what {@code auto} decides depends on it). */
    public static TrainOptions resolve(Map<String, String> raw, CpuFeatures cpu) {
        String recipeName = raw.getOrDefault("recipe", "94");
        Recipe recipe = Recipe.preset(recipeName).orElseThrow(() -> new UsageException(
                "unknown recipe '" + recipeName + "'; valid recipes: " + String.join(", ", Recipe.presetNames())));
        DatasetChoice dataset;
        try {
            dataset = DatasetChoice.parse(raw.get("dataset"), raw.get("labels"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        // The recipes are CIFAR-10's; on another dataset only the head's width changes (docs/METHOD.md section 9:
        // the hyperparameters stay as they are).
        Recipe.Builder builder = recipe.toBuilder().numClasses(dataset.numClasses());
        try {
            if (raw.containsKey("epochs")) {
                builder.epochs(positiveDouble(raw, "epochs"));
            }
            if (raw.containsKey("batch-size")) {
                builder.batchSize(positiveInt(raw, "batch-size"));
            }
            if (raw.containsKey("flip")) {
                builder.flip(choice(raw, "flip", FlipMode.class));
            }
            if (raw.containsKey("widths")) {
                builder.widths(widths(raw.get("widths")));
            }
            if (raw.containsKey("whiten-bias-epochs")) {
                builder.whitenBiasEpochs(nonNegativeDouble(raw, "whiten-bias-epochs"));
            }
            if (raw.containsKey("tta") && raw.get("tta").equals("selective")) {
                builder.ttaLevel(0).ttaSelective(raw.containsKey("tta-fraction")
                        ? ttaFraction(raw.get("tta-fraction")) : SelectiveTta.DEFAULT_FRACTION);
            } else if (raw.containsKey("tta")) {
                int level;
                try {
                    level = Integer.parseInt(raw.get("tta"));
                } catch (NumberFormatException e) {
                    level = -1;
                }
                if (level < 0 || level > 2) {
                    throw new UsageException("bad value '" + raw.get("tta") + "' for --tta; valid values: 0, 1, 2,"
                            + " selective");
                }
                if (raw.containsKey("tta-fraction")) {
                    throw ttaFractionBesideLevel(String.valueOf(level));
                }
                builder.ttaLevel(level).ttaSelective(0);
            } else if (raw.containsKey("tta-fraction")) {
                builder.ttaLevel(0).ttaSelective(ttaFraction(raw.get("tta-fraction")));
            }
            recipe = builder.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException("invalid recipe override: " + e.getMessage());
        }
        if (raw.containsKey("claim-above")) {
            claimAbove(raw);  // refused now, not after the runs
        }
        long seed = raw.containsKey("seed") ? longValue(raw, "seed") : 0;
        int runs = raw.containsKey("runs") ? positiveInt(raw, "runs") : 1;
        int threads = raw.containsKey("threads") ? positiveInt(raw, "threads") : Runtime.getRuntime().availableProcessors();
        int subset = raw.containsKey("train-subset") ? positiveInt(raw, "train-subset") : 0;
        ExecutionPlan execution;
        try {
            execution = ExecutionPlan.resolve(raw.getOrDefault("precision", ExecutionPlan.AUTO),
                    raw.getOrDefault("compile", ExecutionPlan.AUTO), cpu);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (raw.containsKey("tensorboard") && raw.containsKey("no-tensorboard") && bool(raw, "no-tensorboard")) {
            throw new UsageException("--tensorboard and --no-tensorboard exclude each other; give one");
        }
        if (raw.containsKey("checkpoint-every")) {
            int every = integer(raw, "checkpoint-every");
            if (every < 0) {
                throw new UsageException("bad value '" + raw.get("checkpoint-every") + "' for --checkpoint-every;"
                        + " expected a whole number of steps >= 0 (0: at epoch ends only)");
            }
        }
        boolean oneDnn = oneDnn(raw.get("onednn"));
        boolean epochEval = !raw.containsKey("epoch-eval") || bool(raw, "epoch-eval");
        Path output = Path.of(raw.getOrDefault("output", "runs"));
        return new TrainOptions(recipe, seed, runs, Optional.ofNullable(raw.get("data-dir")).map(Path::of), dataset,
                execution, oneDnn, threads, subset, epochEval, output, Optional.ofNullable(raw.get("resume")).map(Path::of),
                Optional.ofNullable(raw.get("export")).map(Path::of),
                raw.containsKey("overwrite-export") && bool(raw, "overwrite-export"), Map.copyOf(new LinkedHashMap<>(raw)));
    }

    /** The accuracy the summary tests the mean against ({@code --claim-above}, a fraction; 0.94 by default). */
    public double claimAbove() {
        return raw.containsKey("claim-above") ? claimAbove(raw) : DEFAULT_CLAIM_ABOVE;
    }

    /** The accuracy a record claim is tested against by default: 94%. */
    public static final double DEFAULT_CLAIM_ABOVE = 0.94;

    private static double claimAbove(Map<String, String> raw) {
        return fraction(raw, "claim-above", false, "the accuracy the mean over the runs is tested to exceed", "0.94");
    }

    /**
     * {@code --tta-fraction}'s value: a share of the test images in (0, 1], for {@code train} and {@code evaluate}
     * alike.
     *
     * @throws UsageException naming the value and the range
     */
    public static double ttaFraction(String value) {
        // Unlike an accuracy to exceed, a share may be 1 (every image); 0 is --tta 0's job.
        return fraction(Map.of("tta-fraction", value), "tta-fraction", true,
                "the share of the test images that selective TTA augments", "0.25 (a quarter)");
    }

    /** The refusal of {@code --tta-fraction} beside {@code --tta level}: the share belongs to selective TTA. */
    public static UsageException ttaFractionBesideLevel(String level) {
        return new UsageException("--tta-fraction is the share of selective TTA; give it with --tta selective, not"
                + " with --tta " + level);
    }

    /**
     * The options to store with a new invocation: as given, except that {@code auto} precision and
     * compilation are replaced by what they chose, so that a resume (possibly on another CPU)
     * continues with what ran and stays bit-exact.
     */
    public Map<String, String> pinnedRaw() {
        Map<String, String> pinned = new LinkedHashMap<>(raw);
        pinned.put("precision", precision().name().toLowerCase(Locale.ROOT));
        pinned.put("compile", compile().name().toLowerCase(Locale.ROOT));
        return pinned;
    }

    /** The convolution precision that runs. */
    public Precision precision() {
        return execution.precision();
    }

    /** The graph execution that runs. */
    public Compilation compile() {
        return execution.compilation();
    }

    /**
     * {@code --onednn on|off} (also true/false); absent means on.
     *
     * @throws UsageException for another value
     */
    public static boolean oneDnn(String value) {
        try {
            return value == null || TensorFlowRuntime.parseOneDnn(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Steps between the checkpoints written inside an epoch ({@code --checkpoint-every}, validated by
     * {@link #resolve}); 0, the default, for checkpoints at epoch ends only.
     */
    public int checkpointEvery() {
        return raw.containsKey("checkpoint-every") ? Integer.parseInt(raw.get("checkpoint-every").trim()) : 0;
    }

    /** The SavedModel folder of the run of {@code seed}, whose own folder is {@code runDir}. */
    public Path exportFolder(long seed, Path runDir) {
        return export.map(dir -> runs > 1 ? RunFolder.seedFolder(dir, seed) : dir)
                .orElse(runDir.resolve(RunFolder.MODEL_FOLDER));
    }

    /** Folder name of the TensorBoard event files inside a run folder when no --tensorboard is given. */

    /**
     * Where the run of {@code seed}, whose own folder is {@code runDir}, writes its TensorBoard event
     * files: {@code runDir/tensorboard}, or {@code DIR/<invocation folder>/seed-K} under {@code --tensorboard DIR}
     * (so that {@code tensorboard --logdir DIR} lists every run of every invocation); empty with
     * {@code --no-tensorboard}.
     */
    public Optional<Path> tensorboardFolder(Path runDir) {
        if (raw.containsKey("no-tensorboard") && bool(raw, "no-tensorboard")) {
            return Optional.empty();
        }
        if (!raw.containsKey("tensorboard")) {
            return Optional.of(runDir.resolve(RunFolder.TENSORBOARD_FOLDER));
        }
        Path run = runDir.toAbsolutePath().normalize();
        Path invocation = run.getParent() == null ? run : run.getParent();
        return Optional.of(Path.of(raw.get("tensorboard")).resolve(invocation.getFileName().toString())
                .resolve(run.getFileName().toString()));
    }

    /** Human-readable resolved configuration, printed at the start of every invocation. */
    public String describe() {
        List<String> lines = new ArrayList<>();
        lines.add(recipe.describe());
        lines.add("dataset " + dataset.displayName() + ": " + dataset.numClasses() + " classes, normalization "
                + dataset.normalization());
        lines.add("seed " + seed + (runs > 1 ? " (runs " + runs + ": seeds " + seed + ".." + (seed + runs - 1) + ")" : ""));
        lines.add(execution.describe());
        lines.add("oneDNN " + (oneDnn ? "on" : "off") + ", threads " + threads);
        if (trainSubset > 0) {
            lines.add("training on the first " + trainSubset + " images only");
        }
        lines.add("per-epoch test evaluation " + (epochEval ? "on" : "off") + ", output " + output
                + (checkpointEvery() > 0 ? ", a checkpoint every " + checkpointEvery() + " steps too" : ""));
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
        return number(raw, name, v -> v > 0 && Double.isFinite(v), "expected a positive number");
    }

    private static double nonNegativeDouble(Map<String, String> raw, String name) {
        return number(raw, name, v -> v >= 0 && Double.isFinite(v), "expected a number >= 0");
    }

    /**
     * A fraction in (0, 1), or (0, 1] when {@code oneAllowed}. The range in the refusal is written from the same
     * flag that checks it, so the two cannot disagree; {@code meaning} and {@code example} tell the user what to give.
     */
    private static double fraction(Map<String, String> raw, String name, boolean oneAllowed, String meaning,
                                   String example) {
        return number(raw, name, v -> v > 0 && (oneAllowed ? v <= 1 : v < 1),
                "give " + meaning + " as a fraction in (0, 1" + (oneAllowed ? "]" : ")") + ", like " + example);
    }

    /**
     * The number given for {@code --name} if {@code accepts} holds for it; otherwise a refusal naming the option and
     * the value, ending in {@code expected}. Text that is not a number is read as NaN, which no range accepts.
     */
    private static double number(Map<String, String> raw, String name, DoublePredicate accepts, String expected) {
        double value;
        try {
            value = Double.parseDouble(raw.get(name).trim());
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!accepts.test(value)) {
            throw new UsageException("bad value '" + raw.get(name) + "' for --" + name + "; " + expected);
        }
        return value;
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

    /** Reads the options' dataset from their data folder (or the default locations), logging what was read. */
    public CifarData loadData() {
        return loadData(locateData(dataDir));
    }

    /** Where the options' dataset is read from: {@code location} (a {@code --data-dir}), else the standard places. */
    public Path locateData(Optional<Path> location) {
        return DataLocator.locate(dataset.variant(), location);
    }

    /** Reads the options' dataset from {@code source} ({@link #locateData}), logging what was read. */
    public CifarData loadData(Path source) {
        CifarData data = CifarReader.read(source, dataset);
        LOG.info("{}", data.train().summary());
        LOG.info("{}", data.test().summary());
        return data;
    }
}
