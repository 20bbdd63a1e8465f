package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the train module depend on each other in one direction only, read off the import lines of the
 * main sources: cli -> sweep -> run -> report -> the library (airbench.train) -> eval, model, data, tools; and the
 * data-selection example on the library alone. The library and the example import no command-line parser, logging
 * backend, chart library or Spark, so a program that embeds the library needs none of them.
 */
class PackageDirectionTest {
    /** A package may import a package of its own rank or below. The other modules are rank 0. */
    static final Map<String, Integer> RANK = Map.of(
            "airbench.train", 1,
            "airbench.train.examples", 1,
            "airbench.train.report", 2,
            "airbench.train.run", 3,
            "airbench.train.sweep", 4,
            "airbench.train.cli", 5);
    /** What the library and the example may not import: they run without these jars. */
    static final List<String> NOT_IN_THE_LIBRARY = List.of("airbench.tools", "org.apache.commons.cli", "org.apache.logging.log4j.core",
            "org.jfree", "org.apache.spark");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Path SOURCES = Path.of("src/main/java/airbench/train");

    /** Every import of {@code source} that goes against the direction, as "package -> imported". */
    static List<String> reversedArrows(String sourcePackage, String source) {
        List<String> wrong = new ArrayList<>();
        int own = RANK.get(sourcePackage);
        boolean library = own == 1;
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
            String imported = m.group(1);
            if (imported.startsWith("airbench.train")) {
                String target = targetPackage(imported);
                Integer rank = RANK.get(target);
                if (rank == null || rank > own || (sourcePackage.equals("airbench.train.examples")
                        ? !target.equals("airbench.train") && !target.equals(sourcePackage)
                        : target.equals("airbench.train.examples") && !sourcePackage.equals("airbench.train.cli"))) {
                    wrong.add(sourcePackage + " -> " + imported);
                }
            } else if (library && NOT_IN_THE_LIBRARY.stream().anyMatch(imported::startsWith)) {
                wrong.add(sourcePackage + " -> " + imported);
            }
        }
        return wrong;
    }

    /** The package of an imported name: its lower-case segments ({@code airbench.train.run.Checkpoint.Header}). */
    static String targetPackage(String imported) {
        List<String> parts = new ArrayList<>();
        for (String part : imported.split("\\.")) {
            if (Character.isUpperCase(part.charAt(0))) {
                break;
            }
            parts.add(part);
        }
        return String.join(".", parts);
    }

    @Test
    void everyImportOfTheMainSourcesFollowsTheDirection() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "run from the train module: " + SOURCES.toAbsolutePath());
        List<String> wrong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(SOURCES)) {
            for (Path file : paths.filter(p -> p.toString().endsWith(".java")).toList()) {
                String folder = SOURCES.relativize(file.getParent()).toString();
                String name = folder.isEmpty() ? "airbench.train" : "airbench.train." + folder.replace('/', '.');
                assertTrue(RANK.containsKey(name), "a package without a rank: " + name + " (" + file + ")");
                wrong.addAll(reversedArrows(name, Files.readString(file)));
                files++;
            }
        }
        assertTrue(files > 40, "read only " + files + " files");
        assertEquals(List.of(), wrong);
    }

    @Test
    void aReversedArrowIsFound() {
        assertEquals(List.of("airbench.train -> airbench.train.run.Json"),
                reversedArrows("airbench.train", "package airbench.train;\nimport airbench.train.run.Json;\n"));
        assertEquals(List.of("airbench.train.report -> airbench.train.cli.Command"),
                reversedArrows("airbench.train.report", "import airbench.train.cli.Command;\nimport java.util.List;"));
        assertEquals(List.of("airbench.train.examples -> airbench.train.run.UsageException"),
                reversedArrows("airbench.train.examples", "import airbench.train.run.UsageException;"));
        assertEquals(List.of("airbench.train -> org.apache.commons.cli.Options"),
                reversedArrows("airbench.train", "import org.apache.commons.cli.Options;"));
        assertEquals(List.of(), reversedArrows("airbench.train.cli",
                "import airbench.train.run.Checkpoint.Header;\nimport static airbench.train.Recipe.AIRBENCH94;"));
        assertEquals("airbench.train.run", targetPackage("airbench.train.run.Checkpoint.Header"));
    }
}
