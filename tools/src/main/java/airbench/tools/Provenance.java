package airbench.tools;

import airbench.model.TensorFlowRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where a result came from: commit (with "+modified" when the work tree differed from it), library
 * versions, machine and date. Recorded in every training result and timing report so that a figure in
 * docs/RESULTS.md can be traced to the code that produced it.
 *
 * <p>The commit is the one stamped into this jar when it was built ({@value #STAMP}, written by the build), because
 * the code that runs is the code that was built: a runnable jar copied elsewhere, or run from another folder, still
 * names it, and a run inside a clone whose checkout has moved on since the build still names the code that ran. Only
 * classes without a stamp (an IDE, a build from a source archive) fall back to asking git in the working folder. Both
 * count untracked files as a modification (an untracked source file is part of what was built).
 */
public final class Provenance {
    /** The build's stamp, a resource next to this class. */
    static final String STAMP = "build-commit.properties";

    private Provenance() {}

    public static Map<String, String> collect() {
        TensorFlowRuntime.ensureConfigured();  // before TensorFlow.version() loads the library
        Map<String, String> p = new LinkedHashMap<>();
        p.put("date", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString());
        p.put("commit", commit(Provenance.class.getResourceAsStream(STAMP), Provenance::gitCommit));
        p.put("tensorflow", org.tensorflow.TensorFlow.version());
        p.put("java", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        p.put("cpu", cpuModel());
        p.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        p.put("max_heap_mb", String.valueOf(Runtime.getRuntime().maxMemory() >> 20));
        return p;
    }

    /** The stamp's commit; git (asked only without a usable stamp) otherwise. */
    static String commit(InputStream stamp, Supplier<String> git) {
        return stampedCommit(stamp).orElseGet(git);
    }

    /**
     * The commit in a build stamp ({@code git.commit.id.abbrev}, with "+modified" when {@code git.dirty} is true), or
     * empty when there is no stamp or it names no commit (a build without git).
     */
    static Optional<String> stampedCommit(InputStream stamp) {
        if (stamp == null) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (InputStream in = stamp) {
            properties.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        String commit = properties.getProperty("git.commit.id.abbrev", "").trim();
        if (commit.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Boolean.parseBoolean(properties.getProperty("git.dirty", "false").trim())
                ? commit + "+modified" : commit);
    }

    private static String gitCommit() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            if (git.waitFor(5, TimeUnit.SECONDS) && git.exitValue() == 0) {
                Process dirty = new ProcessBuilder("git", "status", "--porcelain").start();
                boolean modified = !new String(dirty.getInputStream().readAllBytes()).isBlank();
                dirty.waitFor(5, TimeUnit.SECONDS);
                return modified ? out + "+modified" : out;
            }
        } catch (IOException e) {
            // no git here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
