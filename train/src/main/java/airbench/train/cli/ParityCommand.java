package airbench.train.cli;

import airbench.train.LrShape;
import airbench.train.Recipe;
import airbench.train.Schedule;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import airbench.data.AugmentSpec;
import airbench.data.CifarData;
import airbench.data.Normalization;
import airbench.data.TrainingBatches;
import airbench.model.Activation;
import airbench.model.IdentityInit;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.tools.AugmentationCheck;
import airbench.tools.Parity;
import airbench.tools.PythonScript;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code parity --recipe 96 --steps 20}: the trainer's first k steps of a recipe and seed against an
 * independent PyTorch implementation of docs/METHOD.md on the same weights and batches ({@link Parity}).
 * The recipe comes from the same presets and overrides as training; a few switches change one piece
 * of a recipe at a time ({@code --convs-per-block 3 --residual}, {@code --bn-memory 0.9},
 * {@code --cutout 12}, {@code --translate 4}, {@code --warmup-fraction 0.1 --final-lr 0}) so that each
 * piece only airbench96 uses can be checked on the cheaper airbench94 network. {@code --first-step S}
 * takes the steps at schedule position S (the late-run learning rates, Lookahead weights and the final
 * copy of the slow weights) from the seed's initial weights. Precision fp32 and no XLA by default,
 * since the PyTorch side is float32.
 * Exit codes: 0 compared, 1 failed (data, PyTorch missing or failing), 2 bad command line.
 */
final class ParityCommand {
    private static final Logger LOG = LogManager.getLogger(ParityCommand.class);
    static final String NAME = "parity";
    /** Training options this command shares with the trainer (same names, same validation). */
    private static final List<String> SHARED = List.of("recipe", "seed", "epochs", "batch-size", "widths", "flip",
            "precision", "compile", "threads", "data-dir");

    static final Command COMMAND = Command.named(NAME)
            .summary("compares the first steps of a recipe, tensor by tensor, with an independent PyTorch implementation")
            .description("Trains k steps here and in PyTorch from the same weights on the same batches and compares"
                    + " them step by step and tensor by tensor.")
            .options(ParityCommand::options)
            .body(call -> {
                call.noArguments();
                return compare(call.line(), settings(call.line()), call.out());
            });

    private ParityCommand() {}

    static Options options() {
        Options options = new Options();
        for (String name : SHARED) {
            options.addOption(Option.builder().longOpt(name).hasArg().argName("VALUE")
                    .desc("as for training" + (name.equals("precision") ? " [default here: fp32]"
                            : name.equals("compile") ? " [default here: none]" : "")).get());
        }
        options.addOption(opt("steps", "K", "training steps to compare [default: 20]"));
        options.addOption(opt("first-step", "S", "schedule position of the first step [default: 0]"));
        options.addOption(opt("test-images", "N", "test images evaluated by both sides [default: 1000]"));
        options.addOption(opt("out", "DIR", "folder for the case and both sides' outputs [default: parity/NAME-TIME]"));
        options.addOption(opt("python", "PATH", "Python interpreter with PyTorch [default: python3, then /usr/bin/python3]"));
        options.addOption(opt("name", "TEXT", "label of this comparison in the report [default: from the options]"));
        options.addOption(opt("convs-per-block", "N", "2 or 3 convolutions per block"));
        options.addOption(Option.builder().longOpt("residual").desc("the residual addition of airbench96's block").get());
        options.addOption(opt("bn-memory", "M", "BatchNorm running-statistics memory m"));
        options.addOption(opt("cutout", "PX", "cutout size (0 = none)"));
        options.addOption(opt("translate", "PX", "random translation in pixels"));
        options.addOption(opt("warmup-fraction", "F", "fraction of the steps the lr multiplier warms up"));
        options.addOption(opt("final-lr", "S", "lr multiplier at the last step"));
        options.addOption(Option.builder().longOpt("noise-floor").desc("also run PyTorch in its other memory layout"
                + " and compare its two runs: how far float32 round-off alone carries two correct sides apart").get());
        options.addOption(Option.builder().longOpt("replay").desc("also start every PyTorch step from the Java side's"
                + " whole state before it and compare each step on its own (writes that state at every step: about"
                + " 3 x 4 bytes per parameter per step)").get());
        options.addOption(Option.builder().longOpt("augmentation").desc("compare the training augmentation instead"
                + " (statistics of two epochs: coded images for the geometry, 10,000 real images for the pixels)").get());
        options.addOption(Option.builder().longOpt("compare-only").desc("only compare the outputs already in --out").get());
        return options;
    }

