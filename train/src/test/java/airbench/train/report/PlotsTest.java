package airbench.train.report;

import airbench.train.EpochRecord;
import airbench.train.RunResult;
import airbench.train.cli.Main;
import airbench.train.run.Json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PNG charts from run results, and the {@code plot} command on run folders of both layouts. */
public class PlotsTest {

    /** A finished run of 4 epochs whose accuracies rise with {@code quality}. */
    public static RunResult run(long seed, double quality) {
        List<EpochRecord> history = new ArrayList<>();
        for (int epoch = 1; epoch <= 4; epoch++) {
            history.add(new EpochRecord(epoch, 48 * epoch, 2.0 - 0.25 * epoch, 0.5 + 0.1 * epoch,
                    0.45 + 0.1 * epoch * quality, 100.0 * epoch));
        }
        Map<String, Double> byLevel = new LinkedHashMap<>();
        byLevel.put("0", 0.90 * quality);
        byLevel.put("1", 0.92 * quality);
        byLevel.put("2", 0.93 * quality);
        return new RunResult("94", seed, 4, Map.of("recipe", "94"), Map.of("name", "94"), history, 0.93 * quality, 2,
                byLevel, 400, 420, 192, 0, 0.1, Map.of(), Map.of());
    }

    /** The PNG's size, and a check that it shows coloured series, not only a white canvas with grey axes. */
    public static void assertChart(Path png) throws Exception {
        assertTrue(Files.isRegularFile(png), "no chart " + png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Plots.WIDTH, image.getWidth(), png.toString());
        assertEquals(Plots.HEIGHT, image.getHeight(), png.toString());
        Set<Integer> colours = new HashSet<>();
        int saturated = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                int r = rgb >> 16;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 80) {
                    saturated++;
                }
            }
        }
        assertTrue(colours.size() >= 10, png + " has only " + colours.size() + " colours");
        assertTrue(saturated >= 300, png + " has only " + saturated + " coloured pixels: no series drawn?");
    }

    @Test
    void invocationChartsAreWrittenAtTheirSizeAndNotBlank(@TempDir Path dir) throws Exception {
        Plots.Group group = new Plots.Group("94-test", List.of(run(0, 1.0), run(1, 0.99), run(2, 1.01)));
        List<Path> files = Plots.writeInvocation(group, dir.resolve("plots"));
        assertEquals(List.of("seed-0-training-curves.png", "seed-1-training-curves.png", "seed-2-training-curves.png",
                "accuracy.png", "tta-levels.png"), files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path file : files) {
            assertChart(file);
        }
    }

    @Test
    void aBlankChartFailsTheCheck(@TempDir Path dir) throws Exception {
        Path blank = dir.resolve("blank.png");
        ImageIO.write(new BufferedImage(Plots.WIDTH, Plots.HEIGHT, BufferedImage.TYPE_INT_RGB), "png", blank.toFile());
        assertTrue(assertionFails(() -> assertChart(blank)), "an all-black image must not pass as a chart");
    }

    @Test
    void plotCommandReadsRecordedAndTrainedFoldersAndComparesThem(@TempDir Path dir) throws Exception {
        // docs/results layout: seed-K-result.json beside summary.json, no checkpoints, no run folders.
        Path recorded = Files.createDirectories(dir.resolve("94-recorded"));
        Json.write(recorded.resolve("seed-0-result.json"), run(0, 1.0));
        Json.write(recorded.resolve("seed-1-result.json"), run(1, 0.98));
        Files.writeString(recorded.resolve("summary.csv"), "seed,tta_level\n");
        // A training's layout: seed-K/result.json.
        Path trained = Files.createDirectories(dir.resolve("94-trained").resolve("seed-4"));
        Json.write(trained.resolve("result.json"), run(4, 1.01));

        Path out = dir.resolve("out");
        assertEquals(0, Main.run(new String[] {"plot", recorded.toString(), trained.getParent().toString(),
                "--out", out.toString()}));
        for (String file : List.of("94-recorded/seed-0-training-curves.png", "94-recorded/seed-1-training-curves.png",
                "94-recorded/accuracy.png", "94-recorded/tta-levels.png", "94-trained/seed-4-training-curves.png",
                "accuracy.png", "tta-levels.png")) {
            assertChart(out.resolve(file));
        }
        // One run folder alone, charts by default in FOLDER/plots.
        assertEquals(0, Main.run(new String[] {"plot", trained.toString()}));
        assertChart(trained.resolve("plots").resolve("seed-4-training-curves.png"));
    }

    @Test
    void plotOnAMissingOrForeignFolderSaysWhy(@TempDir Path dir) throws Exception {
        String missing = stderr(() -> assertEquals(2, Main.run(new String[] {"plot", dir.resolve("absent").toString()})));
        assertTrue(missing.startsWith("error: plot: ") && missing.contains("absent does not exist"), missing);

        Path foreign = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(foreign.resolve("notes.txt"), "not a run");
        Files.createDirectories(foreign.resolve("seed-0"));  // a run folder without a result is no finished run
        String empty = stderr(() -> assertEquals(2, Main.run(new String[] {"plot", foreign.toString(), "--out",
                dir.resolve("out").toString()})));
        assertTrue(empty.contains("holds no finished runs"), empty);

        Path damaged = Files.createDirectories(dir.resolve("damaged"));
        Files.writeString(damaged.resolve("seed-0-result.json"), "{\"recipe\": \"94\", \"history\": [");
        // A failure (exit code 1) is one line on standard error too, as for every command.
        String broken = stderr(() -> assertEquals(1, Main.run(new String[] {"plot", damaged.toString()})));
        assertTrue(broken.contains("error: plot: could not read") && broken.contains("seed-0-result.json"), broken);

        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("seed-0-result.json"), "{\"name\": \"something else\"}");
        String notAResult = stderr(() -> assertEquals(1, Main.run(new String[] {"plot", other.toString()})));
        assertTrue(notAResult.contains("error: plot: ") && notAResult.contains("is not a run result"), notAResult);

        String none = stderr(() -> assertEquals(2, Main.run(new String[] {"plot"})));
        assertTrue(none.contains("give at least one folder"), none);
        assertTrue(Files.notExists(dir.resolve("out")), "nothing written on an error");
    }

    private interface Action {
        void run() throws Exception;
    }

    private static boolean assertionFails(Action action) throws Exception {
        try {
            action.run();
            return false;
        } catch (AssertionError e) {
            return true;
        }
    }

    private static String stderr(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
