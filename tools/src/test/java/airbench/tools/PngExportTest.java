package airbench.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngExportTest {

    private static CifarDataset synthetic(int n) {
        byte[] pixels = new byte[n * CifarDataset.IMAGE_BYTES];
        new Random(5).nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (3 * i + 1) % 10;
        }
        return new CifarDataset(CifarVariant.CIFAR10, "test", pixels, labels, new int[0],
                CifarVariant.CIFAR10.wellKnownClassNames());
    }

    @Test
    void writesExactPixelsUnderNamesWithIndexAndClass(@TempDir Path dir) throws IOException {
        CifarDataset set = synthetic(5);
        List<Path> files = PngExport.write(set, 2, 3, dir.resolve("pngs"));
        assertEquals(3, files.size());
        assertEquals("test-00002-horse.png", files.get(0).getFileName().toString());  // label 7
        for (int k = 0; k < 3; k++) {
            int index = 2 + k;
            BufferedImage image = ImageIO.read(files.get(k).toFile());
            assertEquals(32, image.getWidth());
            assertEquals(32, image.getHeight());
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int rgb = image.getRGB(x, y);
                    int p = index * 3072 + (y * 32 + x) * 3;
                    assertEquals(set.images()[p] & 0xFF, rgb >> 16 & 0xFF);
                    assertEquals(set.images()[p + 1] & 0xFF, rgb >> 8 & 0xFF);
                    assertEquals(set.images()[p + 2] & 0xFF, rgb & 0xFF);
                }
            }
        }
    }

    @Test
    void neverOverwritesAndRefusesARangeOutsideTheSet(@TempDir Path dir) throws IOException {
        CifarDataset set = synthetic(4);
        Path existing = dir.resolve("test-00000-automobile.png");
        Files.writeString(existing, "mine");
        UncheckedIOException clash = assertThrows(UncheckedIOException.class, () -> PngExport.write(set, 0, 1, dir));
        assertTrue(clash.getMessage().contains("already exists"), clash.getMessage());
        assertEquals("mine", Files.readString(existing));
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> PngExport.write(set, 3, 2, dir));
        assertEquals("images 3..4 are outside the test split's 0..3", range.getMessage());
    }
}
