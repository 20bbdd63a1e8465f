package airbench.eval;

import airbench.data.DatasetChoice;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Classifies image files with an exported model: PNG or JPEG files (anything {@code javax.imageio}
 * decodes), or every such file in a folder. Images become 8-bit RGB (alpha is ignored, grayscale is
 * copied to the three channels); images that are not 32x32 are resized to 32x32 by area averaging,
 * stretching if the aspect ratio differs, and the output says so. Prediction uses the export's
 * serving signature (no test-time augmentation), the same computation as {@code evaluate} at level 0.
 */
public final class Predictor {
    /** Extensions taken from folders (files named explicitly are tried whatever their name). */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg");
    private static final int SIZE = 32;
    private static final int CHANNELS = 3;
    private static final int IMAGE_BYTES = SIZE * SIZE * CHANNELS;
    private static final int BATCH = 500;

    /**
     * One image ready for the model.
     *
     * @param file   where it came from
     * @param width  its original width
     * @param height its original height
     * @param pixels uint8 RGB NHWC [32, 32, 3]
     */
    public record InputImage(Path file, int width, int height, byte[] pixels) {
        public boolean resized() {
            return width != SIZE || height != SIZE;
        }
    }

    /**
     * The classification of one file.
     *
     * @param probabilities softmax over all classes
     * @param top           class indices by decreasing probability (at most {@code top} of them)
     */
    public record Prediction(InputImage image, float[] probabilities, int[] top) {
        /** The most probable class. */
        public int predictedClass() {
            return top[0];
        }
    }

    private final ExportedModel model;
    private final int top;

    public Predictor(ExportedModel model) {
        this(model, 3);
    }

    /** @param top how many classes to report per file (at most the model's class count) */
    public Predictor(ExportedModel model, int top) {
        this.model = Objects.requireNonNull(model, "model");
        if (top < 1) {
            throw new IllegalArgumentException("top must be at least 1, got " + top);
        }
        this.top = Math.min(top, model.numClasses());
    }

    /**
     * What the {@code predict} command prints: one {@link #format} line per image of {@code inputs} (files, and the
     * images of folders), classified by the model in {@code modelDir}. The images are read first, so that a bad
     * file is reported before the model loads.
     *
     * @param requested a dataset the model must have been trained on, if given
     * @param top       classes per line
     * @throws EvalException for a bad image, model folder, or a model of another dataset than {@code requested}
     */
    public static List<String> predictFiles(Path modelDir, Optional<DatasetChoice> requested, int top, int threads,
                                            List<Path> inputs) {
        List<InputImage> images = new ArrayList<>();
        for (Path file : expand(inputs)) {
            images.add(read(file));
        }
        try (ExportedModel model = ExportedModel.load(modelDir, threads)) {
            if (requested.isPresent()) {
                model.datasetFor(requested);
            }
            Predictor predictor = new Predictor(model, top);
            return predictor.predictImages(images).stream().map(predictor::format).toList();
        }
    }

    /** Reads every input (files, and the images of folders) before classifying them, so a bad file fails fast. */
    public List<Prediction> predict(List<Path> inputs) {
        List<InputImage> images = new ArrayList<>();
        for (Path file : expand(inputs)) {
            images.add(read(file));
        }
        return predictImages(images);
    }

    /** Classifies images already read. */
    public List<Prediction> predictImages(List<InputImage> images) {
        List<Prediction> predictions = new ArrayList<>();
        int classes = model.numClasses();
        for (int first = 0; first < images.size(); first += BATCH) {
            int count = Math.min(BATCH, images.size() - first);
            byte[] batch = new byte[count * IMAGE_BYTES];
            for (int i = 0; i < count; i++) {
                System.arraycopy(images.get(first + i).pixels(), 0, batch, i * IMAGE_BYTES, IMAGE_BYTES);
            }
            float[] probabilities = model.probabilities(batch, count);
            for (int i = 0; i < count; i++) {
                float[] row = Arrays.copyOfRange(probabilities, i * classes, (i + 1) * classes);
                predictions.add(new Prediction(images.get(first + i), row, topClasses(row, top)));
            }
        }
        return predictions;
    }

    /**
     * One line per file: {@code cat.png: cat 81.2%, dog 9.5%, frog 3.1%}, with
     * {@code (40x24, resized to 32x32)} after the name when the image was resized.
     */
    public String format(Prediction prediction) {
        InputImage image = prediction.image();
        StringBuilder line = new StringBuilder(image.file().toString());
        if (image.resized()) {
            line.append(" (").append(image.width()).append('x').append(image.height())
                    .append(", resized to 32x32)");
        }
        line.append(": ");
        List<String> names = model.classNames();
        for (int i = 0; i < prediction.top().length; i++) {
            int k = prediction.top()[i];
            line.append(i == 0 ? "" : ", ").append(names.get(k)).append(' ')
                    .append(String.format(Locale.ROOT, "%.1f%%", 100.0 * prediction.probabilities()[k]));
        }
        return line.toString();
    }

