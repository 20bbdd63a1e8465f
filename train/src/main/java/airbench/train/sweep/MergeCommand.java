package airbench.train.sweep;

import airbench.train.Json;
import airbench.train.Subcommand;
import airbench.train.UsageException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * {@code merge FOLDER... [--output DIR]}: joins the folders of a sweep's shards ({@code sweep --shard i/N}) into
 * one sweep folder with the summary of the whole sweep, the same files an unsharded sweep writes. The folders must
 * hold the same plan. Every run's files are copied into {@code DIR}; a run found in several folders must have the
 * same result in each (a finished run wins over a failed one). With one FOLDER and no {@code --output}, the summary
 * of that folder is written again in place (shards that wrote into one shared folder).
 *
 * <p>Exit codes: 0 merged, 1 a file could not be read or written or two folders disagree, 2 bad command line.
 */
public final class MergeCommand {
    private static final Logger LOG = LogManager.getLogger(MergeCommand.class);
    public static final String NAME = "merge";
    /** What two results of one run must agree on (times, machine and threads may differ). */
    private static final List<String> COMPUTED = List.of("seed", "steps", "tta_accuracy", "accuracy_by_tta_level");

    private static final Subcommand COMMAND = new Subcommand(NAME, NAME + " FOLDER... [--output DIR]",
            "Joins the folders of a sweep's shards (sweep --shard I/N) into one sweep folder with the summary of the"
                    + " whole sweep.");

    private MergeCommand() {}

    private static Options options() {
        return new Options().addOption(Option.builder().longOpt("output").hasArg().argName("DIR")
                .desc("the merged sweep folder (new, or one of the FOLDERs) [default with one FOLDER: it]").get());
    }

    public static int run(String[] args) {
        return COMMAND.run(options(), args, MergeCommand::merge);
    }

    private static int merge(CommandLine line) throws IOException {
        List<Path> folders = line.getArgList().stream().map(Path::of).toList();
        if (folders.isEmpty()) {
            throw new UsageException("give the shard folders to merge (see " + NAME + " --help)");
        }
        if (folders.size() > 1 && !line.hasOption("output")) {
            throw new UsageException("--output DIR is required with several folders");
        }
        Path output = line.hasOption("output") ? Path.of(line.getOptionValue("output")) : folders.get(0);
        SweepSummary.Summary summary = merge(folders, output);
        LOG.info("merged {} folder(s) into {}: {}", folders.size(), output, SweepSummary.describe(summary));
        return 0;
    }

    static SweepSummary.Summary merge(List<Path> folders, Path output) throws IOException {
        List<SweepFolder> sources = new ArrayList<>();
        SweepPlan plan = null;
        for (Path folder : folders) {
            SweepFolder source = SweepFolder.existing(folder);
            SweepPlan p = source.plan();
            if (plan != null && !plan.sameSweep(p)) {
                throw new UsageException(folder + " holds another sweep than " + folders.get(0) + ": "
                        + p.describe() + " vs " + plan.describe());
            }
            plan = p;
            sources.add(source);
        }
        Map<String, Object> how = new LinkedHashMap<>();
        how.put("shard", null);
        how.put("merged_from", folders.stream().map(f -> f.toAbsolutePath().normalize().toString()).toList());
        if (Files.isDirectory(output) && Files.exists(output.resolve(SweepFolder.PLAN_FILE))
                && !SweepFolder.existing(output).plan().sameSweep(plan)) {
            throw new UsageException(output + " holds another sweep; choose a new --output folder");
        }
        SweepFolder target = SweepFolder.open(output, plan, how);
        for (SweepFolder source : sources) {
            if (Files.isSameFile(source.dir(), target.dir())) {
                continue;
            }
            for (RunSpec run : plan.runs()) {
                copyRun(source, target, run);
            }
        }
        return SweepSummary.write(target, plan, true);
    }

    /** Copies a run's files unless the target already has them; a result wins over a failure. */
    private static void copyRun(SweepFolder source, SweepFolder target, RunSpec run) throws IOException {
        Path from = source.runDir(run);
        Path to = target.runDir(run);
        boolean hasResult = Files.isRegularFile(from.resolve(SweepFolder.RESULT_FILE));
        boolean hasFailure = Files.isRegularFile(from.resolve(SweepFolder.FAILURE_FILE));
        if (!hasResult && !hasFailure) {
            return;
        }
        if (Files.isRegularFile(to.resolve(SweepFolder.RESULT_FILE))) {
            if (hasResult && !sameRun(from.resolve(SweepFolder.RESULT_FILE), to.resolve(SweepFolder.RESULT_FILE))) {
                throw new IllegalStateException(run + " has different results in " + from + " and " + to
                        + "; a seeded run gives one result, so one of them comes from other code or options");
            }
            return;
        }
        if (!hasResult && Files.isRegularFile(to.resolve(SweepFolder.FAILURE_FILE))) {
            return;
        }
        Files.createDirectories(to);
        for (String name : List.of(SweepFolder.RESULT_FILE, SweepFolder.TASK_FILE, SweepFolder.FAILURE_FILE)) {
            if (Files.isRegularFile(from.resolve(name)) && (hasResult || !name.equals(SweepFolder.RESULT_FILE))) {
                Files.copy(from.resolve(name), to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (hasResult) {
            Files.deleteIfExists(to.resolve(SweepFolder.FAILURE_FILE));
            target.finished(run);  // refuses a result of other options
        }
    }

    /** Two results of one run agree on what the training computed. */
    private static boolean sameRun(Path a, Path b) throws IOException {
        JsonNode x = Json.MAPPER.readTree(a.toFile());
        JsonNode y = Json.MAPPER.readTree(b.toFile());
        return COMPUTED.stream().allMatch(field -> x.path(field).equals(y.path(field)));
    }
}
