package airbench.eval;

import airbench.data.DataException;
import airbench.data.DatasetChoice;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * The {@code evaluate} and {@code predict} commands on an exported model.
 * <pre>
 * evaluate --model DIR [--dataset cifar10|cifar100] [--labels fine|coarse] [--tta 0|1|2] [--data-dir PATH]
 *          [--json FILE] [--threads N]
 * predict  --model DIR [--dataset ...] [--labels ...] [--top K] [--threads N] FILE_OR_FOLDER...
 * </pre>
 * {@code evaluate} scores the model on the test set of the dataset it was trained on (recorded in the
 * export); {@code --dataset}/{@code --labels} name it explicitly and are refused if the model was trained
 * on another. {@code predict} prints the model's own class names; there the options only check the model.
 * {@code --model}, {@code --dataset}, {@code --labels}, {@code --tta}, {@code --data-dir} and {@code --threads}
 * can also come from the system properties {@code eval.model}, {@code eval.dataset}, {@code eval.labels},
 * {@code eval.tta}, {@code eval.dataDir} and {@code eval.threads} (for {@code mvn exec:java -Deval.model=...});
 * a flag wins over its property.
 * Exit codes: 0 done, 1 bad model, image or data (message on stderr), 2 bad command line (one line on stderr).
 */
public final class EvalCommands {
    /** Where the Maven build says the shared data copy is: looked at before downloading, as the trainer does. */
    public static final String FALLBACK_PROPERTY = "airbench.data.fallback";
    private static final int DEFAULT_TTA = 2;

    private EvalCommands() {}

    /** A bad command line: one line on stderr, exit code 2. */
    private static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** Runs one command and exits with its code (for {@code java -cp ... airbench.eval.EvalCommands}). */
    public static void main(String[] args) {
        int code = run(args, System.getProperties());
        if (code != 0) {
            System.exit(code);
        }
    }

    public static int run(String[] args, Properties systemProperties) {
        return run(args, systemProperties, System.out, System.err);
    }