    /** Indices of the {@code n} largest values, largest first; ties go to the lower index. */
    static int[] topClasses(float[] probabilities, int n) {
        Integer[] order = new Integer[probabilities.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> probabilities[a] != probabilities[b]
                ? Float.compare(probabilities[b], probabilities[a]) : Integer.compare(a, b));
        int[] out = new int[Math.min(n, order.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /**
     * Files as given, and for each folder its PNG and JPEG files (by extension, not recursive, sorted by name).
     *
     * @throws EvalException for a path that does not exist or a folder without images
     */
    public static List<Path> expand(List<Path> inputs) {
        List<Path> files = new ArrayList<>();
        for (Path input : inputs) {
            if (Files.isDirectory(input)) {
                List<Path> images;
                try (Stream<Path> children = Files.list(input)) {
                    images = children.filter(Files::isRegularFile).filter(Predictor::hasImageExtension)
                            .sorted().toList();
                } catch (IOException e) {
                    throw new EvalException("could not list the folder " + input + ": " + e.getMessage(), e);
                }
                if (images.isEmpty()) {
                    throw new EvalException("the folder " + input + " holds no PNG or JPEG images (*.png, *.jpg,"
                            + " *.jpeg)");
                }
                files.addAll(images);
            } else if (Files.isRegularFile(input)) {
                files.add(input);
            } else {
                throw new EvalException(input + ": no such file or folder");
            }
        }
        return files;
    }

    private static boolean hasImageExtension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Decodes one image file into 32x32 RGB uint8 pixels.
     *
     * @throws EvalException naming the file if it cannot be read or decoded
     */
    public static InputImage read(Path file) {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new EvalException(file + ": not a readable PNG or JPEG image (" + e.getMessage() + ")", e);
        }
        if (image == null) {
            throw new EvalException(file + ": not a PNG or JPEG image (no image decoder recognizes its contents)");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        if (width < 1 || height < 1) {
            throw new EvalException(file + ": the image is empty (" + width + "x" + height + ")");
        }
        byte[] rgb = toRgb(image);
        byte[] pixels = width == SIZE && height == SIZE ? rgb : resize(rgb, width, height, SIZE, SIZE);
        return new InputImage(file, width, height, pixels);
    }

    /**
     * The image as 8-bit RGB, row-major. Grayscale is read from the raster (Java's linear-gray to sRGB
     * conversion in {@code getRGB} would change the values); everything else goes through {@code getRGB},
     * which gives sRGB without premultiplied alpha (alpha is dropped).
     */
    static byte[] toRgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] out = new byte[width * height * CHANNELS];
        Raster raster = image.getRaster();
        boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && raster.getNumBands() <= 2;
        if (gray) {
            int bits = image.getColorModel().getComponentSize(0);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int v = raster.getSample(x, y, 0);
                    if (bits > 8) {
                        v >>= bits - 8;
                    } else if (bits < 8) {
                        v = v * 255 / ((1 << bits) - 1);
                    }
                    int i = (y * width + x) * CHANNELS;
                    out[i] = out[i + 1] = out[i + 2] = (byte) v;
                }
            }
            return out;
        }
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        for (int p = 0; p < argb.length; p++) {
            out[p * 3] = (byte) (argb[p] >> 16);
            out[p * 3 + 1] = (byte) (argb[p] >> 8);
            out[p * 3 + 2] = (byte) argb[p];
        }
        return out;
    }

    /**
     * Area-average resampling of an RGB image to {@code outWidth x outHeight}: each output pixel is the
     * mean of the source area it covers (fractional pixels weighted by their overlap), rounded. Works
     * for shrinking and enlarging; the aspect ratio is not kept.
     */
    static byte[] resize(byte[] rgb, int width, int height, int outWidth, int outHeight) {
        byte[] out = new byte[outWidth * outHeight * CHANNELS];
        double sy = (double) height / outHeight;
        double sx = (double) width / outWidth;
        for (int oy = 0; oy < outHeight; oy++) {
            double y0 = oy * sy;
            double y1 = (oy + 1) * sy;
            for (int ox = 0; ox < outWidth; ox++) {
                double x0 = ox * sx;
                double x1 = (ox + 1) * sx;
                double[] sum = new double[CHANNELS];
                for (int y = (int) Math.floor(y0); y < Math.min(height, (int) Math.ceil(y1)); y++) {
                    double wy = Math.min(y1, y + 1) - Math.max(y0, y);
                    if (wy <= 0) {
                        continue;
                    }
                    for (int x = (int) Math.floor(x0); x < Math.min(width, (int) Math.ceil(x1)); x++) {
                        double w = wy * (Math.min(x1, x + 1) - Math.max(x0, x));
                        if (w <= 0) {
                            continue;
                        }
                        int i = (y * width + x) * CHANNELS;
                        for (int c = 0; c < CHANNELS; c++) {
                            sum[c] += w * (rgb[i + c] & 0xFF);
                        }
                    }
                }
                double area = sy * sx;
                int o = (oy * outWidth + ox) * CHANNELS;
                for (int c = 0; c < CHANNELS; c++) {
                    out[o + c] = (byte) Math.max(0, Math.min(255, Math.round(sum[c] / area)));
                }
            }
        }
        return out;
    }
}
