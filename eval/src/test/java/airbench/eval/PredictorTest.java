package airbench.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.Normalization;
import airbench.model.AirbenchModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorTest {
    @TempDir
    static Path shared;
    private static AirbenchModel trained;
    private static ExportedModel exported;

    @TempDir
    Path tmp;

    @BeforeAll
    static void exportAndReload() {
        trained = TinyExport.train(5);
        exported = ExportedModel.load(TinyExport.export(trained, shared.resolve("model")), 1);
    }

    @AfterAll
    static void close() {
        exported.close();
        trained.close();
    }

    /** Writes RGB pixels [height, width, 3] as a PNG. */
    static Path writePng(Path file, byte[] rgb, int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                image.setRGB(x, y, (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF));
            }
        }
        assertTrue(ImageIO.write(image, "png", file.toFile()));
        return file;
    }

    private static int expectedClass(byte[] pixels32) {
        return Evaluator.argMax(trained.logits(Normalization.normalize(pixels32), 1), 0, 10);
    }

    @Test
    void classifiesPngsLikeTheTrainedModelAndReportsResizing() throws IOException {
        byte[] images = TinyExport.randomPixels(4, 17);
        Path folder = Files.createDirectories(tmp.resolve("images"));
        for (int i = 0; i < 4; i++) {
            writePng(folder.resolve("test" + i + ".png"),
                    Arrays.copyOfRange(images, i * 3072, (i + 1) * 3072), 32, 32);
        }
        Files.writeString(folder.resolve("README.txt"), "not an image: skipped in folders");
        byte[] wide = new byte[40 * 24 * 3];
        new Random(4).nextBytes(wide);
        Path widePng = writePng(tmp.resolve("wide.png"), wide, 40, 24);

        Predictor predictor = new Predictor(exported);
        List<Predictor.Prediction> predictions = predictor.predict(List.of(folder, widePng));
        assertEquals(5, predictions.size());
        for (int i = 0; i < 4; i++) {
            Predictor.Prediction p = predictions.get(i);
            assertEquals(folder.resolve("test" + i + ".png"), p.image().file());
            assertFalse(p.image().resized());
            assertArrayEquals(Arrays.copyOfRange(images, i * 3072, (i + 1) * 3072), p.image().pixels());
            assertEquals(expectedClass(p.image().pixels()), p.predictedClass());
            assertEquals(3, p.top().length);
            String line = predictor.format(p);
            assertTrue(line.startsWith(folder.resolve("test" + i + ".png") + ": "
                    + exported.classNames().get(p.predictedClass()) + " "), line);
            assertFalse(line.contains("resized"), line);
        }
        Predictor.Prediction resized = predictions.get(4);
        assertTrue(resized.image().resized());
        assertArrayEquals(Predictor.resize(wide, 40, 24, 32, 32), resized.image().pixels());
        assertEquals(expectedClass(resized.image().pixels()), resized.predictedClass());
        String line = predictor.format(resized);
        assertTrue(line.startsWith(widePng + " (40x24, resized to 32x32): "), line);
        // top classes are in decreasing probability
        float[] probabilities = resized.probabilities();
        int[] top = resized.top();
        assertTrue(probabilities[top[0]] >= probabilities[top[1]] && probabilities[top[1]] >= probabilities[top[2]]);
    }

    @Test
    void readsJpegAndGrayscale() throws IOException {
        BufferedImage gray = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                gray.getRaster().setSample(x, y, 0, 100);
            }
        }
        Path grayPng = tmp.resolve("gray.png");
        ImageIO.write(gray, "png", grayPng.toFile());
        byte[] pixels = Predictor.read(grayPng).pixels();
        for (byte b : pixels) {
            assertEquals(100, b & 0xFF);
        }
        BufferedImage rgb = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Path jpeg = tmp.resolve("photo.JPG");
        assertTrue(ImageIO.write(rgb, "jpg", jpeg.toFile()));
        Predictor.InputImage image = Predictor.read(jpeg);
        assertTrue(image.resized());
        assertEquals(64, image.width());
        assertEquals(48, image.height());
        assertEquals(1, Predictor.expand(List.of(tmp)).stream().filter(p -> p.equals(jpeg)).count(),
                "upper-case .JPG is taken from folders");
    }

    @Test
    void resizingAveragesAreas() {
        // 64x64 made of 2x2 blocks shrinks to the blocks' means.
        byte[] big = new byte[64 * 64 * 3];
        byte[] expected = new byte[32 * 32 * 3];
        Random random = new Random(2);
        for (int by = 0; by < 32; by++) {
            for (int bx = 0; bx < 32; bx++) {
                for (int c = 0; c < 3; c++) {
                    int a = random.nextInt(256);
                    int b = random.nextInt(256);
                    big[((2 * by) * 64 + 2 * bx) * 3 + c] = (byte) a;
                    big[((2 * by) * 64 + 2 * bx + 1) * 3 + c] = (byte) a;
                    big[((2 * by + 1) * 64 + 2 * bx) * 3 + c] = (byte) b;
                    big[((2 * by + 1) * 64 + 2 * bx + 1) * 3 + c] = (byte) b;
                    expected[(by * 32 + bx) * 3 + c] = (byte) Math.round((a + b) / 2.0);
                }
            }
        }
        assertArrayEquals(expected, Predictor.resize(big, 64, 64, 32, 32));
        // Enlarging a constant image keeps it constant.
        byte[] small = new byte[16 * 16 * 3];
        Arrays.fill(small, (byte) 200);
        byte[] enlarged = Predictor.resize(small, 16, 16, 32, 32);
        for (byte v : enlarged) {
            assertEquals(200, v & 0xFF);
        }
    }

    @Test
    void unreadableFilesAreNamedInTheError() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.png"), "this is text, not a PNG");
        EvalException e = assertThrows(EvalException.class, () -> new Predictor(exported).predict(List.of(text)));
        assertTrue(e.getMessage().startsWith(text + ": not a"), e.getMessage());
        assertTrue(e.getMessage().contains("PNG or JPEG image"), e.getMessage());

        Path truncated = tmp.resolve("truncated.png");
        byte[] png = Files.readAllBytes(writePng(tmp.resolve("ok.png"), new byte[32 * 32 * 3], 32, 32));
        Files.write(truncated, Arrays.copyOf(png, 40));
        e = assertThrows(EvalException.class, () -> Predictor.read(truncated));
        assertTrue(e.getMessage().startsWith(truncated + ": not a"), e.getMessage());

        e = assertThrows(EvalException.class, () -> Predictor.expand(List.of(tmp.resolve("missing.png"))));
        assertEquals(tmp.resolve("missing.png") + ": no such file or folder", e.getMessage());

        Path noImages = Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(noImages.resolve("a.txt"), "x");
        e = assertThrows(EvalException.class, () -> Predictor.expand(List.of(noImages)));
        assertTrue(e.getMessage().contains(noImages + " holds no PNG or JPEG images"), e.getMessage());
    }

    @Test
    void topClassesBreakTiesTowardsTheLowerIndex() {
        assertArrayEquals(new int[] {2, 0, 1}, Predictor.topClasses(new float[] {0.25f, 0.25f, 0.5f, 0f}, 3));
        assertArrayEquals(new int[] {1, 0}, Predictor.topClasses(new float[] {0.4f, 0.6f}, 3));
    }
}
