package airbench.train.cli;

import airbench.train.run.UsageException;
import airbench.train.sweep.Sweep;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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

    static final Command COMMAND = Command.named(NAME)
            .summary("joins the folders of a sweep's shards into one sweep folder and summary")
            .usage(NAME + " FOLDER... [--output DIR]")
            .description("Joins the folders of a sweep's shards (sweep --shard I/N) into one sweep folder with the"
                    + " summary of the whole sweep.")
            .options(MergeCommand::options)
            .body(MergeCommand::merge);

    private MergeCommand() {}

    private static Options options() {
        return new Options().addOption(Option.builder().longOpt("output").hasArg().argName("DIR")
                .desc("the merged sweep folder (new, or one of the FOLDERs) [default with one FOLDER: it]").get());
    }

    /** The command on {@code args}, with this process's properties and streams. */
    public static int run(String[] args) {
        return COMMAND.run(args);
    }

    private static int merge(Command.Call call) throws IOException {
        CommandLine line = call.line();
        List<Path> folders = line.getArgList().stream().map(Path::of).toList();
        if (folders.isEmpty()) {
            throw new UsageException("give the shard folders to merge (see " + NAME + " --help)");
        }
        if (folders.size() > 1 && !line.hasOption("output")) {
            throw new UsageException("--output DIR is required with several folders");
        }
        Path output = line.hasOption("output") ? Path.of(line.getOptionValue("output")) : folders.get(0);
        Sweep.merge(folders, output);
        return 0;
    }

}