    private static Option opt(String name, String arg, String description) {
        return Option.builder().longOpt(name).hasArg().argName(arg).desc(description).get();
    }

    private static int compare(CommandLine line, Settings settings, PrintStream out) throws IOException {
        if (line.hasOption("augmentation")) {
            return augmentation(settings, out);
        }
        boolean compareOnly = line.hasOption("compare-only");
        if (!compareOnly) {
            prepareAndRunJava(settings);
        }
        torch(Parity.TorchRun.MAIN, settings, compareOnly);
        print(out, "", Parity.table(Parity.compare(settings.folder())), settings.folder().resolve("parity.json"));
        if (line.hasOption("replay")) {
            torch(Parity.TorchRun.REPLAY, settings, compareOnly);
            print(out, "replay (each PyTorch step from the Java side's state before it; relative difference of the"
                    + " tensor of each kind that differs most after the step):",
                    Parity.replayTable(Parity.compareReplay(settings.folder())),
                    settings.folder().resolve("parity-replay.json"));
            if (line.hasOption("noise-floor")) {
                torch(Parity.TorchRun.REPLAY_NOISE_FLOOR, settings, compareOnly);
                print(out, "replay noise floor (PyTorch channels-last against PyTorch contiguous, each step from"
                        + " the same Java state):", Parity.replayTable(Parity.compareReplay(settings.folder(),
                                Parity.TorchRun.REPLAY.side, Parity.TorchRun.REPLAY_NOISE_FLOOR.side,
                                "parity-replay-noise-floor.json")),
                        settings.folder().resolve("parity-replay-noise-floor.json"));
            }
        }
        if (line.hasOption("noise-floor")) {
            torch(Parity.TorchRun.NOISE_FLOOR, settings, compareOnly);
            print(out, "noise floor (PyTorch channels-last against PyTorch contiguous, same float32 arithmetic):",
                    Parity.table(Parity.compare(settings.folder(), Parity.TorchRun.MAIN.side,
                            Parity.TorchRun.NOISE_FLOOR.side, "parity-noise-floor.json")),
                    settings.folder().resolve("parity-noise-floor.json"));
        }
        return 0;
    }

    private static int augmentation(Settings s, PrintStream out) throws IOException {
        CifarData data = s.options().loadData();
        AugmentSpec aug = s.options().recipe().augment();
        LOG.info("augmentation check of '{}' ({}) into {}", s.name(), aug, s.folder());
        AugmentationCheck.Report report = AugmentationCheck.run(aug, s.options().seed(), data.train(), REAL_IMAGES,
                s.folder(), s.pythons(), s.options().threads());
        out.print(AugmentationCheck.table(report));
        out.println("written: " + s.folder().resolve("augmentation.json"));
        return report.problems().isEmpty() ? 0 : 1;
    }

    /** Real training images whose augmented pixel statistics both sides compute. */
    private static final int REAL_IMAGES = 10_000;

    /**
     * Runs one PyTorch run unless only comparing.
     *
     * @throws IllegalStateException (exit code 1) when PyTorch is missing or its run did not finish
     */
    private static void torch(Parity.TorchRun run, Settings s, boolean compareOnly) {
        if (compareOnly) {
            return;
        }
        PythonScript.Outcome outcome = Parity.runTorch(run, s.folder(), s.pythons(), s.options().threads());
        if (!outcome.installed()) {
            throw new IllegalStateException("PyTorch " + outcome.notInstalledMessage());
        }
        if (!outcome.succeeded()) {
            throw new IllegalStateException("the PyTorch run '" + run.side + "' (" + outcome.python() + ") exited with "
                    + outcome.exitCode() + "; its output is in the log above");
        }
    }

