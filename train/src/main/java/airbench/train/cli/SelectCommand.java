package airbench.train.cli;

import airbench.model.CpuFeatures;
import airbench.model.ExecutionPlan;
import airbench.train.Recipe;
import airbench.train.examples.DataSelection;
import airbench.train.run.UsageException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code select}: the command line of the data-selection experiment ({@link DataSelection}, written on the
 * library's public API): its options, validated into {@link DataSelection.Settings} before any work, and a folder
 * the experiment refuses (another experiment's, or other files) as a bad command line.
 */
final class SelectCommand {
    static final String NAME = "select";

    /** Exit code 0 done, 1 failed (data, divergence, I/O), 2 bad command line or folder. */
    static final Command COMMAND = Command.named(NAME)
            .summary("the data-selection experiment: training on the least-confident images against a random share")
            .description("The data-selection experiment of docs/METHOD.md section 12: train airbench94 with label smoothing"
                    + " 0, take each training image's confidence, then train airbench94 on a random share and on the"
                    + " least-confident share of the images and compare their test accuracy. Options:")
            .footer("Results: DIR/result.json.")
            .options(SelectCommand::options)
            .body(SelectCommand::select);

    private SelectCommand() {}

    private static Options options() {
        Options options = new Options();
        String[][] defs = {
                {"runs", "N", "selection runs (a random and a lowest-confidence training each), seeds SEED.. [default: 1]"},
                {"seed", "SEED", "seed of the confidence training and of the first run [default: 0]"},
                {"fraction", "F", "share of the training images in each subset [default: 0.6]"},
                {"epochs", "E", "epochs of the selection trainings [default: 16]"},
                {"confidence-epochs", "E", "epochs of the label-smoothing-0 confidence training [default: recipe 94's, 9.9]"},
                {"train-subset", "N", "use only the first N training images, for a quick try [default: all]"},
                {"tta", "LEVEL", "test-time augmentation of the reported accuracies: 0, 1, 2 [default: recipe 94's, 2]"},
                {"out", "DIR", "the experiment's folder; give an existing one to continue it [default: runs/select-<date>-<time>]"},
                {"data-dir", "PATH", "CIFAR-10 archive or folder [default: $AIRBENCH_DATA, ~/.cache/airbench, ../shared/data, download]"},
                {"precision", "P", "convolution precision: auto, fp32 or bf16 [default: auto]"},
                {"compile", "MODE", "graph execution: auto, none or xla [default: auto]"},
                {"threads", "N", "TensorFlow intra-op threads [default: number of cores]"}};
        for (String[] def : defs) {
            options.addOption(Option.builder().longOpt(def[0]).hasArg().argName(def[1]).desc(def[2]).get());
        }
        return options;
    }

    private static int select(Command.Call call) {
        call.noArguments();
        DataSelection.Settings settings = settings(call.line());
        DataSelection.Experiment experiment;
        try {
            experiment = DataSelection.prepare(settings);
        } catch (IllegalArgumentException e) {
            // What the settings got wrong, found before any training: a subset smaller than one batch, or a folder
            // of another experiment or of other files.
            throw new UsageException(e.getMessage());
        }
        call.out().println(experiment.run());
        return 0;
    }

    static DataSelection.Settings settings(CommandLine line) {
        long seed;
        try {
            seed = Long.parseLong(line.getOptionValue("seed", "0").trim());
        } catch (NumberFormatException e) {
            throw Command.badValue(line, "seed", "a whole number");
        }
        int runs = Command.wholeNumber(line, "runs", 1, 1);
        double fraction = Command.number(line, "fraction", 0.6);
        double epochs = Command.number(line, "epochs", 16);
        double confidenceEpochs = Command.number(line, "confidence-epochs", Recipe.AIRBENCH94.epochs());
        int subset = Command.wholeNumber(line, "train-subset", 0, 1);  // 0, the default: all
        int tta = Command.wholeNumber(line, "tta", Recipe.AIRBENCH94.ttaLevel(), 0);
        int threads = Command.wholeNumber(line, "threads", Runtime.getRuntime().availableProcessors(), 1);
        if (!(fraction > 0 && fraction <= 1)) {
            throw Command.badValue(line, "fraction", "a number in (0, 1]");
        }
        if (epochs <= 0) {
            throw Command.badValue(line, "epochs", "a positive number");
        }
        if (confidenceEpochs <= 0) {
            throw Command.badValue(line, "confidence-epochs", "a positive number");
        }
        if (tta > 2) {
            throw Command.badValue(line, "tta", "0, 1 or 2");
        }
        ExecutionPlan execution;
        try {
            execution = ExecutionPlan.resolve(line.getOptionValue("precision", ExecutionPlan.AUTO),
                    line.getOptionValue("compile", ExecutionPlan.AUTO), CpuFeatures.detect());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path out = line.hasOption("out") ? Path.of(line.getOptionValue("out")) : Path.of("runs", NAME + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        return new DataSelection.Settings(seed, runs, fraction, epochs, confidenceEpochs, subset, tta, execution,
                threads, Optional.ofNullable(line.getOptionValue("data-dir")).map(Path::of), out);
    }
}
