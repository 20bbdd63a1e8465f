package airbench.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * One split of a CIFAR dataset in memory.
 *
 * <p>The arrays are held, not copied: the training images alone are 150 MB, so
 * callers must treat them as read-only.
 *
 * @param variant      which dataset's files
 * @param split        "train" or "test"
 * @param images       uint8 pixels, NHWC [n, 32, 32, 3], index {@code ((i * 32 + y) * 32 + x) * 3 + c}
 *                     (the files are planar CHW; the reader interleaves them)
 * @param labels       per image: the CIFAR-10 label, or the CIFAR-100 fine label ({@link LabelSet#FINE}) or
 *                     coarse label ({@link LabelSet#COARSE}); what a model trains on and is scored against
 * @param coarseLabels per image: the CIFAR-100 coarse label; empty for CIFAR-10
 * @param classNames   the names of {@code labels}, in label order
 * @param labelSet     which labels {@code labels} holds ({@link LabelSet#FINE} for CIFAR-10)
 */
public record CifarDataset(CifarVariant variant, String split, byte[] images, int[] labels, int[] coarseLabels,
                           List<String> classNames, LabelSet labelSet) {
    public static final int HEIGHT = 32;
    public static final int WIDTH = 32;
    public static final int CHANNELS = 3;
    public static final int IMAGE_BYTES = HEIGHT * WIDTH * CHANNELS;

    /** A split whose {@code labels} are CIFAR-10's, or CIFAR-100's fine labels. */
    public CifarDataset(CifarVariant variant, String split, byte[] images, int[] labels, int[] coarseLabels,
                        List<String> classNames) {
        this(variant, split, images, labels, coarseLabels, classNames, LabelSet.FINE);
    }

    public CifarDataset {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(labelSet, "labelSet");
        DatasetChoice dataset = DatasetChoice.of(variant, labelSet);
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(coarseLabels, "coarseLabels");
        classNames = List.copyOf(classNames);
        if ((long) labels.length * IMAGE_BYTES != images.length) {
            throw new IllegalArgumentException(images.length + " image bytes do not match " + labels.length
                    + " labels of " + IMAGE_BYTES + " bytes each");
        }
        int expectedCoarse = variant == CifarVariant.CIFAR100 ? labels.length : 0;
        if (coarseLabels.length != expectedCoarse) {
            throw new IllegalArgumentException(variant.displayName() + " needs " + expectedCoarse
                    + " coarse labels, got " + coarseLabels.length);
        }
        if (classNames.size() != dataset.numClasses()) {
            throw new IllegalArgumentException(dataset.displayName() + " has " + dataset.numClasses()
                    + " classes, got " + classNames.size() + " class names");
        }
        checkRange(labels, dataset.numClasses(), "label");
        checkRange(coarseLabels, CifarVariant.CIFAR100_COARSE_CLASSES, "coarse label");
    }

    private static void checkRange(int[] values, int limit, String what) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= limit) {
                throw new IllegalArgumentException("image " + i + " has " + what + " " + values[i]
                        + ", outside 0.." + (limit - 1));
            }
        }
    }

    public int size() {
        return labels.length;
    }

    /** Which dataset and labels this is: what the head's size, the class names and the normalization follow. */
    public DatasetChoice dataset() {
        return DatasetChoice.of(variant, labelSet);
    }

    /** Number of classes of {@code labels}: 10, 100, or 20 for CIFAR-100's coarse labels. */
    public int numClasses() {
        return dataset().numClasses();
    }

    /** Number of images of each class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /** The first {@code n} images (a copy), for quick experiments on a small training set. */
    public CifarDataset first(int n) {
        if (n < 0 || n > size()) {
            throw new IllegalArgumentException("cannot take the first " + n + " images of the " + variant.displayName()
                    + " " + split + " split, it holds " + size());
        }
        return new CifarDataset(variant, split, Arrays.copyOf(images, n * IMAGE_BYTES), Arrays.copyOf(labels, n),
                Arrays.copyOf(coarseLabels, Math.min(n, coarseLabels.length)), classNames, labelSet);
    }

    /**
     * The images whose {@code mask} entry is true, in their order (a copy): a derived training set, as
     * in docs/METHOD.md section 12. Training on it takes {@code selected / batch} steps per epoch.
     *
     * @param mask one entry per image of this split
     * @throws IllegalArgumentException if the mask's length is not the number of images
     */
    public CifarDataset select(boolean[] mask) {
        if (mask.length != size()) {
            throw new IllegalArgumentException("the mask has " + mask.length + " entries but the "
                    + variant.displayName() + " " + split + " split holds " + size()
                    + " images; give one entry per image");
        }
        int count = 0;
        for (boolean keep : mask) {
            count += keep ? 1 : 0;
        }
        int[] indices = new int[count];
        for (int i = 0, k = 0; i < mask.length; i++) {
            if (mask[i]) {
                indices[k++] = i;
            }
        }
        return select(indices);
    }

    /**
     * The images at {@code indices}, in the order given (a copy). An index may repeat, which trains on
     * that image more often (a way to reweight the data).
     *
     * @throws IllegalArgumentException naming the first index outside {@code 0 .. size() - 1}
     */
    public CifarDataset select(int[] indices) {
        byte[] selectedImages = new byte[Math.multiplyExact(indices.length, IMAGE_BYTES)];
        int[] selectedLabels = new int[indices.length];
        int[] selectedCoarse = new int[coarseLabels.length == 0 ? 0 : indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            if (i < 0 || i >= size()) {
                throw new IllegalArgumentException("index " + i + " (position " + k + " of the index list) is"
                        + " outside the " + variant.displayName() + " " + split + " split's images 0.." + (size() - 1));
            }
            System.arraycopy(images, i * IMAGE_BYTES, selectedImages, k * IMAGE_BYTES, IMAGE_BYTES);
            selectedLabels[k] = labels[i];
            if (selectedCoarse.length > 0) {
                selectedCoarse[k] = coarseLabels[i];
            }
        }
        return new CifarDataset(variant, split, selectedImages, selectedLabels, selectedCoarse, classNames, labelSet);
    }

    /**
     * The same images with other labels (the images are shared, not copied; the labels are copied):
     * training on it learns the new labels. CIFAR-100's coarse labels are kept as they were.
     *
     * @param newLabels one label per image, each in {@code 0 .. classes - 1}
     * @throws IllegalArgumentException for a wrong count or a label out of range, naming the image
     */
    public CifarDataset withLabels(int[] newLabels) {
        if (newLabels.length != size()) {
            throw new IllegalArgumentException(newLabels.length + " new labels for the " + size() + " images of the "
                    + variant.displayName() + " " + split + " split; give one label per image");
        }
        return new CifarDataset(variant, split, images, newLabels.clone(), coarseLabels, classNames, labelSet);
    }

    /** One line: "CIFAR-10 train: 50000 images; per class airplane 5000, automobile 5000, ...". */
    public String summary() {
        int[] counts = classCounts();
        StringJoiner perClass = new StringJoiner(", ");
        for (int k = 0; k < counts.length; k++) {
            perClass.add(classNames.get(k) + " " + counts[k]);
        }
        return dataset().displayName() + " " + split + ": " + size() + " images; per class " + perClass;
    }
}