    private static void print(PrintStream out, String heading, String table, Path written) {
        if (!heading.isEmpty()) {
            out.println();
            out.println(heading);
        }
        out.print(table);
        out.println("written: " + written);
    }

    /** The resolved command line. */
    record Settings(TrainOptions options, String name, int steps, int firstStep, int testImages, Path folder,
                    List<String> pythons, boolean replay) {}

    /**
     * The settings of hlb-CIFAR10 and of the hiverge record (docs/METHOD.md sections 13 and 14) the recipe uses, which
     * the PyTorch side lacks.
     */
    private static List<String> piecesThePyTorchSideLacks(Recipe recipe) {
        List<String> pieces = new ArrayList<>();
        if (recipe.augment().translateOffByOne()) {
            pieces.add("off-by-one crop");
        }
        if (recipe.augment().cutmix() > 0) {
            pieces.add("CutMix");
        }
        if (recipe.network().firstConvIdentity() != IdentityInit.REPLACE) {
            pieces.add("renormalized identity init");
        }
        if (recipe.whitenCentred()) {
            pieces.add("centred whitening");
        }
        if (recipe.lossScale() != 1) {
            pieces.add("loss scale");
        }
        if (recipe.lrShape() != LrShape.TRIANGLE) {
            pieces.add("one-cycle schedule");
        }
        if (recipe.lookaheadStart() != 0) {
            pieces.add("late Lookahead start");
        }
        if (recipe.augment().colourJitter()) {
            pieces.add("colour jitter");
        }
        if (recipe.network().blockActivation() != Activation.GELU) {
            pieces.add("SiLU");
        }
        return pieces;
    }

