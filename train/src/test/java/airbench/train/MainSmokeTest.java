package airbench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real entry point on the real CIFAR-10 archive, with a tiny network and a slice of the data. */
class MainSmokeTest {

    private static Path sharedData() {
        String env = System.getenv("AIRBENCH_DATA");
        String shared = System.getProperty("airbench.shared.data");
        for (String candidate : new String[] {env, shared}) {
            if (candidate != null && Files.exists(Path.of(candidate))) {
                return Path.of(candidate);
            }
        }
        return null;
    }

    @Test
    void tinyTrainingThroughMainWritesResults(@TempDir Path out) throws Exception {
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping the smoke run");
        int code = Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "2048", "--widths", "8,16,16",
                "--batch-size", "512", "--epochs", "1", "--tta", "1", "--output", out.toString(), "--threads", "2"});
        assertEquals(0, code);
        List<Path> results;
        try (Stream<Path> files = Files.walk(out)) {
            results = files.filter(p -> p.getFileName().toString().equals("result.json")).toList();
        }
        assertEquals(1, results.size());
        JsonNode result = Json.MAPPER.readTree(results.get(0).toFile());
        assertEquals("94", result.get("recipe").asText());
        assertEquals(4, result.get("steps").asInt());
        double accuracy = result.get("tta_accuracy").asDouble();
        assertTrue(accuracy > 0.12 && accuracy <= 1, "4 steps on real data should beat chance a little: " + accuracy);
    }

    @Test
    void dryRunReadsTheRealDataAndStops() {
        Path data = sharedData();
        assumeTrue(data != null, "CIFAR-10 not found (AIRBENCH_DATA or ../shared/data); skipping");
        assertEquals(0, Main.run(new String[] {"--data-dir", data.toString(), "--recipe", "95", "--dry-run"}));
    }

    @Test
    void missingDataExitsWithOne(@TempDir Path empty) {
        assertEquals(1, Main.run(new String[] {"--data-dir", empty.resolve("absent").toString(), "--dry-run"}));
    }
}
