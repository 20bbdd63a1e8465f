package airbench.train.cli;

import airbench.data.DatasetChoice;
import airbench.eval.Predictor;
import airbench.eval.SelectiveTta;
import airbench.eval.TestSetEvaluation;
import airbench.eval.TestTimeAugmentation;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * The commands on an exported model, {@code evaluate} ({@link TestSetEvaluation}) and {@code predict}
 * ({@link Predictor#predictFiles}):
 * <pre>
 * evaluate --model DIR [--dataset cifar10|cifar100] [--labels fine|coarse] [--tta 0|1|2|selective]
 *          [--tta-fraction F] [--data-dir PATH]
 *          [--json FILE] [--predictions FILE] [--threads N]
 * predict  --model DIR [--dataset ...] [--labels ...] [--top K] [--threads N] FILE_OR_FOLDER...
 * </pre>
 * {@code evaluate} scores the model on the test set of the dataset it was trained on (recorded in the export);
 * {@code --dataset}/{@code --labels} name it explicitly and are refused if the model was trained on another.
 * {@code predict} prints the model's own class names; there the options only check the model. {@code --model},
 * {@code --dataset}, {@code --labels}, {@code --tta}, {@code --data-dir}, {@code --threads} and {@code --top} can
 * also come from the system properties {@code eval.model}, {@code eval.dataset}, {@code eval.labels},
 * {@code eval.tta}, {@code eval.dataDir}, {@code eval.threads} and {@code eval.top}, the files of {@code predict}
 * from {@code eval.files} (comma-separated), for {@code mvn exec:java -Deval.command=evaluate -Deval.model=DIR};
 * a flag wins over its property. Exit codes: 0 done, 1 bad model, image or data, 2 bad command line.
 */
final class ModelCommands {
    private static final int DEFAULT_TTA = 2;

    static final Command EVALUATE = Command.named("evaluate")
            .summary("test accuracy of an exported model on its dataset's test set, at each TTA level")
            .usage("evaluate --model DIR [--dataset D] [--tta 0|1|2|selective] [--tta-fraction F] [--data-dir PATH]"
                    + " [--json FILE]")
            .description("Test accuracy of an exported model on the test set of its dataset (CIFAR-10 or CIFAR-100,"
                    + " as the model records it), at every TTA level up to --tta.")
            .footer("Properties: eval.model, eval.dataset, eval.labels, eval.tta, eval.dataDir, eval.threads.")
            .options(ModelCommands::evaluateOptions)
            .body(ModelCommands::evaluate);

    static final Command PREDICT = Command.named("predict")
            .summary("top classes of PNG or JPEG images by an exported model")
            .usage("predict --model DIR FILES_OR_FOLDERS...")
            .description("Top classes of PNG or JPEG images (other sizes are resized to 32x32); a folder means its"
                    + " images.")
            .footer("Properties: eval.model, eval.dataset, eval.labels, eval.top, eval.threads, eval.files"
                    + " (comma-separated).")
            .options(ModelCommands::predictOptions)
            .body(ModelCommands::predict);

    private ModelCommands() {}

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
                                + " is printed; or selective: plain logits for all images, the six-view mean for the"
                                + " least confident --tta-fraction, printed beside level 0").get())
                .addOption(Option.builder().longOpt("tta-fraction").hasArg().argName("F")
                        .desc("share of the test images selective TTA augments, in (0, 1] (default 0.25);"
                                + " implies --tta selective").get())
                .addOption(Option.builder().longOpt("data-dir").hasArg().argName("PATH")
                        .desc("the dataset's archive or folder (default: as the trainer finds it)").get())
                .addOption(Option.builder().longOpt("json").hasArg().argName("FILE")
                        .desc("also write the result to FILE as JSON").get())
                .addOption(Option.builder().longOpt("predictions").hasArg().argName("FILE")
                        .desc("also write every test image's label and predicted class at each TTA level to FILE"
                                + " (CSV)").get())
                .addOption(threadsOption());
    }

    private static Options predictOptions() {
        return new Options().addOption(modelOption())
                .addOption(datasetOption("check that the model was trained on it"))
                .addOption(labelsOption())
                .addOption(Option.builder().longOpt("top").hasArg().argName("K")
                        .desc("classes to print per image (default 3)").get())
                .addOption(threadsOption());
    }

    private static int evaluate(Command.Call call) {
        call.noArguments();
        Path modelDir = model(call);
        Optional<DatasetChoice> requested = requestedDataset(call);
        double selective = selectiveFraction(call);
        int tta = selective > 0 ? 0 : intValue(call, "tta", "eval.tta", DEFAULT_TTA, 0, TestTimeAugmentation.MAX_LEVEL);
        Optional<Path> dataDir = call.valueOrProperty("data-dir", "eval.dataDir").map(Path::of);
        Optional<Path> json = Optional.ofNullable(call.value("json")).map(Path::of);
        Optional<Path> predictions = Optional.ofNullable(call.value("predictions")).map(Path::of);
        int threads = threads(call);
        List<Path> fallbacks = new ArrayList<>();
        String fallback = call.properties().getProperty(Main.FALLBACK_PROPERTY);
        if (fallback != null && !fallback.isBlank()) {
            fallbacks.add(Path.of(fallback).toAbsolutePath().normalize());
        }
        TestSetEvaluation result = TestSetEvaluation.run(modelDir, requested, tta, threads, dataDir, fallbacks,
                selective);
        result.lines().forEach(call.out()::println);
        json.ifPresent(result::writeJson);
        predictions.ifPresent(result::writePredictions);
        return 0;
    }

    private static int predict(Command.Call call) {
        Path modelDir = model(call);
        Optional<DatasetChoice> requested = requestedDataset(call);
        List<String> names = new ArrayList<>(call.arguments());
        if (names.isEmpty()) {
            String fromProperty = call.properties().getProperty("eval.files", "");
            Arrays.stream(fromProperty.split(",")).map(String::trim).filter(f -> !f.isEmpty()).forEach(names::add);
        }
        if (names.isEmpty()) {
            throw new UsageException("name at least one image file or folder after the options"
                    + " (or -Deval.files=A.png,B.png)");
        }
        int top = intValue(call, "top", "eval.top", 3, 1, 1000);
        int threads = threads(call);
        List<Path> inputs = names.stream().map(Path::of).toList();
        Predictor.predictFiles(modelDir, requested, top, threads, inputs).forEach(call.out()::println);
        return 0;
    }

    private static Path model(Command.Call call) {
        return Path.of(call.valueOrProperty("model", "eval.model").orElseThrow(() -> new UsageException(
                "--model DIR is required (or -Deval.model=DIR)")));
    }

    /**
     * The share of selective TTA: {@code --tta selective} (0.25 unless {@code --tta-fraction} says otherwise) or
     * {@code --tta-fraction} alone; 0 for a TTA level.
     */
    private static double selectiveFraction(Command.Call call) {
        Optional<String> tta = call.valueOrProperty("tta", "eval.tta").map(String::trim);
        Optional<String> fraction = call.valueOrProperty("tta-fraction", "eval.ttaFraction");
        boolean selective = tta.map("selective"::equals).orElse(false);
        if (fraction.isEmpty()) {
            return selective ? SelectiveTta.DEFAULT_FRACTION : 0;
        }
        if (tta.isPresent() && !selective) {
            throw TrainOptions.ttaFractionBesideLevel(tta.get());
        }
        return TrainOptions.ttaFraction(fraction.get());
    }

    private static int intValue(Command.Call call, String option, String property, int defaultValue, int min,
                                int max) {
        Optional<String> text = call.valueOrProperty(option, property);
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
        throw new UsageException("--" + option + " must be an integer from " + min + " to " + max + ", got '"
                + text.get() + "'");
    }

    /** {@code --dataset} and {@code --labels} (or their properties) if either is given. */
    private static Optional<DatasetChoice> requestedDataset(Command.Call call) {
        Optional<String> dataset = call.valueOrProperty("dataset", "eval.dataset");
        Optional<String> labels = call.valueOrProperty("labels", "eval.labels");
        if (dataset.isEmpty() && labels.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(DatasetChoice.parse(dataset.orElse(null), labels.orElse(null)));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static int threads(Command.Call call) {
        return intValue(call, "threads", "eval.threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
    }
}