    static Settings settings(CommandLine line) {
        Map<String, String> raw = new LinkedHashMap<>();
        for (String name : SHARED) {
            if (line.hasOption(name)) {
                raw.put(name, line.getOptionValue(name));
            }
        }
        raw.putIfAbsent("precision", "fp32");
        raw.putIfAbsent("compile", "none");
        TrainOptions options = TrainOptions.resolve(raw);
        Recipe recipe = options.recipe();
        if (!(recipe.optimizer() instanceof OptimizerSpec)) {
            throw new UsageException("parity compares the recipes trained with Nesterov SGD and Lookahead (94, 95, 96);"
                    + " the PyTorch side has no Muon optimizer for recipe " + recipe.name());
        }
        if (recipe.filter() != null) {
            throw new UsageException("parity compares the recipes that train on whole batches (94, 95, 96);"
                    + " the PyTorch side has no proxy network to filter the batches of recipe " + recipe.name());
        }
        List<String> missing = piecesThePyTorchSideLacks(recipe);
        if (!missing.isEmpty()) {
            throw new UsageException("parity compares airbench's pieces (recipes 94, 95, 96); the PyTorch side has no "
                    + String.join(", ", missing) + " for recipe " + recipe.name());
        }
        List<String> pieces = new ArrayList<>();
        try {
            NetworkSpec n = recipe.network();
            if (line.hasOption("convs-per-block") || line.hasOption("residual") || line.hasOption("bn-memory")) {
                int convs = Command.wholeNumber(line, "convs-per-block", n.convsPerBlock(), 0);
                double memory = Command.number(line, "bn-memory", n.batchNormMemory());
                boolean residual = line.hasOption("residual") || n.residual();
                recipe = recipe.toBuilder().network(new NetworkSpec(n.widths(), convs, residual, memory, n.numClasses(), n.head(),
                        n.batchNormEpsilon())).build();
                if (convs != n.convsPerBlock() || residual != n.residual()) {
                    pieces.add(convs + " convs per block" + (residual ? " + residual" : ""));
                }
                if (memory != n.batchNormMemory()) {
                    pieces.add("BatchNorm memory " + memory);
                }
            }
            AugmentSpec a = recipe.augment();
            if (line.hasOption("cutout") || line.hasOption("translate")) {
                int translate = Command.wholeNumber(line, "translate", a.translate(), 0);
                int cutout = Command.wholeNumber(line, "cutout", a.cutout(), 0);
                recipe = recipe.toBuilder().translate(translate).cutout(cutout).build();
                if (cutout != a.cutout()) {
                    pieces.add("cutout " + cutout);
                }
                if (translate != a.translate()) {
                    pieces.add("translate " + translate);
                }
            }
            if (line.hasOption("warmup-fraction") || line.hasOption("final-lr")) {
                double warmup = Command.number(line, "warmup-fraction", recipe.warmupFraction());
                double last = Command.number(line, "final-lr", recipe.finalLrMultiplier());
                recipe = recipe.toBuilder().warmupFraction(warmup).finalLrMultiplier(last).build();
                pieces.add("schedule " + warmup + " -> " + last);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        options = new TrainOptions(recipe, options.seed(), 1, options.dataDir(), options.dataset(), options.execution(),
                options.oneDnn(), options.threads(), 0, false, options.output(), options.resume(), options.export(), false,
                options.raw());
        int steps = Command.wholeNumber(line, "steps", 20, 1);
        int firstStep = Command.wholeNumber(line, "first-step", 0, 0);
        int testImages = Command.wholeNumber(line, "test-images", 1000, 1);
        if (testImages > 10_000) {
            throw new UsageException("--test-images is at most 10000 (the test set)");
        }
        String name = line.hasOption("name") ? line.getOptionValue("name")
                : recipe.name() + (pieces.isEmpty() ? "" : " + " + String.join(" + ", pieces))
                + (firstStep > 0 ? " from step " + firstStep : "");
        Path folder = line.hasOption("out") ? Path.of(line.getOptionValue("out"))
                : Path.of("parity", name.replaceAll("[^A-Za-z0-9.]+", "-") + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        List<String> pythons = line.hasOption("python") ? List.of(line.getOptionValue("python")) : Parity.defaultPythons();
        return new Settings(options, name, steps, firstStep, testImages, folder, pythons, line.hasOption("replay"));
    }

    private static void prepareAndRunJava(Settings s) throws IOException {
        TrainOptions options = s.options();
        Recipe recipe = options.recipe();
        if (Files.exists(s.folder().resolve("case.json"))) {
            throw new IllegalStateException(s.folder() + " already holds a parity case; choose another --out, or"
                    + " add --compare-only to compare the outputs it holds");
        }
        LOG.info("parity case '{}' into {}:{}{}", s.name(), s.folder(), System.lineSeparator(), options.describe());
        CifarData data = options.loadData();
        TrainingBatches batches = new TrainingBatches(data.train(), recipe.augment(), recipe.optimizer().batchSize(),
                options.seed());
        Schedule schedule = Schedule.of(recipe, batches.stepsPerEpoch());
        if (s.firstStep() + s.steps() > schedule.totalSteps()) {
            throw new UsageException("--first-step " + s.firstStep() + " + --steps " + s.steps() + " goes past the "
                    + schedule.totalSteps() + " steps of the run");
        }
        List<Parity.StepPlan> plan = new ArrayList<>();
        for (int step = s.firstStep(); step < s.firstStep() + s.steps(); step++) {
            plan.add(new Parity.StepPlan(step, schedule.lrMultiplier(step), schedule.trainsWhitenBias(step),
                    schedule.lookaheadAlpha(step + 1), step + 1 == schedule.totalSteps()));
        }
        Parity.Case c = new Parity.Case(s.name(), options.seed(), recipe.network(), (OptimizerSpec) recipe.optimizer(),
                recipe.loss(),
                new Parity.ScheduleSpec(schedule.stepsPerEpoch(), schedule.totalSteps(), recipe.warmupFraction(),
                        recipe.finalLrMultiplier(), recipe.whitenBiasEpochs()),
                options.precision(), options.compile(), options.threads(), s.firstStep(), plan, s.testImages(),
                s.replay());
        float[] test = Normalization.normalize(data.test().images());
        Parity.prepareAndRunJava(c, recipe.whiteningFilters(data.train()), batches, test, data.test().labels(),
                s.folder());
    }
}
