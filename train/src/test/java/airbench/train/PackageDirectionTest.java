package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The direction of the packages of this module's main sources: cli -> sweep -> run -> report -> library
 * ({@code airbench.train} itself) -> the other modules, and examples -> library only. A package may use its own and
 * those after it; nothing below cli uses cli, and only cli uses examples.
 */
class PackageDirectionTest {
    private static final Path MAIN = Path.of("src/main/java/airbench/train");
    /** Each package's place: a package may use those of a lower or the same rank. */
    private static final Map<String, Integer> RANK = Map.of("cli", 5, "sweep", 4, "run", 3, "report", 2, "", 1);
    private static final Pattern USE = Pattern.compile("\\bairbench\\.train\\.([a-z]\\w*)\\.");
    private static final Pattern CLASS_USE = Pattern.compile("\\bairbench\\.train\\.([A-Z]\\w*)\\b");

    /** The package of a source file below {@link #MAIN}: "" for the library, else its first folder. */
    private static String packageOf(Path file) {
        Path relative = MAIN.relativize(file);
        return relative.getNameCount() == 1 ? "" : relative.getName(0).toString();
    }

    /** The code without comments and the contents of string and character literals (a class named in a message is no use of it). */
    static String code(String source) {
        StringBuilder code = new StringBuilder();
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                i = source.indexOf('\n', i) < 0 ? source.length() : source.indexOf('\n', i);
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? source.length() : end + 2;
                code.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? source.length() : end + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < source.length() && source.charAt(j) != c) {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                code.append(c).append(c);
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    private static boolean allowed(String from, String to) {
        if (from.equals(to)) {
            return true;
        }
        if (from.equals("examples")) {
            return to.isEmpty();
        }
        if (to.equals("examples")) {
            return from.equals("cli");
        }
        Integer fromRank = RANK.get(from);
        Integer toRank = RANK.get(to);
        return fromRank != null && toRank != null && toRank <= fromRank;
    }

    @Test
    void everyMainSourceUsesOnlyThePackagesBelowIt() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the train module's folder: " + Path.of("").toAbsolutePath());
        List<String> violations = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(MAIN)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path file : files) {
            String from = packageOf(file);
            assertTrue(RANK.containsKey(from) || from.equals("examples"), "a package without a place: " + from);
            String code = code(Files.readString(file));
            Matcher use = USE.matcher(code);
            while (use.find()) {
                String to = use.group(1);
                if (!allowed(from, to)) {
                    violations.add(MAIN.relativize(file) + " uses airbench.train." + to);
                }
            }
            Matcher classUse = CLASS_USE.matcher(code);
            while (classUse.find()) {
                if (!allowed(from, "")) {
                    violations.add(MAIN.relativize(file) + " uses airbench.train." + classUse.group(1));
                }
            }
        }
        assertEquals(List.of(), violations);
        assertTrue(files.size() > 20, "found " + files.size() + " sources");
    }

    @Test
    void theCheckSeesAViolation() {
        assertTrue(allowed("cli", "examples") && allowed("cli", "run") && allowed("sweep", "run")
                && allowed("run", "report") && allowed("report", "") && allowed("examples", ""));
        for (String below : Set.of("", "report", "run", "sweep", "examples")) {
            assertTrue(!allowed(below, "cli"), below + " -> cli");
        }
        assertTrue(!allowed("examples", "run") && !allowed("run", "sweep") && !allowed("", "report")
                && !allowed("run", "examples"));
        assertEquals("x \"\" y ", code("x \"airbench.train.cli.Main\" y // airbench.train.cli.Main"));
        assertEquals("a \"\" b   c ''", code("a \"spark://x \\\" y\" b /* airbench.train.cli.X */ c '\\''"));
    }
}
