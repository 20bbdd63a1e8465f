package airbench.model;

import java.util.List;
import java.util.Optional;

/**
 * The structural choices of an airbench network (docs/METHOD.md sections 3-4).
 * The 94, 95 and 96 networks differ only in these fields, so one builder
 * serves all three.
 *
 * @param widths          output channels of the three conv blocks (w1, w2, w3)
 * @param convsPerBlock   2 (airbench94/95) or 3 (airbench96)
 * @param residual        airbench96 adds the block's first activation to its last conv's output
 * @param batchNormMemory m in {@code running = m * running + (1 - m) * batch}: 0.6 (94/95), 0.9 (96)
 * @param numClasses      output classes, the head's width: 10 in the presets (CIFAR-10); the trainer sets the
 *                        dataset's count ({@link #withNumClasses}: 100 for CIFAR-100, 20 for its coarse labels)
 * @param head            scale of the head's output and init of its weight: 1/9 (94/95/96) or
 *                        1/width with a unit-deviation weight (94muon)
 * @param batchNormEpsilon added to the batch variance; tiny on purpose, as in the reference (1e-12 in every
 *                        published recipe), so that BatchNorm normalizes almost exactly
 * @param firstConvIdentity how each block's first conv gets its identity part: {@link IdentityInit#REPLACE}
 *                        (airbench) or {@link IdentityInit#ADD_AND_RENORMALIZE} (hlb, docs/METHOD.md section 13)
 * @param blockActivation the activation after every BatchNorm of the blocks: {@link Activation#GELU} (airbench, hlb,
 *                        94muon) or {@link Activation#SILU} (hiverge, docs/METHOD.md section 14); the activation
 *                        right after the whitening conv is GELU whatever this says
 */
