package airbench.tools;

import airbench.data.CifarDataset;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Writes dataset images as lossless PNG files, e.g. to feed {@code predict} the very
 * pixels {@code evaluate} sees. File names carry the split, the index and the true
 * class: {@code test-00042-airplane.png}.
 */
public final class PngExport {
    private PngExport() {}

    /**
     * Writes images {@code first .. first + count - 1} of {@code set} into {@code dir}.
     *
     * @return the files written, in index order
     * @throws IllegalArgumentException if the range is outside the dataset
     * @throws UncheckedIOException     if a file already exists (nothing is overwritten) or cannot be written
     */
    public static List<Path> write(CifarDataset set, int first, int count, Path dir) {
        if (first < 0 || count < 1 || (long) first + count > set.size()) {
            throw new IllegalArgumentException("images " + first + ".." + ((long) first + count - 1) + " are outside the "
                    + set.split() + " split's 0.." + (set.size() - 1));
        }
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (int i = first; i < first + count; i++) {
                Path file = dir.resolve(fileName(set, i));
                if (Files.exists(file)) {
                    throw new UncheckedIOException(file + " already exists; not overwriting it. Choose an empty"
                            + " folder.", new java.nio.file.FileAlreadyExistsException(file.toString()));
                }
                if (!ImageIO.write(toImage(set.images(), i), "png", file.toFile())) {
                    throw new IOException("no PNG writer available in this JVM");
                }
                written.add(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write PNG files to " + dir + ": " + e.getMessage(), e);
        }
        return written;
    }

    static String fileName(CifarDataset set, int index) {
        String className = set.classNames().get(set.labels()[index]).replaceAll("[^A-Za-z0-9_-]", "_");
        return String.format(Locale.ROOT, "%s-%05d-%s.png", set.split(), index, className);
    }

    /** Image {@code index} of NHWC uint8 pixels as an RGB picture. */
    static BufferedImage toImage(byte[] pixels, int index) {
        int side = CifarDataset.HEIGHT;
        BufferedImage image = new BufferedImage(CifarDataset.WIDTH, side, BufferedImage.TYPE_INT_RGB);
        int base = index * CifarDataset.IMAGE_BYTES;
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < CifarDataset.WIDTH; x++) {
                int p = base + (y * CifarDataset.WIDTH + x) * CifarDataset.CHANNELS;
                image.setRGB(x, y, (pixels[p] & 0xFF) << 16 | (pixels[p + 1] & 0xFF) << 8 | (pixels[p + 2] & 0xFF));
            }
        }
        return image;
    }
}
