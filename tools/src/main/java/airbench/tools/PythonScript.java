package airbench.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs one of this project's Python scripts (a resource of the tools jar) with the first interpreter
 * that has PyTorch: the PyTorch side of {@link Bench} and {@link Parity}. Each line the script prints
 * goes to the log with a tag. A script signals a missing {@code torch} module with exit code
 * {@value #NOT_INSTALLED}; then the next interpreter is tried.
 */
public final class PythonScript {
    private static final Logger LOG = LogManager.getLogger(PythonScript.class);

    /** Exit code of this project's scripts when {@code import torch} fails. */
    static final int NOT_INSTALLED = 3;
    /** The interpreters tried for PyTorch, in order: the PATH's, then Debian's. */
    public static final List<String> DEFAULT_PYTHONS = List.of("python3", "/usr/bin/python3");
    /** How to install PyTorch where it is missing. */
    public static final String INSTALL_HINT = "apt-get install python3-torch (Debian's PyTorch, for /usr/bin/python3)";
    /** Modules the scripts import from their own folder (resources next to them), copied beside every script run. */
    static final List<String> SHARED_MODULES = List.of("torch_check.py");

    /**
     * How a run ended.
     *
     * @param python   the interpreter that ran the script to its end (null when none had PyTorch)
     * @param exitCode its exit code (0 done); meaningless without {@code python}
     * @param tried    why each earlier interpreter was passed over ("python3: no torch module")
     */
    public record Outcome(String python, int exitCode, List<String> tried) {
        public boolean installed() {
            return python != null;
        }

        public boolean succeeded() {
            return installed() && exitCode == 0;
        }

        /** "not installed (python3: no torch module; ...); apt-get install ..." */
        public String notInstalledMessage() {
            return "not installed (" + String.join("; ", tried) + "); " + INSTALL_HINT;
        }
    }

    private PythonScript() {}

    /**
     * Copies {@code resource} (next to this class in the jar) with the {@link #SHARED_MODULES} into a new
     * temporary folder and runs it with {@code arguments} under each of {@code pythons} in turn until one
     * has PyTorch.
     */
    static Outcome run(String resource, List<String> arguments, List<String> pythons, String tag) {
        Path folder = extract(resource);
        Path script = folder.resolve(resource);
        List<String> tried = new ArrayList<>();
        try {
            for (String python : pythons) {
                List<String> command = new ArrayList<>(List.of(python, script.toString()));
                command.addAll(arguments);
                int code;
                try {
                    LOG.info("{} with {}", resource, python);
                    code = runLogged(new ProcessBuilder(command).redirectErrorStream(true), tag);
                } catch (IOException e) {
                    tried.add(python + ": not found");
                    continue;
                }
                if (code == NOT_INSTALLED) {
                    tried.add(python + ": no torch module");
                    continue;
                }
                return new Outcome(python, code, List.copyOf(tried));
            }
            return new Outcome(null, -1, List.copyOf(tried));
        } finally {
            deleteFolder(folder);
        }
    }

    /**
     * A new temporary folder holding {@code script} and the shared modules: Python looks for a script's
     * imports in the script's own folder first, and a folder of its own keeps concurrent runs apart.
     */
    private static Path extract(String script) {
        List<String> resources = new ArrayList<>(List.of(script));
        resources.addAll(SHARED_MODULES);
        try {
            Path folder = Files.createTempDirectory("airbench-python-");
            for (String resource : resources) {
                try (InputStream in = PythonScript.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        deleteFolder(folder);
                        throw new IllegalStateException(resource + " is missing from the tools jar; rebuild with"
                                + " mvn install");
                    }
                    Files.copy(in, folder.resolve(resource));
                }
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code folder} with what the run left in it (Python's __pycache__); best effort. */
    private static void deleteFolder(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete the temporary folder {}: {}", folder, e.getMessage());
        }
    }

    /** Runs a child process, logging each line it prints; returns its exit code. */
    static int runLogged(ProcessBuilder builder, String tag) throws IOException {
        Process process = builder.start();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    LOG.info("[{}] {}", tag, line);
                }
            }
        }
        try {
            if (!process.waitFor(1, TimeUnit.HOURS)) {
                process.destroyForcibly();
                return -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
