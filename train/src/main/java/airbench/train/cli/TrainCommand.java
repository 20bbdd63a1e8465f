package airbench.train.cli;

import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.model.TensorFlowRuntime;
import airbench.train.Recipe;
import airbench.train.StopSignal;
import airbench.train.TrainingStoppedException;
import airbench.train.run.RunData;
import airbench.train.run.RunFolder;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code train}, the default command: {@code mvn exec:java -Dtrain.recipe=95} or
 * {@code java -jar train/target/airbench-train.jar --recipe 95}. Its options are {@link TrainOptionTable}'s, each
 * also a {@code -Dtrain.*} property (flags win); the run folders, checkpoints and results are
 * {@link RunFolder}'s. {@code --onednn} is one of its options (recorded with the run), not the shell's.
 */
final class TrainCommand {
    private static final Logger LOG = LogManager.getLogger(TrainCommand.class);
    static final String NAME = "train";

    static final Command COMMAND = Command.named(NAME)
            .summary("trains a CIFAR-10 or CIFAR-100 classifier with the airbench method (the default command)")
            .usage("java -jar train/target/airbench-train.jar [train] [options]   or   mvn exec:java"
                    + " -Dtrain.<name>=<value>")
            .description("Trains a CIFAR-10 (or CIFAR-100) classifier with the airbench method. Options:")
            .footer("Every --option-name is also the property -Dtrain.optionName (e.g. --data-dir = -Dtrain.dataDir).")
            .options(TrainOptionTable::options)
            .body(TrainCommand::train);

    private TrainCommand() {}

    private static int train(Command.Call call) throws IOException {
        Map<String, String> raw = TrainOptionTable.values(call.line(), call.properties());
        if (raw.containsKey("help")) {  // -Dtrain.help (the flag is the shell's)
            call.out().println(COMMAND.help());
            return 0;
        }
        if (raw.containsKey("list-recipes")) {
            Recipe.presets().forEach(r -> call.out().println(r.describe() + System.lineSeparator()));
            return 0;
        }
        if (raw.containsKey("resume")) {
            raw = RunFolder.resumedOptions(Path.of(raw.get("resume")), raw);
        }
        TrainOptions options = TrainOptions.resolve(raw);
        TensorFlowRuntime.configure(options.oneDnn());
        LOG.info("configuration:{}{}", System.lineSeparator(), options.describe());
        TensorFlowRuntime.status();  // logs, once, oneDNN as it runs and the CPU's deciding flags
        // A resumed invocation reads the data it recorded unless told otherwise, and refuses other data.
        Optional<RunData> recorded = options.resume().flatMap(RunFolder::recordedData);
        Optional<Path> location = recorded.map(r -> r.location(options.dataDir())).orElse(options.dataDir());
        if (options.dataDir().isEmpty() && location.isPresent()) {
            LOG.info("reading the data {} was started with ({})", options.resume().get(), RunFolder.DATA_FILE);
        }
        Path source = options.locateData(location);
        CifarData data = options.loadData(source);
        RunData read = RunData.of(options.dataset(), source, data);
        recorded.ifPresent(r -> r.requireSame(read, options.resume().get()));
        CifarDataset train = options.trainSubset() > 0
                ? data.train().first(Math.min(options.trainSubset(), data.train().size())) : data.train();
        if (raw.containsKey("dry-run")) {
            // IllegalArgumentException (exit code 1): a training set the recipe cannot train on.
            options.recipe().checkTrainable(train);
            LOG.info("dry run: configuration and data are valid; not training");
            return 0;
        }
        Path dir = options.resume().isPresent() ? options.resume().get()
                : RunFolder.create(options.output(), options.recipe(), options.dataset(), options.pinnedRaw());
        if (recorded.isEmpty()) {
            RunFolder.recordData(dir, read);  // a new invocation, or one of code that did not record its data
        }
        LOG.info("results go to {}", dir);
        StopSignal stop = new StopSignal();
        try (SignalStop signals = SignalStop.install(stop)) {
            try {
                RunFolder.run(dir, options, train, data.test(), true, stop);
                return 0;
            } catch (TrainingStoppedException e) {
                LOG.warn("{}. Continue with: {}", e.getMessage(),
                        resumeCommand(System.getProperty("sun.java.command"), dir));
                return signals.exitStatus() != 0 ? signals.exitStatus() : 1;
            }
        }
    }

    /**
     * The command that continues the invocation in {@code dir}, as this process was started ({@code javaCommand}
     * is the JVM's {@code sun.java.command}: the main class or jar, then the arguments): {@code mvn exec:java
     * -Dtrain.resume=DIR} under Maven, {@code java -jar JAR --resume DIR} under a jar, else {@link Main#PROGRAM}'s.
     */
    static String resumeCommand(String javaCommand, Path dir) {
        String launcher = javaCommand == null ? "" : javaCommand.strip().split(" ", 2)[0];
        if (launcher.startsWith("org.codehaus.plexus.classworlds")) {
            return "mvn exec:java -Dtrain.resume=" + dir;
        }
        if (launcher.endsWith(".jar")) {
            return "java -jar " + launcher + " --resume " + dir;
        }
        return Main.PROGRAM + " --resume " + dir;
    }
}
