package airbench.train.cli;

import airbench.train.run.UsageException;
import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.CifarReader;
import airbench.data.DatasetChoice;
import airbench.data.DataLocator;
import airbench.data.Downloader;
import airbench.tools.PngExport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code export-images --out DIR [--dataset cifar10|cifar100] [--labels fine|coarse] [--split test|train]
 * [--first I] [--count N] [--data-dir PATH]}: CIFAR-10 (or CIFAR-100) images as PNG files named with their
 * class, for trying {@code predict} on the pixels {@code evaluate} sees.
 */
final class ImageExportCommand {
    static final String NAME = "export-images";

    /** Exit code 0 done, 1 data or file problem, 2 bad command line. */
    static final Command COMMAND = Command.named(NAME)
            .summary("writes CIFAR-10 or CIFAR-100 images as PNG files named with their class")
            .usage(NAME + " --out DIR [options]")
            .description("Writes CIFAR-10 or CIFAR-100 images as PNG files named split-index-class.png.")
            .options(ImageExportCommand::options)
            .body(ImageExportCommand::export);

    private ImageExportCommand() {}

    private static Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("out").hasArg().argName("DIR").desc("folder for the PNG files").get())
                .addOption(Option.builder().longOpt("split").hasArg().argName("SPLIT")
                        .desc("test or train [default: test]").get())
                .addOption(Option.builder().longOpt("first").hasArg().argName("I").desc("first image [default: 0]").get())
                .addOption(Option.builder().longOpt("count").hasArg().argName("N")
                        .desc("number of images [default: 10]").get())
                .addOption(Option.builder().longOpt("dataset").hasArg().argName("NAME")
                        .desc("cifar10 or cifar100 [default: cifar10]").get())
                .addOption(Option.builder().longOpt("labels").hasArg().argName("SET")
                        .desc("with --dataset cifar100: fine or coarse, the class in the file names [default: fine]")
                        .get())
                .addOption(Option.builder().longOpt("data-dir").hasArg().argName("PATH")
                        .desc("the dataset's archive or folder (default: as the trainer finds it)").get());
    }

    private static int export(Command.Call call) {
        CommandLine line = call.line();
        call.noArguments();
        String split = line.getOptionValue("split", "test");
        if (!split.equals("test") && !split.equals("train")) {
            throw Command.badValue(line, "split", "test or train");
        }
        int first = Command.wholeNumber(line, "first", 0, 0);
        int count = Command.wholeNumber(line, "count", 10, 0);
        if (!line.hasOption("out")) {
            throw new UsageException("--out DIR is required");
        }
        Path out = Path.of(line.getOptionValue("out"));
        DatasetChoice dataset;
        try {
            dataset = DatasetChoice.parse(line.getOptionValue("dataset"), line.getOptionValue("labels"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<Path> fallbacks = new ArrayList<>();
        String fallback = call.properties().getProperty(Main.FALLBACK_PROPERTY);
        if (fallback != null && !fallback.isBlank()) {
            fallbacks.add(Path.of(fallback).toAbsolutePath().normalize());
        }
        Path source = DataLocator.locate(dataset.variant(),
                Optional.ofNullable(line.getOptionValue("data-dir")).map(Path::of), System.getenv(),
                DataLocator.defaultCache(), fallbacks, Downloader.official());
        CifarData data = CifarReader.read(source, dataset);
        CifarDataset set = split.equals("test") ? data.test() : data.train();
        List<Path> files = PngExport.write(set, first, count, out);
        call.out().println("wrote " + files.size() + " " + split + " images (" + first + ".." + (first + count - 1)
                + ") to " + out);
        return 0;
    }
}
