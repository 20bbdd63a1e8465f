package airbench.train.run;

import airbench.train.Recipe;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * The trainer's options. Each exists twice: as a flag {@code --name} for the
 * runnable jar, and as a system property {@code -Dtrain.camelName=} for
 * {@code mvn exec:java}. Flags win over properties. This class only collects
 * the raw strings; {@link TrainOptions} validates them.
 */
public final class TrainOptionTable {

    /** One option: its flag name, value placeholder (null for a switch), default shown in --help, and meaning. */
    public record Def(String name, String valueName, String defaultText, String description) {
        /** {@code data-dir} becomes {@code train.dataDir}. */
        public String property() {
            StringBuilder camel = new StringBuilder("train.");
            boolean upper = false;
            for (char c : name.toCharArray()) {
                if (c == '-') {
                    upper = true;
                } else {
                    camel.append(upper ? Character.toUpperCase(c) : c);
                    upper = false;
                }
            }
            return camel.toString();
        }

        boolean isSwitch() {
            return valueName == null;
        }
    }

    public static final List<Def> DEFS = List.of(
            new Def("recipe", "NAME", "94", "training recipe: " + String.join(", ", Recipe.presetNames())),
            new Def("data-dir", "PATH", "$AIRBENCH_DATA, ~/.cache/airbench, ../shared/data, download",
                    "the dataset's archive (.tar.gz) or folder of extracted files"),
            new Def("dataset", "NAME", "cifar10", "dataset: cifar10 or cifar100 (the head, class names and"
                    + " normalization follow it)"),
            new Def("labels", "SET", "fine", "CIFAR-100's labels: fine (100 classes) or coarse (20 superclasses);"
                    + " only with --dataset cifar100"),
            new Def("epochs", "N", "recipe's", "training epochs (fractional allowed)"),
            new Def("batch-size", "N", "recipe's", "images per optimizer step"),
            new Def("seed", "N", "0", "random seed of the first run; run k uses seed + k"),
            new Def("runs", "N", "1", "number of trainings; mean and spread are reported"),
            new Def("claim-above", "ACC", "0.94", "with several runs, the summary gives the one-sided t-test p-value"
                    + " that the mean final accuracy exceeds ACC (a fraction)"),
            new Def("tta", "LEVEL", "recipe's", "test-time augmentation of the final evaluation: 0, 1, 2 or"
                    + " selective (plain logits, the six-view mean for the least confident --tta-fraction)"),
            new Def("tta-fraction", "F", "0.25", "share of the test images selective TTA augments (the least"
                    + " confident), in (0, 1]; implies --tta selective"),
            new Def("flip", "MODE", "recipe's", "flip augmentation: alternating, random or none"),
            new Def("precision", "P", "auto", "convolution precision: auto (bf16 where the CPU has avx512_bf16 "
                    + "or amx_bf16, else fp32), fp32 or bf16"),
            new Def("threads", "N", "number of cores", "TensorFlow intra-op threads"),
            new Def("compile", "MODE", "auto", "graph execution: auto (xla on CPUs with AVX2, else none), "
                    + "none (plain TensorFlow) or xla (XLA clusters)"),
            new Def("onednn", "on|off", "on", "TensorFlow's oneDNN kernels (off only to compare)"),
            new Def("widths", "A,B,C", "recipe's", "channel widths of the three conv blocks"),
            new Def("whiten-bias-epochs", "N", "recipe's", "epochs the whitening bias trains before it freezes"
                    + " (96faster: 144, the whole run, as published; 3 is the freeze its script intended)"),
            new Def("train-subset", "N", "all", "train on the first N training images only"),
            new Def("epoch-eval", "BOOL", "true", "measure test accuracy after every epoch (not counted in train time)"),
            new Def("output", "DIR", "runs", "folder that receives run folders (results, checkpoints)"),
            new Def("resume", "RUN_DIR", "", "continue an interrupted invocation from its folder"),
            new Def("checkpoint-every", "N", "0 (epoch ends only)", "also write the checkpoint every N steps"
                    + " (for slow machines; a stop by SIGTERM or SIGINT writes one at its step anyway)"),
            new Def("export", "DIR", "<run folder>/model",
                    "where the final model goes as a SavedModel (with --runs N: DIR/seed-K)"),
            new Def("overwrite-export", null, "", "replace an existing SavedModel at the export folder"),
            new Def("tensorboard", "DIR", "<run folder>/tensorboard",
                    "where TensorBoard event files go (given: DIR/<invocation>/seed-K, one TensorBoard run each)"),
            new Def("no-tensorboard", null, "", "write no TensorBoard event files"),
            new Def("dry-run", null, "", "load the data, print the configuration, and stop"),
            new Def("list-recipes", null, "", "print every hyperparameter of every recipe and stop"),
            new Def("help", null, "", "print this help and stop"));

