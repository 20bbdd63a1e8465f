package airbench.data;

import java.util.SplittableRandom;

/**
 * Training sets whose pixels tell where they came from: channel 0 is 8 * row,
 * channel 1 is 8 * column, channel 2 is the image's number. After any crop,
 * flip or shuffle a test can read back which image and which source pixel it
 * sees.
 */
final class Synthetic {
    private Synthetic() {}

    static CifarDataset patterned(int n) {
        if (n > 256) {
            throw new IllegalArgumentException("the image number must fit in a byte");
        }
        byte[] images = new byte[n * CifarDataset.IMAGE_BYTES];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int at = ((i * 32 + y) * 32 + x) * 3;
                    images[at] = (byte) (8 * y);
                    images[at + 1] = (byte) (8 * x);
                    images[at + 2] = (byte) i;
                }
            }
        }
        return new CifarDataset(CifarVariant.CIFAR10, "train", images, labels, new int[0],
                CifarVariant.CIFAR10.wellKnownClassNames());
    }

    /** Arbitrary-looking pixels for larger sets (timing, reference comparisons). */
    static CifarDataset noisy(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] images = new byte[n * CifarDataset.IMAGE_BYTES];
        for (int k = 0; k < images.length; k++) {
            images[k] = (byte) random.nextInt(256);
        }
        int[] labels = random.ints(n, 0, 10).toArray();
        return new CifarDataset(CifarVariant.CIFAR10, "train", images, labels, new int[0],
                CifarVariant.CIFAR10.wellKnownClassNames());
    }

    /** The uint8 value a normalized float came from, by inverting the normalization in double precision. */
    static int pixelByte(float[] images, int slot, int y, int x, int c) {
        float value = images[((slot * 32 + y) * 32 + x) * 3 + c];
        return (int) Math.round((value * (double) Normalization.STD[c] + Normalization.MEAN[c]) * 255.0);
    }

    /** Number of the image in slot {@code slot} (any pixel outside a cutout square tells). */
    static int imageId(float[] images, int slot) {
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                if (images[((slot * 32 + y) * 32 + x) * 3 + 2] != 0f) {
                    return pixelByte(images, slot, y, x, 2);
                }
            }
        }
        throw new AssertionError("slot " + slot + " is entirely zero");
    }

    /** Whether the image in the slot is mirrored: column values decrease from left to right at the centre. */
    static boolean mirrored(float[] images, int slot) {
        int left = pixelByte(images, slot, 16, 15, 1);
        int right = pixelByte(images, slot, 16, 17, 1);
        if (Math.abs(left - right) != 16) {
            throw new AssertionError("the centre columns " + left + ", " + right + " are not two columns apart");
        }
        return left > right;
    }
}