public record NetworkSpec(List<Integer> widths, int convsPerBlock, boolean residual,
                          double batchNormMemory, int numClasses, HeadScale head, double batchNormEpsilon,
                          IdentityInit firstConvIdentity, Activation blockActivation) {

    /** Images are 32x32 RGB. */
    public static final int IMAGE_SIZE = 32;
    public static final int CHANNELS = 3;
    /** The whitening conv is 2x2: 12 eigenvector filters and their 12 negatives. */
    public static final int WHITEN_KERNEL = 2;
    public static final int WHITEN_WIDTH = 2 * WHITEN_KERNEL * WHITEN_KERNEL * CHANNELS;
    /** The BatchNorm epsilon of every published recipe. */
    public static final double DEFAULT_BATCH_NORM_EPSILON = 1e-12;
    /** airbench94: widths 64/256/256, two convs per block, BatchNorm memory 0.6 (docs/METHOD.md section 6). */
    public static final NetworkSpec AIRBENCH94 = new NetworkSpec(List.of(64, 256, 256), 2, false, 0.6, 10);
    /** airbench95: widths 128/384/384, two convs per block, BatchNorm memory 0.6. */
    public static final NetworkSpec AIRBENCH95 = new NetworkSpec(List.of(128, 384, 384), 2, false, 0.6, 10);
    /** airbench96: widths 128/384/512, three convs per block with the residual, BatchNorm memory 0.9. */
    public static final NetworkSpec AIRBENCH96 = new NetworkSpec(List.of(128, 384, 512), 3, true, 0.9, 10);
    /** 94muon: the airbench94 network with its head divided by its width (256) and a unit-deviation head weight. */
    public static final NetworkSpec AIRBENCH94_MUON = new NetworkSpec(List.of(64, 256, 256), 2, false, 0.6, 10,
            HeadScale.INPUT_WIDTH);
    /**
     * hlb-CIFAR10 (docs/METHOD.md section 13): widths 64/256/512, two convs per block, no residual, BatchNorm
     * memory 0.6, the 1/9 head, each block's first conv with the identity added and renormalized.
     */
    public static final NetworkSpec HLB = new NetworkSpec(List.of(64, 256, 512), 2, false, 0.6, 10, HeadScale.NINTH,
            DEFAULT_BATCH_NORM_EPSILON, IdentityInit.ADD_AND_RENORMALIZE);

    /**
     * The hiverge record (docs/METHOD.md section 14): 94muon's network (widths 64/256/256, the head divided by 256)
     * with SiLU in the blocks and BatchNorm memory 0.5566.
     */
    public static final NetworkSpec HIVERGE = new NetworkSpec(List.of(64, 256, 256), 2, false, 0.5566, 10,
            HeadScale.INPUT_WIDTH, DEFAULT_BATCH_NORM_EPSILON, IdentityInit.REPLACE, Activation.SILU);

    /** The network of a published recipe by its name ("94", "95", "96"). */
    public static Optional<NetworkSpec> preset(String name) {
        return Optional.ofNullable(switch (name) {
            case "94" -> AIRBENCH94;
            case "95" -> AIRBENCH95;
            case "96" -> AIRBENCH96;
            default -> null;
        });
    }

    /** Names accepted by {@link #preset}. */
    public static List<String> presetNames() {
        return List.of("94", "95", "96");
    }

    /** A network with the 1/9 head of airbench94/95/96. */
    public NetworkSpec(List<Integer> widths, int convsPerBlock, boolean residual, double batchNormMemory,
                       int numClasses) {
        this(widths, convsPerBlock, residual, batchNormMemory, numClasses, HeadScale.NINTH);
    }

    /** A network with the published recipes' BatchNorm epsilon. */
    public NetworkSpec(List<Integer> widths, int convsPerBlock, boolean residual, double batchNormMemory,
                       int numClasses, HeadScale head) {
        this(widths, convsPerBlock, residual, batchNormMemory, numClasses, head, DEFAULT_BATCH_NORM_EPSILON);
    }

    /** A network whose block convs start with airbench's partial identity ({@link IdentityInit#REPLACE}). */
    public NetworkSpec(List<Integer> widths, int convsPerBlock, boolean residual, double batchNormMemory,
                       int numClasses, HeadScale head, double batchNormEpsilon) {
        this(widths, convsPerBlock, residual, batchNormMemory, numClasses, head, batchNormEpsilon,
                IdentityInit.REPLACE);
    }

    /** A network with GELU in its blocks ({@link Activation#GELU}). */
    public NetworkSpec(List<Integer> widths, int convsPerBlock, boolean residual, double batchNormMemory,
                       int numClasses, HeadScale head, double batchNormEpsilon, IdentityInit firstConvIdentity) {
        this(widths, convsPerBlock, residual, batchNormMemory, numClasses, head, batchNormEpsilon, firstConvIdentity,
                Activation.GELU);
    }

    public NetworkSpec {
        widths = List.copyOf(widths);
        java.util.Objects.requireNonNull(blockActivation, "blockActivation");
        java.util.Objects.requireNonNull(head, "head");
        java.util.Objects.requireNonNull(firstConvIdentity, "firstConvIdentity");
        if (widths.size() != 3 || widths.stream().anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException("widths must be three positive channel counts, got " + widths);
        }
        if (convsPerBlock != 2 && convsPerBlock != 3) {
            throw new IllegalArgumentException("convsPerBlock must be 2 or 3, got " + convsPerBlock);
        }
        if (residual && convsPerBlock != 3) {
            throw new IllegalArgumentException("the residual block needs 3 convs per block, got " + convsPerBlock);
        }
        if (!(batchNormMemory >= 0 && batchNormMemory < 1)) {
            throw new IllegalArgumentException("batchNormMemory must be in [0, 1), got " + batchNormMemory);
        }
        if (!(batchNormEpsilon > 0 && batchNormEpsilon < 1)) {
            throw new IllegalArgumentException("batchNormEpsilon must be in (0, 1), got " + batchNormEpsilon);
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses must be at least 2, got " + numClasses);
        }
    }

    /** Same network with other block widths (used by tests and ablations). */
    public NetworkSpec withWidths(List<Integer> newWidths) {
        return new NetworkSpec(newWidths, convsPerBlock, residual, batchNormMemory, numClasses, head, batchNormEpsilon,
                firstConvIdentity, blockActivation);
    }

    /** Same network with a head of {@code classes} outputs (CIFAR-100: 100; docs/METHOD.md section 9 changes nothing else). */
    public NetworkSpec withNumClasses(int classes) {
        return new NetworkSpec(widths, convsPerBlock, residual, batchNormMemory, classes, head, batchNormEpsilon,
                firstConvIdentity, blockActivation);
    }

    /** Same network with another start of each block's first conv. */
    public NetworkSpec withFirstConvIdentity(IdentityInit init) {
        return new NetworkSpec(widths, convsPerBlock, residual, batchNormMemory, numClasses, head, batchNormEpsilon,
                init, blockActivation);
    }

    /** Same network with another activation in its blocks. */
    public NetworkSpec withBlockActivation(Activation activation) {
        return new NetworkSpec(widths, convsPerBlock, residual, batchNormMemory, numClasses, head, batchNormEpsilon,
                firstConvIdentity, activation);
    }

    /** Same network with another BatchNorm running-statistics memory m. */
    public NetworkSpec withBatchNormMemory(double memory) {
        return new NetworkSpec(widths, convsPerBlock, residual, memory, numClasses, head, batchNormEpsilon,
                firstConvIdentity, blockActivation);
    }

    /** Number of trainable-or-frozen parameters of the network (weights, whitening bias, BatchNorm shifts). */
    public long parameterCount() {
        long count = (long) WHITEN_KERNEL * WHITEN_KERNEL * CHANNELS * WHITEN_WIDTH + WHITEN_WIDTH;
        int in = WHITEN_WIDTH;
        for (int width : widths) {
            count += 9L * in * width + width;
            for (int c = 1; c < convsPerBlock; c++) {
                count += 9L * width * width + width;
            }
            in = width;
        }
        return count + (long) in * numClasses;
    }
}
