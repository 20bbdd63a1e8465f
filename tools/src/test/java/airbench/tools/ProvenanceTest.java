package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ProvenanceTest {
    private static InputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void theStampNamesItsCommitAndMarksAModifiedTree() {
        assertEquals(Optional.of("4ceacea069f3"),
                Provenance.stampedCommit(text("git.commit.id.abbrev=4ceacea069f3\ngit.dirty=false\n")));
        assertEquals(Optional.of("4ceacea069f3+modified"),
                Provenance.stampedCommit(text("git.commit.id.abbrev=4ceacea069f3\ngit.dirty=true\n")));
    }

    @Test
    void withoutAStampOrACommitInItGitIsAsked() {
        assertEquals(Optional.empty(), Provenance.stampedCommit(null));
        assertEquals(Optional.empty(), Provenance.stampedCommit(text("git.dirty=false\n")));
    }

    @Test
    void theStampWinsAndGitIsAskedOnlyWithoutOne() {
        assertEquals("4ceacea069f3", Provenance.commit(text("git.commit.id.abbrev=4ceacea069f3\ngit.dirty=false\n"),
                () -> { throw new AssertionError("git asked although the stamp names a commit"); }));
        assertEquals("from-git", Provenance.commit(null, () -> "from-git"));
        assertEquals("from-git", Provenance.commit(text("git.dirty=false\n"), () -> "from-git"));
    }

    @Test
    void theBuildStampsTheCommitItBuilt() throws Exception {
        // The build (generate-resources) writes the stamp next to Provenance; in a clone it names HEAD.
        Optional<String> stamped = Provenance.stampedCommit(Provenance.class.getResourceAsStream(Provenance.STAMP));
        Process git = new ProcessBuilder("git", "rev-parse", "HEAD").start();
        String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (git.waitFor() == 0 && !head.isEmpty()) {
            assertTrue(stamped.isPresent(), "a build inside a clone stamps its commit");
            assertTrue(head.startsWith(stamped.get().replace("+modified", "")), stamped.get() + " is not HEAD " + head);
            Properties stamp = new Properties();
            try (InputStream in = Provenance.class.getResourceAsStream(Provenance.STAMP)) {
                stamp.load(in);
            }
            assertEquals(head, stamp.getProperty("git.commit.id"), "the stamp's full commit id");
        }
        stamped.ifPresent(commit -> assertEquals(commit, Provenance.collect().get("commit"), "the stamp wins"));
    }
}
