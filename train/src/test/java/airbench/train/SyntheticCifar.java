package airbench.train;

import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.data.DatasetChoice;
import airbench.data.LabelSet;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A learnable stand-in for CIFAR-10: each class has its own colour and stripe
 * orientation, plus pixel noise, so a small network can beat chance clearly in
 * a few epochs. {@link #make100} is one for CIFAR-100.
 */
public final class SyntheticCifar {
    public static final List<String> CLASSES = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    private SyntheticCifar() {}

    public static CifarDataset make(String split, int n, long seed) {
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

    /** Names of the 100 fine classes of {@link #make100}. */
    public static final List<String> FINE = IntStream.range(0, 100).mapToObj(k -> "fine" + k).toList();
    /** Names of its 20 coarse classes. */
    public static final List<String> COARSE = IntStream.range(0, 20).mapToObj(k -> "coarse" + k).toList();

    /**
     * A learnable stand-in for CIFAR-100: fine class k = 20 a + 4 b + c (a, b < 5, c < 4) has the
     * colour (40 + 45 c, 40 + 45 b, 40 + 45 a) plus pixel noise; its coarse class is k / 5, as CIFAR-100
     * groups five fine classes in each superclass. The split's labels are the {@code labels} ones.
     */
    public static CifarDataset make100(String split, int n, long seed, LabelSet labels) {
        Random random = new Random(seed);
        byte[] images = new byte[n * CifarDataset.IMAGE_BYTES];
        int[] fine = new int[n];
        int[] coarse = new int[n];
        for (int i = 0; i < n; i++) {
            int label = (int) ((i * 37L) % 100);
            fine[i] = label;
            coarse[i] = label / 5;
            int[] level = {label % 4, (label / 4) % 5, label / 20};
            for (int p = 0; p < 32 * 32; p++) {
                for (int c = 0; c < 3; c++) {
                    double value = 40 + 45 * level[c] + random.nextGaussian() * 12;
                    images[p * 3 + c + i * CifarDataset.IMAGE_BYTES] = (byte) Math.max(0, Math.min(255, (int) value));
                }
            }
        }
        boolean coarseSet = labels == LabelSet.COARSE;
        return new CifarDataset(CifarVariant.CIFAR100, split, images, coarseSet ? coarse : fine, coarse,
                coarseSet ? COARSE : FINE, labels);
    }

    /** {@link #make100} for a dataset choice. */
    public static CifarDataset make(DatasetChoice dataset, String split, int n, long seed) {
        return dataset == DatasetChoice.CIFAR10 ? make(split, n, seed) : make100(split, n, seed, dataset.labelSet());
    }
}