    private TrainOptionTable() {}

    /**
     * Raw option values by flag name (switches map to "true"), from system properties
     * {@code train.*} overridden by the arguments.
     *
     * @throws UsageException for an unknown option or property, or a missing value
     */
    public static Map<String, String> parse(String[] args, Properties systemProperties) {
        CommandLine line;
        try {
            line = DefaultParser.builder().setAllowPartialMatching(false).get().parse(options(), args);
        } catch (ParseException e) {
            throw new UsageException(e.getMessage().replace("Unrecognized option", "unknown option")
                    + "; valid options: " + DEFS.stream().map(d -> "--" + d.name()).collect(Collectors.joining(", ")));
        }
        return values(line, systemProperties);
    }

    /**
     * Raw option values by flag name (switches map to "true") of a command line parsed against {@link #options()}:
     * the system properties {@code train.*} overridden by the flags.
     *
     * @throws UsageException for an unknown property or an argument that is not an option
     */
    public static Map<String, String> values(CommandLine line, Properties systemProperties) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Def> byProperty = DEFS.stream().collect(Collectors.toMap(Def::property, d -> d));
        for (String key : systemProperties.stringPropertyNames()) {
            if (!key.startsWith("train.")) {
                continue;
            }
            Def def = byProperty.get(key);
            if (def == null) {
                throw new UsageException("unknown property -D" + key + "; valid properties: "
                        + DEFS.stream().map(Def::property).collect(Collectors.joining(", ")));
            }
            String value = systemProperties.getProperty(key);
            values.put(def.name(), def.isSwitch() && value.isEmpty() ? "true" : value);
        }
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + line.getArgList().get(0)
                    + "'; options take the form --name value (see --help)");
        }
        for (Def def : DEFS) {
            if (line.hasOption(def.name())) {
                values.put(def.name(), def.isSwitch() ? "true" : line.getOptionValue(def.name()));
            }
        }
        return values;
    }

    /** The --help text: usage, then every option with its property and default. */
    public static String help() {
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out);
        new HelpFormatter().printHelp(writer, 110,
                "java -jar train/target/airbench-train.jar [options]   or   mvn exec:java -Dtrain.<name>=<value>",
                "Trains a CIFAR-10 (or CIFAR-100) classifier with the airbench method. Options:", options(), 2, 2,
                "Every --option-name is also the property -Dtrain.optionName (e.g. --data-dir = -Dtrain.dataDir).",
                false);
        writer.flush();
        return out.toString();
    }

    /** Every option of {@link #DEFS}, each description with its default and its property. */
    public static Options options() {
        Options options = new Options();
        for (Def def : DEFS) {
            String description = def.description()
                    + (def.defaultText().isEmpty() ? "" : " [default: " + def.defaultText() + "]")
                    + " (-D" + def.property() + ")";
            Option.Builder builder = Option.builder().longOpt(def.name()).desc(description);
            if (!def.isSwitch()) {
                builder.hasArg().argName(def.valueName());
            }
            options.addOption(builder.build());
        }
        return options;
    }
}