    /** As {@link #run(String[], Properties)}, printing results to {@code out} and errors to {@code err}. */
    public static int run(String[] args, Properties systemProperties, PrintStream out, PrintStream err) {
        try {
            if (args.length == 0) {
                throw new UsageError("missing command: use 'evaluate --model DIR [--tta 0|1|2] [--data-dir PATH]'"
                        + " or 'predict --model DIR FILES_OR_FOLDERS...'");
            }
            String command = args[0];
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            return switch (command) {
                case "evaluate" -> evaluate(rest, systemProperties, out);
                case "predict" -> predict(rest, systemProperties, out);
                case "help", "-h", "--help" -> {
                    out.println(help());
                    yield 0;
                }
                default -> throw new UsageError("unknown command '" + command + "'; the commands are evaluate and"
                        + " predict");
            };
        } catch (UsageError e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (EvalException | DataException | UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** Usage of both commands. */
    public static String help() {
        return evaluateHelp() + "\n\n" + predictHelp();
    }

    private static String evaluateHelp() {
        return helpText("evaluate --model DIR [--dataset D] [--tta 0|1|2] [--data-dir PATH] [--json FILE]",
                "Test accuracy of an exported model on the test set of its dataset (CIFAR-10 or CIFAR-100, as the"
                        + " model records it), at every TTA level up to --tta.",
                evaluateOptions(), "Properties: eval.model, eval.dataset, eval.labels, eval.tta, eval.dataDir,"
                        + " eval.threads.");
    }

    private static String predictHelp() {
        return helpText("predict --model DIR FILES_OR_FOLDERS...",
                "Top classes of PNG or JPEG images (other sizes are resized to 32x32); a folder means its images.",
                predictOptions(), "Properties: eval.model, eval.dataset, eval.labels, eval.top, eval.threads,"
                        + " eval.files (comma-separated).");
    }

    private static String helpText(String usage, String header, Options options, String footer) {
        java.io.StringWriter text = new java.io.StringWriter();
        java.io.PrintWriter writer = new java.io.PrintWriter(text);
        new HelpFormatter().printHelp(writer, 100, usage, header, options, 2, 2, footer);
        writer.flush();
        return text.toString().stripTrailing();
    }

    private static Option helpOption() {
        return Option.builder().longOpt("help").desc("print this help").get();
    }

    private static Option modelOption() {
        return Option.builder().longOpt("model").hasArg().argName("DIR")
                .desc("the exported model (a SavedModel folder)").get();
    }

    private static Option threadsOption() {
        return Option.builder().longOpt("threads").hasArg().argName("N")
                .desc("TensorFlow intra-op threads (default: the number of cores, as in training)").get();
    }

    private static Option datasetOption(String use) {
        return Option.builder().longOpt("dataset").hasArg().argName("NAME")
                .desc("cifar10 or cifar100: " + use + " [default: the dataset the model records]").get();
    }

    private static Option labelsOption() {
        return Option.builder().longOpt("labels").hasArg().argName("SET")
                .desc("with --dataset cifar100: fine (100 classes, the default) or coarse (20 superclasses)").get();
    }

    private static Options evaluateOptions() {
        return new Options().addOption(modelOption())
                .addOption(datasetOption("the test set to score the model on; refused if the model was trained on"
                        + " another"))
                .addOption(labelsOption())
                .addOption(Option.builder().longOpt("tta").hasArg().argName("LEVEL")
                        .desc("highest test-time augmentation level, 0, 1 or 2 (default 2); every level up to it"
                                + " is printed").get())
                .addOption(Option.builder().longOpt("data-dir").hasArg().argName("PATH")
                        .desc("the dataset's archive or folder (default: as the trainer finds it)").get())
                .addOption(Option.builder().longOpt("json").hasArg().argName("FILE")
                        .desc("also write the result to FILE as JSON").get())
                .addOption(Option.builder().longOpt("predictions").hasArg().argName("FILE")
                        .desc("also write every test image's label and predicted class at each TTA level to FILE"
                                + " (CSV)").get())
                .addOption(threadsOption())
                .addOption(helpOption());
    }

    private static Options predictOptions() {
        return new Options().addOption(modelOption())
                .addOption(datasetOption("check that the model was trained on it"))
                .addOption(labelsOption())
                .addOption(Option.builder().longOpt("top").hasArg().argName("K")
                        .desc("classes to print per image (default 3)").get())
                .addOption(threadsOption())
                .addOption(helpOption());
    }

    private static CommandLine parse(String command, Options options, String[] args) throws UsageError {
        try {
            return DefaultParser.builder().setAllowPartialMatching(false).get().parse(options, args);
        } catch (ParseException e) {
            throw new UsageError(command + ": " + e.getMessage() + " (see " + command + " --help)");
        }
    }

    /** The flag, else the system property, else empty. */
    private static Optional<String> value(CommandLine line, String option, Properties properties, String property) {
        if (line.hasOption(option)) {
            return Optional.of(line.getOptionValue(option));
        }
        String fromProperty = properties.getProperty(property);
        return fromProperty == null || fromProperty.isBlank() ? Optional.empty() : Optional.of(fromProperty.trim());
    }

    private static Path model(String command, CommandLine line, Properties properties) throws UsageError {
        return Path.of(value(line, "model", properties, "eval.model").orElseThrow(() -> new UsageError(command
                + ": --model DIR is required (or -Deval.model=DIR)")));
    }

    private static int intValue(String command, CommandLine line, Properties properties, String option,
                                String property, int defaultValue, int min, int max) throws UsageError {
        Optional<String> text = value(line, option, properties, property);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.get().trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageError(command + ": --" + option + " must be an integer from " + min + " to " + max + ", got '"
                + text.get() + "'");
    }

    /** {@code --dataset} and {@code --labels} (or their properties) if either is given. */
    private static Optional<DatasetChoice> requestedDataset(String command, CommandLine line, Properties properties)
            throws UsageError {
        Optional<String> dataset = value(line, "dataset", properties, "eval.dataset");
        Optional<String> labels = value(line, "labels", properties, "eval.labels");
        if (dataset.isEmpty() && labels.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(DatasetChoice.parse(dataset.orElse(null), labels.orElse(null)));
        } catch (IllegalArgumentException e) {
            throw new UsageError(command + ": " + e.getMessage());
        }
    }

    private static int threads(String command, CommandLine line, Properties properties) throws UsageError {
        return intValue(command, line, properties, "threads", "eval.threads",
                Runtime.getRuntime().availableProcessors(), 1, 1024);
    }

    private static int evaluate(String[] args, Properties properties, PrintStream out) throws UsageError {
        CommandLine line = parse("evaluate", evaluateOptions(), args);
        if (line.hasOption("help")) {
            out.println(evaluateHelp());
            return 0;
        }
        if (!line.getArgList().isEmpty()) {
            throw new UsageError("evaluate: unexpected argument '" + line.getArgList().get(0) + "'");
        }
        Path modelDir = model("evaluate", line, properties);
        Optional<DatasetChoice> requested = requestedDataset("evaluate", line, properties);
        int tta = intValue("evaluate", line, properties, "tta", "eval.tta", DEFAULT_TTA, 0,
                TestTimeAugmentation.MAX_LEVEL);
        Optional<Path> dataDir = value(line, "data-dir", properties, "eval.dataDir").map(Path::of);
        Optional<Path> json = Optional.ofNullable(line.getOptionValue("json")).map(Path::of);
        Optional<Path> predictionsFile = Optional.ofNullable(line.getOptionValue("predictions")).map(Path::of);
        int threads = threads("evaluate", line, properties);

        List<Path> fallbacks = new ArrayList<>();
        String fallback = properties.getProperty(FALLBACK_PROPERTY);
        if (fallback != null && !fallback.isBlank()) {
            fallbacks.add(Path.of(fallback).toAbsolutePath().normalize());
        }
        TestSetEvaluation result = TestSetEvaluation.run(modelDir, requested, tta, threads, dataDir, fallbacks);
        result.lines().forEach(out::println);
        json.ifPresent(result::writeJson);
        predictionsFile.ifPresent(result::writePredictions);
        return 0;
    }

    private static int predict(String[] args, Properties properties, PrintStream out) throws UsageError {
        CommandLine line = parse("predict", predictOptions(), args);
        if (line.hasOption("help")) {
            out.println(predictHelp());
            return 0;
        }
        Path modelDir = model("predict", line, properties);
        Optional<DatasetChoice> requested = requestedDataset("predict", line, properties);
        List<String> names = new ArrayList<>(line.getArgList());
        if (names.isEmpty()) {
            String fromProperty = properties.getProperty("eval.files", "");
            Arrays.stream(fromProperty.split(",")).map(String::trim).filter(f -> !f.isEmpty()).forEach(names::add);
        }
        if (names.isEmpty()) {
            throw new UsageError("predict: name at least one image file or folder after the options"
                    + " (or -Deval.files=A.png,B.png)");
        }
        int top = intValue("predict", line, properties, "top", "eval.top", 3, 1, 1000);
        int threads = threads("predict", line, properties);
        List<Path> inputs = names.stream().map(Path::of).toList();
        Predictor.predictFiles(modelDir, requested, top, threads, inputs).forEach(out::println);
        return 0;
    }
}
