package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every "docs/METHOD.md section N" that a source file of any module cites points into the repository's own
 * docs/METHOD.md, at a section that exists there, so that a clone resolves each of them.
 */
class MethodCitationTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern CITATION = Pattern.compile("(\\S*)METHOD\\.md,? sections? (\\d+)(?:(?:-| and |, )(\\d+))?");

    @Test
    void everyCitationResolvesInsideTheRepository() throws IOException {
        Set<Integer> sections = new TreeSet<>();
        Matcher heading = Pattern.compile("(?m)^## (\\d+)\\. ").matcher(Files.readString(ROOT.resolve("docs/METHOD.md")));
        while (heading.find()) {
            sections.add(Integer.parseInt(heading.group(1)));
        }
        assertTrue(sections.containsAll(List.of(1, 2, 3, 4, 5, 6, 7, 10, 11, 12)), "docs/METHOD.md sections: " + sections);
        List<String> unresolved = new ArrayList<>();
        int citations = 0;
        for (String module : List.of("data", "model", "tools", "eval", "train")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src"))) {
                for (Path file : files.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".py"))
                        .toList()) {
                    Matcher m = CITATION.matcher(Files.readString(file));
                    while (m.find()) {
                        citations++;
                        boolean inRepository = m.group(1).endsWith("docs/");
                        for (int g = 2; g <= 3; g++) {
                            if (m.group(g) != null && !sections.contains(Integer.parseInt(m.group(g)))) {
                                inRepository = false;
                            }
                        }
                        if (!inRepository) {
                            unresolved.add(ROOT.relativize(file) + ": " + m.group());
                        }
                    }
                }
            }
        }
        assertTrue(citations > 40, "found only " + citations + " citations");
        assertEquals(List.of(), unresolved);
    }
}
