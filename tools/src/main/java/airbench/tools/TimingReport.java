package airbench.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON reports of the timing tools ({@link StepTiming#json}, {@link Bench#json}): their start, and the file. */
public final class TimingReport {
    private TimingReport() {}

    /** The start of a JSON report: which tool wrote it, when it started, and how long it took. */
    static Map<String, Object> jsonRoot(Class<?> tool, String startedAt, double wallSeconds) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", tool.getName());
        root.put("started_at", startedAt);
        root.put("wall_seconds", wallSeconds);
        return root;
    }

    /**
     * Writes {@code document} to {@code file} as indented JSON, creating its folder.
     *
     * @throws UncheckedIOException naming the file when it cannot be written
     */
    public static void write(Path file, Map<String, Object> document) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
