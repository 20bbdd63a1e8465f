package airbench.train.cli;

import airbench.train.RunResult;
import airbench.train.report.Plots;
import airbench.train.run.Json;
import airbench.train.run.UsageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code plot FOLDER... [--out DIR]}: the PNG charts ({@link Plots}) of finished runs. A FOLDER is an
 * invocation folder a training wrote (results in {@code seed-K/result.json}), a recorded one as kept under
 * {@code docs/results/} ({@code seed-K-result.json}), or a single run's folder ({@code result.json}).
 * Each folder's charts go to {@code DIR/<folder name>/}; with several folders, {@code DIR/accuracy.png} and
 * {@code DIR/tta-levels.png} compare them. Without {@code --out}, one folder's charts go to
 * {@code FOLDER/plots}.
 */
final class PlotCommand {
    static final String NAME = "plot";
    static final String RESULT_FILE = "result.json";
    private static final Pattern RECORDED_RESULT = Pattern.compile("seed-(-?\\d+)-result\\.json");
    private static final Pattern RUN_FOLDER = Pattern.compile("seed-(-?\\d+)");

    /** Exit code 0 done, 1 unreadable results or a file that cannot be written, 2 bad command line or folder. */
    static final Command COMMAND = Command.named(NAME)
            .summary("draws PNG charts (curves, accuracy distributions, TTA levels) of finished runs")
            .usage(NAME + " FOLDER... [--out DIR]")
            .description("Draws training curves, final-accuracy distributions and TTA levels of finished runs as PNG"
                    + " files. FOLDER: an invocation folder (runs/94-...), a recorded one (docs/results/...), or one"
                    + " run's folder.")
            .options(PlotCommand::options)
            .body(PlotCommand::plot);

    private PlotCommand() {}

    private static Options options() {
        return new Options().addOption(Option.builder().longOpt("out").hasArg().argName("DIR")
                .desc("folder for the PNG files [default with one FOLDER: FOLDER/plots]").get());
    }

    private static int plot(Command.Call call) {
        CommandLine line = call.line();
        List<String> folders = line.getArgList();
        if (folders.isEmpty()) {
            throw new UsageException("give at least one folder of finished runs (see " + NAME + " --help)");
        }
        if (!line.hasOption("out") && folders.size() > 1) {
            throw new UsageException("--out DIR is required with several folders");
        }
        List<Plots.Group> groups = new ArrayList<>();
        for (String folder : folders) {
            groups.add(load(Path.of(folder)));
        }
        Path out = line.hasOption("out") ? Path.of(line.getOptionValue("out"))
                : Path.of(folders.get(0)).resolve("plots");
        List<Path> written = new ArrayList<>();
        for (Plots.Group group : groups) {
            written.addAll(Plots.writeInvocation(group, groups.size() == 1 ? out : out.resolve(group.name())));
        }
        if (groups.size() > 1) {
            written.addAll(Plots.writeComparison(groups, out));
        }
        written.forEach(p -> call.out().println("wrote " + p));
        return 0;
    }

    /**
     * The runs in {@code folder}, named by the folder (a run folder by its invocation's name and its own).
     *
     * @throws UsageException when the folder does not exist or holds no run results
     * @throws IllegalStateException when a result file is not a run result
     */
    static Plots.Group load(Path folder) {
        if (!Files.exists(folder)) {
            throw new UsageException(folder + " does not exist");
        }
        if (!Files.isDirectory(folder)) {
            throw new UsageException(folder + " is not a folder; give a folder of finished runs");
        }
        Path absolute = folder.toAbsolutePath().normalize();
        String name = absolute.getFileName() == null ? absolute.toString() : absolute.getFileName().toString();
        if (Files.isRegularFile(folder.resolve(RESULT_FILE))) {
            Path parent = absolute.getParent();
            String runName = parent == null || parent.getFileName() == null ? name : parent.getFileName() + "-" + name;
            return new Plots.Group(runName, List.of(read(folder.resolve(RESULT_FILE))));
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(folder)) {
            entries.forEach(entry -> {
                String entryName = entry.getFileName().toString();
                if (Files.isRegularFile(entry) && RECORDED_RESULT.matcher(entryName).matches()) {
                    files.add(entry);
                } else if (Files.isDirectory(entry) && RUN_FOLDER.matcher(entryName).matches()
                        && Files.isRegularFile(entry.resolve(RESULT_FILE))) {
                    files.add(entry.resolve(RESULT_FILE));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + folder + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new UsageException(folder + " holds no finished runs (no seed-K/" + RESULT_FILE
                    + ", seed-K-" + RESULT_FILE + " or " + RESULT_FILE + "); give a folder that a training wrote"
                    + " under --output (e.g. runs/94-20261124-060000), a run folder in it, or one of docs/results/*");
        }
        List<RunResult> runs = files.stream().map(PlotCommand::read)
                .sorted(Comparator.comparingLong(RunResult::seed)).toList();
        return new Plots.Group(name, runs);
    }

    private static RunResult read(Path file) {
        RunResult result;
        try {
            result = Json.MAPPER.readValue(file.toFile(), RunResult.class);
        } catch (IOException e) {
            throw new IllegalStateException("could not read " + file + " as a run result: " + e.getMessage(), e);
        }
        if (result.recipe() == null || result.history() == null || result.accuracyByTtaLevel() == null) {
            throw new IllegalStateException(file + " is not a run result (no recipe, history or accuracy_by_tta_level)");
        }
        return result;
    }
}
