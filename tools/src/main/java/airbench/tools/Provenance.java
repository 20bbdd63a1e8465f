package airbench.tools;

import airbench.model.TensorFlowRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where a result came from: commit (with "+modified" when the work tree differs from it), library
 * versions, machine and date. Recorded in every training result and timing report so that a figure in
 * docs/RESULTS.md can be traced to the code that produced it.
 */
public final class Provenance {
    private Provenance() {}

    public static Map<String, String> collect() {
        TensorFlowRuntime.ensureConfigured();  // before TensorFlow.version() loads the library
        Map<String, String> p = new LinkedHashMap<>();
        p.put("date", OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString());
        p.put("commit", gitCommit());
        p.put("tensorflow", org.tensorflow.TensorFlow.version());
        p.put("java", System.getProperty("java.version"));
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        p.put("cpu", cpuModel());
        p.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        p.put("max_heap_mb", String.valueOf(Runtime.getRuntime().maxMemory() >> 20));
        return p;
    }

    private static String gitCommit() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            if (git.waitFor(5, TimeUnit.SECONDS) && git.exitValue() == 0) {
                Process dirty = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").start();
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
