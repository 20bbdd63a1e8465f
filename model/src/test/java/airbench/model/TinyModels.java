package airbench.model;

import java.util.Random;

/**
 * The synthetic inputs of this module's tests on narrow networks: a batch of random images with
 * random labels, and random whitening filters. Each draw is fixed by its seed, so every test sees the
 * values it was written against.
 */
final class TinyModels {
    /** Filters of the whitening layer: 2x2 patches of 3 channels, 24 outputs (HWIO). */
    private static final int WHITENING_VALUES = 2 * 2 * 3 * 24;

    /** Images (NHWC, 32x32x3 each) and their labels, in batch order. */
    record Batch(float[] images, int[] labels) {}

    private TinyModels() {}

    /**
     * {@code size} images of normal(0, 1) pixels (already normalized, as the data module hands them
     * over), then {@code size} labels uniform over the 10 classes, both drawn from {@code seed}.
     */
    static Batch randomBatch(int size, long seed) {
        Random random = new Random(seed);
        float[] images = new float[size * 32 * 32 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[size];
        for (int i = 0; i < size; i++) {
            labels[i] = random.nextInt(10);
        }
        return new Batch(images, labels);
    }

    /** Whitening filters of normal(0, 0.5^2) values from seed 1: the same values at every call, in a fresh array. */
    static float[] whitening() {
        float[] kernel = new float[WHITENING_VALUES];
        Random random = new Random(1);
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) random.nextGaussian() * 0.5f;
        }
        return kernel;
    }
}
