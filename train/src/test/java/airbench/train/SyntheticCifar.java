package airbench.train;

import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import java.util.List;
import java.util.Random;

/**
 * A learnable stand-in for CIFAR-10: each class has its own colour and stripe
 * orientation, plus pixel noise, so a small network can beat chance clearly in
 * a few epochs.
 */
final class SyntheticCifar {
    static final List<String> CLASSES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    private SyntheticCifar() {}

    static CifarDataset make(String split, int n, long seed) {
        Random random = new Random(seed);
        byte[] images = new byte[n * CifarDataset.IMAGE_BYTES];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            labels[i] = label;
            int phase = random.nextInt(8);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int along = label < 5 ? x : y;
                    boolean stripe = ((along + phase) / (2 + label % 5)) % 2 == 0;
                    for (int c = 0; c < 3; c++) {
                        double base = 60 + 40 * ((label + c) % 4);
                        double value = base + (stripe ? 35 : -35) + random.nextGaussian() * 25;
                        images[((i * 32 + y) * 32 + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) value));
                    }
                }
            }
        }
        return new CifarDataset(CifarVariant.CIFAR10, split, images, labels, new int[0], CLASSES);
    }
}
