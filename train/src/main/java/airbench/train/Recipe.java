package airbench.train;

import airbench.data.AugmentSpec;
import airbench.data.CifarDataset;
import airbench.data.FlipMode;
import airbench.model.Activation;
import airbench.model.HeadScale;
import airbench.model.IdentityInit;
import airbench.model.LossSpec;
import airbench.model.MuonRenormalization;
import airbench.model.MuonSpec;
import airbench.model.NetworkSpec;
import airbench.model.OptimizerSpec;
import airbench.model.ProxyFilterSpec;
import airbench.model.TrainingOptimizer;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every setting of a training recipe, in one table (docs/METHOD.md sections 2-7, 10, 11, 13 and 14). airbench94 is
 * written out in full below, setting by setting, in the order the method reads: data and augmentation, network,
 * initialization and whitening, loss and optimizer, schedule, averaging, evaluation. Every other recipe is
 * airbench94 with its differences, as docs/METHOD.md describes them. Command-line options and library callers
 * change a preset through {@link #toBuilder()}; the defaults live in the presets alone, and the loop reads every
 * number it uses from here.
 *
 * <table>
 * <caption>The presets (every field: {@code --list-recipes}, or docs/recipes.md)</caption>
 * <tr><th></th><th>94</th><th>95</th><th>96</th><th>94muon</th><th>96faster</th><th>hlb</th><th>94hiverge</th></tr>
 * <tr><td>epochs</td><td>9.9</td><td>15</td><td>37</td><td>8</td><td>45</td><td>12.1</td><td>7.59</td></tr>
 * <tr><td>batch</td><td>1,024</td><td>1,024</td><td>1,024</td><td>2,000</td><td>1,024 (512 kept)</td><td>1,024</td>
 *     <td>1,536</td></tr>
 * <tr><td>translate / cutout (px)</td><td>2 / 0</td><td>2 / 0</td><td>4 / 12</td><td>2 / 0</td><td>4 / 12</td>
 *     <td>-2..+1 / 0, CutMix 3 from epoch 7</td><td>2 / 0, colour jitter 0.1399 / 0.1308</td></tr>
 * <tr><td>widths</td><td>64/256/256</td><td>128/384/384</td><td>128/384/512</td><td>64/256/256</td><td>128/384/512</td>
 *     <td>64/256/512</td><td>64/256/256, SiLU, BatchNorm memory 0.5566</td></tr>
 * <tr><td>label smoothing</td><td>0.2</td><td>0.2</td><td>0.2</td><td>0.2</td><td>0.2</td><td>0.2, loss x 0.5</td>
 *     <td>0.09</td></tr>
 * <tr><td>optimizer</td><td>Nesterov SGD, lr 11.5, wd 0.0153 per 1024</td><td>lr 10.0</td><td>lr 9.0, wd 0.012</td>
 *     <td>Muon + SGD ({@link MuonSpec#AIRBENCH94_MUON})</td><td>as 96</td><td>lr 1.525/512, wd 6.687e-4 x 1024 per step</td>
 *     <td>Muon + SGD ({@link MuonSpec#HIVERGE})</td></tr>
 * <tr><td>warmup / final multiplier</td><td>0.23 / 0.07</td><td>0.23 / 0.07</td><td>0.1 / 0</td><td>0 / 0</td><td>0.1 / 0</td>
 *     <td>one-cycle 0 -> 1 at 132.63 -> 0.07</td><td>0 / 0</td></tr>
 * <tr><td>Lookahead</td><td>every 5, 0.95^5</td><td>as 94</td><td>as 94</td><td>none</td><td>as 94</td><td>as 94 from step 100</td>
 *     <td>none</td></tr>
 * </table>
 *
 * @param name               preset name ("94", "95", "96", "94muon", "96faster", "hlb", "94hiverge")
 * @param epochs             passes over the training set; fractional values stop mid-pass
 * @param augment            translation (px, and whether hlb's off-by-one range), cutout (px, 0 = none), flip mode,
 *                           CutMix (px, 0 = none) and its first epoch, colour jitter's brightness and contrast ranges
 *                           (0 = none)
 * @param network            widths, convs per block, residual, BatchNorm memory and epsilon, head, the start of each
 *                           block's first conv, the blocks' activation
 * @param whitenImages       training images the whitening filters are computed from (the first ones)
 * @param whitenEpsilon      added to the patch covariance's eigenvalues before the whitening divides by their root
 * @param whitenCentred      the whitening decomposes the mean-centred, unbiased patch covariance (hlb) instead of the
 *                           uncentred second moment (airbench)
 * @param whitenBiasEpochs   epochs during which the whitening bias trains before it freezes (0: it never trains and
 *                           stays 0, as if the layer had no bias: hlb)
 * @param labelSmoothing     the loss's label smoothing (0: plain cross-entropy; the loss is summed over the batch)
 * @param lossScale          multiplier of the summed loss in the gradient (1: the plain sum; hlb: 0.5)
 * @param optimizer          the optimizer and its settings: batch size, rates, momentum, weight decay
 * @param lrShape            where the lr multiplier peaks and ends: airbench's triangle or PyTorch's OneCycleLR
 * @param warmupFraction     the lr multiplier rises from {@code initialLrMultiplier} to 1 over
 *                           floor(warmupFraction * total steps) (0: it starts at 1); one-cycle: over
 *                           warmupFraction * total steps - 1
 * @param initialLrMultiplier the multiplier at step 0 when there is a warmup
 * @param finalLrMultiplier  ... then falls linearly to this value at the end (the step after the last one; one-cycle:
 *                           the last one)
 * @param whitenBiasOwnDecay the whitening bias's multiplier falls from 1 to 0 over its own training steps (94muon)
 *                           instead of following the main schedule
 * @param lookaheadEvery     Lookahead blends the slow copy every this many steps; 0 for no Lookahead (the last
 *                           step's weights are the result). Must agree with the optimizer, which keeps the copy.
 * @param lookaheadBase      Lookahead's decay per blend: alpha = base * (steps / total)^3
 * @param lookaheadStart     steps after which the slow copy is taken from the fast weights (a multiple of
 *                           lookaheadEvery); blends only after it. 0: the slow copy starts as the initial weights.
 * @param ttaLevel           test-time augmentation of the final evaluation (0, 1, 2)
 * @param ttaSelective       selective TTA (docs/METHOD.md section 14): the share of the test images, the least
 *                           confident ones, whose plain logits give way to the equal mean of six views (0: none, every
 *                           image at {@code ttaLevel}; above 0 it needs level 0, which the other images keep)
 * @param evalBatch          images per evaluation call (the reference's 2,000: large enough to keep the model busy,
 *                           small enough to bound memory)
 * @param filter             data filtering by a proxy network (96faster), or null: the network trains on every
 *                           example of each batch. With a filter, batches straddle epoch boundaries (no remainder
 *                           dropped), as the reference's loader for it does. Left out of the JSON when null.
 */
public record Recipe(String name, double epochs,
                     AugmentSpec augment,
                     NetworkSpec network,
                     int whitenImages, double whitenEpsilon, boolean whitenCentred, double whitenBiasEpochs,
                     double labelSmoothing, double lossScale,
                     TrainingOptimizer optimizer,
                     LrShape lrShape, double warmupFraction, double initialLrMultiplier, double finalLrMultiplier,
                     boolean whitenBiasOwnDecay,
                     int lookaheadEvery, double lookaheadBase, int lookaheadStart,
                     int ttaLevel, double ttaSelective, int evalBatch,
                     @JsonInclude(JsonInclude.Include.NON_NULL) ProxyFilterSpec filter) {

    /** airbench94 (docs/METHOD.md sections 1-7), every setting by name. */
    public static final Recipe AIRBENCH94 = builder("94")
            .epochs(9.9)
            // data and augmentation: pad 2 px and crop back (shifts -2..+2), flip every other epoch after a random
            // pre-flip, no CutMix
            .translate(2).translateOffByOne(false).cutout(0).flip(FlipMode.ALTERNATING).cutmix(0).cutmixFromEpoch(0)
            // no colour jitter
            .colourJitter(0, 0)
            // network: widths of the three blocks, two convs each, BatchNorm running-stat memory and epsilon, the
            // first conv of each block with its first filters replaced by the identity, GELU everywhere
            .network(NetworkSpec.AIRBENCH94)
            // initialization and whitening: 2x2 patch whitening from the first 5,000 images by their uncentred second
            // moment; its bias trains 3 epochs
            .whitenImages(5000).whitenEpsilon(5e-4).whitenCentred(false).whitenBiasEpochs(3)
            // loss: label-smoothed cross-entropy, summed over the batch
            .labelSmoothing(0.2).lossScale(1)
            // optimizer: Nesterov SGD over two groups, lr and wd per 1024 examples, BatchNorm shifts 64x faster
            .optimizer(new OptimizerSpec(1024, 11.5, 0.85, 0.0153, 64))
            // schedule: multiplier 0.2 -> 1 over 23% of the steps, then linearly to 0.07 at the step after the last
            .lrShape(LrShape.TRIANGLE).warmupFraction(0.23).initialLrMultiplier(0.2).finalLrMultiplier(0.07)
            .whitenBiasOwnDecay(false)
            // averaging: Lookahead every 5 steps with base 0.95^5, its slow copy the initial weights
            .lookahead(5, Math.pow(0.95, 5)).lookaheadStart(0)
            // evaluation: TTA level 2 (flip and two translations), 2,000 images per call
            .ttaLevel(2).ttaSelective(0).evalBatch(2000)
            .build();

    /** airbench95: wider, 15 epochs, lr 10.0 per 1024 examples. */
    public static final Recipe AIRBENCH95 = AIRBENCH94.toBuilder().name("95")
            .epochs(15)
            .network(NetworkSpec.AIRBENCH95)
            .optimizer(new OptimizerSpec(1024, 10.0, 0.85, 0.0153, 64))
            .build();

    /** airbench96: three convs per block with the residual, translate 4, cutout 12, 37 epochs. */
    public static final Recipe AIRBENCH96 = AIRBENCH94.toBuilder().name("96")
            .epochs(37)
            .translate(4).cutout(12)
            .network(NetworkSpec.AIRBENCH96)
            .optimizer(new OptimizerSpec(1024, 9.0, 0.85, 0.012, 64))
            .warmupFraction(0.1).finalLrMultiplier(0.0)
            .build();

    /**
     * The later 94% record with the Muon optimizer (docs/METHOD.md section 10): 8 x 25 = 200 steps of 2,000, the
     * airbench94 network with a width-scaled head, no warmup (every multiplier falls linearly from 1 to 0, the
     * whitening bias's over its own steps), no Lookahead.
     */
    public static final Recipe AIRBENCH94_MUON = AIRBENCH94.toBuilder().name("94muon")
            .epochs(8)
            .network(NetworkSpec.AIRBENCH94_MUON)
            .optimizer(MuonSpec.AIRBENCH94_MUON)
            .warmupFraction(0).finalLrMultiplier(0).whitenBiasOwnDecay(true)
            .noLookahead()
            .build();

    /**
     * The later 96% record with data filtering (docs/METHOD.md section 11): airbench96's network, optimizer
     * (lr and wd for batch 1,024), schedule and Lookahead over ceil(48 * 45) = 2,160 steps of the batch
     * stream, each training on the 512 examples of its 1,024 that the proxy (widths 32/64/64) picks.
     * Whitening-bias epochs 144 = 3 * 48: the published script compares the epoch number with the step
     * count of the 3 epochs it meant, so its bias trains for the whole run, and so does this preset's;
     * {@code --whiten-bias-epochs 3} gives the freeze the script intended.
     */
    public static final Recipe AIRBENCH96_FASTER = AIRBENCH96.toBuilder().name("96faster")
            .epochs(45)
            .whitenBiasEpochs(144)
            .filter(ProxyFilterSpec.AIRBENCH96_FASTER)
            .build();

    /**
     * hlb-CIFAR10 v0.7.0, the record before airbench (docs/METHOD.md section 13): ceil(48 * 12.1) = 581 steps of
     * 1,024; a fresh random flip every epoch, shifts -2..+1 (its published off-by-one), CutMix 3x3 from epoch 7;
     * widths 64/256/512 with the identity added to each block's first conv and renormalized; whitening by the
     * centred covariance of all 50,000 images, epsilon 1e-2, no bias; the loss 0.5 x the sum; SGD lr 1.525 / 512 and
     * coupled decay 6.687e-4 x 1,024 (BatchNorm shifts 64x the rate, 1/64 the decay), OneCycleLR from 0 to 1 at
     * step 132.63 and to 0.07 at step 580; Lookahead from step 100; TTA level 1.
     */
    public static final Recipe HLB = AIRBENCH94.toBuilder().name("hlb")
            .epochs(12.1)
            .translateOffByOne(true).flip(FlipMode.RANDOM).cutmix(3).cutmixFromEpoch(7)
            .network(NetworkSpec.HLB)
            .whitenImages(50_000).whitenEpsilon(1e-2).whitenCentred(true).whitenBiasEpochs(0)
            .lossScale(0.5)
            .optimizer(OptimizerSpec.fromStepRates(1024, 1.525 / 512, 0.85, 6.687e-4 * 1024, 64))
            .lrShape(LrShape.ONE_CYCLE).initialLrMultiplier(0)
            .lookaheadStart(100)
            .ttaLevel(1)
            .build();

    /**
     * hiverge/cifar10-speedrun, the current 94% record (docs/METHOD.md section 14): 94muon with batches of 1,536 for
     * ceil(32 * 7.59) = 243 steps (7 passes and 19 steps of an 8th), colour jitter after normalization, crop and flip
     * (shift 0.1399, factor 1 +- 0.1308), SiLU in the blocks and BatchNorm memory 0.5566, whitening from the first
     * 960 images with its bias trained 7 steps (7/32 of an epoch, multiplier 1 - k / 7), label smoothing 0.09, and
     * {@link MuonSpec#HIVERGE}: SGD momentum 0.825, rates 0.0573 / 0.5415, Muon lr 0.205 and momentum 0.655 with new
     * Newton-Schulz coefficients, the filters' decoupled decay at every step and their renormalization at 37 steps;
     * selective TTA at the end: plain logits, the six-view mean for the least confident 25% of the test images.
     */
    public static final Recipe HIVERGE = AIRBENCH94_MUON.toBuilder().name("94hiverge")
            .epochs(7.59)
            .colourJitter(0.1399, 0.1308)
            .network(NetworkSpec.HIVERGE)
            .whitenImages(960).whitenBiasEpochs(7.0 / 32)
            .labelSmoothing(0.09)
            .optimizer(MuonSpec.HIVERGE)
            .ttaLevel(0).ttaSelective(0.25)
            .build();

    private static final Map<String, Recipe> PRESETS = new LinkedHashMap<>();

    static {
        for (Recipe r : List.of(AIRBENCH94, AIRBENCH95, AIRBENCH96, AIRBENCH94_MUON, AIRBENCH96_FASTER, HLB, HIVERGE)) {
            PRESETS.put(r.name(), r);
        }
    }

    public Recipe {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(augment, "augment");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(lrShape, "lrShape");
        if (!(epochs > 0)) {
            throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        }
        if (whitenImages < 1) {
            throw new IllegalArgumentException("whitenImages must be at least 1, got " + whitenImages);
        }
        if (!(whitenEpsilon > 0)) {
            throw new IllegalArgumentException("whitenEpsilon must be positive, got " + whitenEpsilon);
        }
        if (!(whitenBiasEpochs >= 0)) {
            throw new IllegalArgumentException("whitenBiasEpochs must be >= 0, got " + whitenBiasEpochs);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (!(lossScale > 0 && Double.isFinite(lossScale))) {
            throw new IllegalArgumentException("lossScale must be positive, got " + lossScale);
        }
        if (!(warmupFraction >= 0 && warmupFraction < 1)) {
            throw new IllegalArgumentException("warmupFraction must be in [0, 1), got " + warmupFraction);
        }
        if (!(initialLrMultiplier >= 0)) {
            throw new IllegalArgumentException("initialLrMultiplier must be >= 0, got " + initialLrMultiplier);
        }
        if (!(finalLrMultiplier >= 0)) {
            throw new IllegalArgumentException("finalLrMultiplier must be >= 0, got " + finalLrMultiplier);
        }
        if (lookaheadEvery < 0) {
            throw new IllegalArgumentException("lookaheadEvery must be >= 0 (0: none), got " + lookaheadEvery);
        }
        if ((lookaheadEvery > 0) != optimizer.usesLookahead()) {
            throw new IllegalArgumentException("Lookahead every " + lookaheadEvery + " steps does not match the"
                    + " optimizer, which " + (optimizer.usesLookahead() ? "keeps a" : "keeps no") + " slow copy: give"
                    + " lookahead(every, base) with an optimizer that keeps one, noLookahead() with one that does not");
        }
        if (lookaheadEvery > 0 && !(lookaheadBase > 0 && lookaheadBase <= 1)) {
            throw new IllegalArgumentException("lookaheadBase must be in (0, 1], got " + lookaheadBase);
        }
        if (lookaheadStart < 0 || (lookaheadEvery == 0 ? lookaheadStart != 0 : lookaheadStart % lookaheadEvery != 0)) {
            throw new IllegalArgumentException("lookaheadStart must be a multiple (>= 0) of lookaheadEvery "
                    + lookaheadEvery + " (0 without Lookahead), got " + lookaheadStart);
        }
        if (ttaLevel < 0 || ttaLevel > 2) {
            throw new IllegalArgumentException("ttaLevel must be 0, 1 or 2, got " + ttaLevel);
        }
        if (!(ttaSelective >= 0 && ttaSelective <= 1)) {
            throw new IllegalArgumentException("ttaSelective must be a share of the test images in [0, 1] (0: none),"
                    + " got " + ttaSelective);
        }
        if (ttaSelective > 0 && ttaLevel != 0) {
            throw new IllegalArgumentException("selective TTA (ttaSelective " + ttaSelective + ") gives the images it"
                    + " does not select their plain logits, TTA level 0; got level " + ttaLevel + ": give level 0, or"
                    + " ttaSelective 0 for TTA level " + ttaLevel + " on every image");
        }
        if (evalBatch < 1) {
            throw new IllegalArgumentException("evalBatch must be at least 1, got " + evalBatch);
        }
        if (filter != null && filter.keep() > optimizer.batchSize()) {
            throw new IllegalArgumentException("the proxy filter keeps " + filter.keep() + " examples of each batch,"
                    + " more than the batch size " + optimizer.batchSize());
        }
        if (filter != null && augment.cutmix() > 0) {
            throw new IllegalArgumentException("CutMix (cutmix " + augment.cutmix() + ") mixes the targets of the"
                    + " per-epoch batches; the proxy filter's straddling batches have none: use one or the other");
        }
        if (filter != null && optimizer instanceof MuonSpec m && !m.renormalization().everyStep()) {
            throw new IllegalArgumentException("the proxy filter's step feeds no renormalization flag; Muon with the"
                    + " filter must renormalize at every step, got " + m.renormalization());
        }
        if (filter != null && filter.proxy().numClasses() != network.numClasses()) {
            throw new IllegalArgumentException("the proxy network has " + filter.proxy().numClasses()
                    + " classes and the network " + network.numClasses() + "; they must match");
        }
    }

    /** The preset of that name, if there is one. */
    public static Optional<Recipe> preset(String name) {
        return Optional.ofNullable(PRESETS.get(name));
    }

    /** Names of all presets, in order. */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    public static List<Recipe> presets() {
        return List.copyOf(PRESETS.values());
    }

    /** A builder with nothing set but the name; {@link Builder#build} refuses what is missing. */
    public static Builder builder(String name) {
        return new Builder().name(name);
    }

    /** A builder holding every setting of this recipe, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.epochs = epochs;
        b.translate = augment.translate();
        b.translateOffByOne = augment.translateOffByOne();
        b.cutout = augment.cutout();
        b.flip = augment.flip();
        b.cutmix = augment.cutmix();
        b.cutmixFromEpoch = augment.cutmixFromEpoch();
        b.brightness = augment.brightness();
        b.contrast = augment.contrast();
        b.network = network;
        b.whitenImages = whitenImages;
        b.whitenEpsilon = whitenEpsilon;
        b.whitenCentred = whitenCentred;
        b.whitenBiasEpochs = whitenBiasEpochs;
        b.labelSmoothing = labelSmoothing;
        b.lossScale = lossScale;
        b.optimizer = optimizer;
        b.lrShape = lrShape;
        b.warmupFraction = warmupFraction;
        b.initialLrMultiplier = initialLrMultiplier;
        b.finalLrMultiplier = finalLrMultiplier;
        b.whitenBiasOwnDecay = whitenBiasOwnDecay;
        b.lookaheadEvery = lookaheadEvery;
        b.lookaheadBase = lookaheadBase;
        b.lookaheadStart = lookaheadStart;
        b.ttaLevel = ttaLevel;
        b.ttaSelective = ttaSelective;
        b.evalBatch = evalBatch;
        b.filter = filter;
        return b;
    }

    /**
     * The settings of a recipe by name. Every setter takes the value as the recipe table states it; {@link #build}
     * validates them together (a value out of range fails there with the value in the message).
     */
    public static final class Builder {
        private String name;
        private double epochs = Double.NaN;
        private int translate = -1;
        private Boolean translateOffByOne;
        private int cutout = -1;
        private FlipMode flip;
        private int cutmix = -1;
        private int cutmixFromEpoch = -1;
        private double brightness = Double.NaN;
        private double contrast = Double.NaN;
        private NetworkSpec network;
        private int whitenImages;
        private double whitenEpsilon = Double.NaN;
        private Boolean whitenCentred;
        private double whitenBiasEpochs = Double.NaN;
        private double labelSmoothing = Double.NaN;
        private double lossScale = Double.NaN;
        private TrainingOptimizer optimizer;
        private LrShape lrShape;
        private double warmupFraction = Double.NaN;
        private double initialLrMultiplier = Double.NaN;
        private double finalLrMultiplier = Double.NaN;
        private Boolean whitenBiasOwnDecay;
        private int lookaheadEvery = -1;
        private double lookaheadBase = Double.NaN;
        private int lookaheadStart = -1;
        private int ttaLevel = -1;
        private double ttaSelective = Double.NaN;
        private int evalBatch;
        private ProxyFilterSpec filter;

        private Builder() {}

        public Builder name(String value) {
            name = value;
            return this;
        }

        /** Passes over the training set; fractional values stop mid-pass. */
        public Builder epochs(double value) {
            epochs = value;
            return this;
        }

        /** Maximum random translation in pixels, each direction (reflect-padded by as much). */
        public Builder translate(int pixels) {
            translate = pixels;
            return this;
        }

        /**
         * Whether the translation's shifts run over {@code -translate .. translate - 1} px (hlb's off-by-one: its crop
         * offsets into the padded image are 0 .. 2 translate - 1) instead of {@code -translate .. +translate}.
         */
        public Builder translateOffByOne(boolean value) {
            translateOffByOne = value;
            return this;
        }

        /** Side of the CutMix square in pixels; 0 for no CutMix. */
        public Builder cutmix(int pixels) {
            cutmix = pixels;
            return this;
        }

        /** First epoch (0-based pass over the data) with CutMix. */
        public Builder cutmixFromEpoch(int epoch) {
            cutmixFromEpoch = epoch;
            return this;
        }

        /**
         * Colour jitter, one draw per image per pass after normalization, crop and flip: {@code x = (x + b) c} with
         * {@code b ~ U(-brightness, brightness)} and {@code c ~ U(1 - contrast, 1 + contrast)}; 0 and 0 for none.
         */
        public Builder colourJitter(double brightness, double contrast) {
            this.brightness = brightness;
            this.contrast = contrast;
            return this;
        }

        /** Side of the zeroed square in pixels; 0 for no cutout. */
        public Builder cutout(int pixels) {
            cutout = pixels;
            return this;
        }

        public Builder flip(FlipMode mode) {
            flip = mode;
            return this;
        }

        public Builder network(NetworkSpec value) {
            network = value;
            return this;
        }

        /** How each block's first conv starts near the identity (the rest of the network stays). */
        public Builder firstConvIdentity(IdentityInit init) {
            network = require(network, "network").withFirstConvIdentity(init);
            return this;
        }

        /** The activation of the network's blocks (GELU after the whitening conv stays). */
        public Builder blockActivation(Activation activation) {
            network = require(network, "network").withBlockActivation(activation);
            return this;
        }

        /** The BatchNorm running-statistics memory m of the network: running = m running + (1 - m) batch. */
        public Builder batchNormMemory(double memory) {
            network = require(network, "network").withBatchNormMemory(memory);
            return this;
        }

        /** Block widths of the network (the rest of the network stays). */
        public Builder widths(List<Integer> widths) {
            network = require(network, "network").withWidths(widths);
            return this;
        }

        /** Classes of the dataset: the head's width, and the proxy's if there is one. */
        public Builder numClasses(int classes) {
            network = require(network, "network").withNumClasses(classes);
            if (filter != null) {
                filter = new ProxyFilterSpec(filter.proxy().withNumClasses(classes), filter.keep(),
                        filter.proxyStepEvery());
            }
            return this;
        }

        /** Training images (the first ones) the whitening filters are computed from. */
        public Builder whitenImages(int images) {
            whitenImages = images;
            return this;
        }

        /** Added to the patch covariance's eigenvalues. */
        public Builder whitenEpsilon(double value) {
            whitenEpsilon = value;
            return this;
        }

        /**
         * Whether the whitening decomposes the mean-centred, unbiased (n - 1) covariance of the patches (hlb) instead
         * of their uncentred second moment (airbench).
         */
        public Builder whitenCentred(boolean value) {
            whitenCentred = value;
            return this;
        }

        /** Epochs during which the whitening bias trains before it freezes (0: never, it stays 0). */
        public Builder whitenBiasEpochs(double value) {
            whitenBiasEpochs = value;
            return this;
        }

        public Builder optimizer(TrainingOptimizer value) {
            optimizer = value;
            return this;
        }

        /**
         * Examples per step: the optimizer's (what depends on the batch follows it, see
         * {@link TrainingOptimizer#withBatchSize}) and, with a proxy filter, the same fraction of each batch kept.
         */
        public Builder batchSize(int examples) {
            TrainingOptimizer o = require(optimizer, "optimizer");
            if (filter != null) {
                filter = filter.forBatchSize(o.batchSize(), examples);
            }
            optimizer = o.withBatchSize(examples);
            return this;
        }

        /** Label smoothing of the summed cross-entropy (0: plain cross-entropy). */
        public Builder labelSmoothing(double value) {
            labelSmoothing = value;
            return this;
        }

        /**
         * Multiplier of the summed loss whose gradient the optimizer follows, per summed example (1: the plain sum;
         * hlb's 0.5 = 512 / its batch of 1,024, a value that stays when the batch size changes).
         */
        public Builder lossScale(double value) {
            lossScale = value;
            return this;
        }

        /** Where the lr multiplier peaks and ends: airbench's triangle or PyTorch's OneCycleLR. */
        public Builder lrShape(LrShape value) {
            lrShape = value;
            return this;
        }

        /** Share of the steps over which the lr multiplier rises to 1 (0: it starts at 1). */
        public Builder warmupFraction(double value) {
            warmupFraction = value;
            return this;
        }

        /** The lr multiplier at step 0 of a warmup. */
        public Builder initialLrMultiplier(double value) {
            initialLrMultiplier = value;
            return this;
        }

        /** The lr multiplier at the last step. */
        public Builder finalLrMultiplier(double value) {
            finalLrMultiplier = value;
            return this;
        }

        /** Whether the whitening bias's multiplier falls from 1 to 0 over its own steps (else: the main one). */
        public Builder whitenBiasOwnDecay(boolean value) {
            whitenBiasOwnDecay = value;
            return this;
        }

        /** Lookahead: blend every {@code everySteps} steps, alpha = base * (steps / total)^3. */
        public Builder lookahead(int everySteps, double base) {
            lookaheadEvery = everySteps;
            lookaheadBase = base;
            return this;
        }

        /**
         * Steps after which Lookahead takes its slow copy from the fast weights (a multiple of its period); it blends
         * only after that. 0: the slow copy starts as the initial weights.
         */
        public Builder lookaheadStart(int steps) {
            lookaheadStart = steps;
            return this;
        }

        /** No Lookahead: the last step's weights are the result. */
        public Builder noLookahead() {
            lookaheadEvery = 0;
            lookaheadBase = 0;
            lookaheadStart = 0;
            return this;
        }

        /** Test-time augmentation of the final evaluation: 0, 1 or 2. */
        public Builder ttaLevel(int level) {
            ttaLevel = level;
            return this;
        }

        /**
         * Selective TTA: the share of the test images, the least confident, that get the six-view mean instead of
         * their plain logits (0: none; above 0 with TTA level 0).
         */
        public Builder ttaSelective(double share) {
            ttaSelective = share;
            return this;
        }

        /** Images per evaluation call. */
        public Builder evalBatch(int images) {
            evalBatch = images;
            return this;
        }

        /** Data filtering by a proxy network, or null for none. */
        public Builder filter(ProxyFilterSpec value) {
            filter = value;
            return this;
        }

        /**
         * The recipe.
         *
         * @throws IllegalArgumentException naming a setting that is missing or out of range
         */
        public Recipe build() {
            require(whitenBiasOwnDecay, "whitenBiasOwnDecay");
            require(translateOffByOne, "translateOffByOne");
            require(whitenCentred, "whitenCentred");
            for (Map.Entry<String, Double> e : Map.of("epochs", epochs, "whitenEpsilon", whitenEpsilon,
                    "whitenBiasEpochs", whitenBiasEpochs, "labelSmoothing", labelSmoothing, "lossScale", lossScale,
                    "warmupFraction", warmupFraction, "initialLrMultiplier", initialLrMultiplier,
                    "finalLrMultiplier", finalLrMultiplier, "lookaheadBase", lookaheadBase)
                    .entrySet()) {
                if (Double.isNaN(e.getValue())) {
                    throw new IllegalArgumentException("recipe " + name + ": " + e.getKey() + " is not set");
                }
            }
            if (Double.isNaN(ttaSelective)) {
                throw new IllegalArgumentException("recipe " + name + ": ttaSelective is not set");
            }
            if (Double.isNaN(brightness) || Double.isNaN(contrast)) {
                throw new IllegalArgumentException("recipe " + name + ": colourJitter is not set");
            }
            if (translate < 0 || cutout < 0 || cutmix < 0 || cutmixFromEpoch < 0 || lookaheadEvery < 0
                    || lookaheadStart < 0 || ttaLevel < 0) {
                throw new IllegalArgumentException("recipe " + name + ": translate, cutout, cutmix, cutmixFromEpoch,"
                        + " lookahead, lookaheadStart and ttaLevel must all be set");
            }
            return new Recipe(name, epochs, new AugmentSpec(translate, cutout, require(flip, "flip"), translateOffByOne,
                    cutmix, cutmixFromEpoch, brightness, contrast), require(network, "network"), whitenImages, whitenEpsilon, whitenCentred,
                    whitenBiasEpochs, labelSmoothing, lossScale, require(optimizer, "optimizer"),
                    require(lrShape, "lrShape"), warmupFraction, initialLrMultiplier, finalLrMultiplier,
                    whitenBiasOwnDecay, lookaheadEvery, lookaheadBase, lookaheadStart, ttaLevel, ttaSelective, evalBatch,
                    filter);
        }

        private <T> T require(T value, String setting) {
            if (value == null) {
                throw new IllegalArgumentException("recipe " + name + ": " + setting + " is not set");
            }
            return value;
        }
    }

    /**
     * Refuses, before anything is written, a training set this recipe cannot train on: fewer images than one
     * batch (an epoch drops its incomplete batch, so it would have no step), or labels of another class count than
     * the network's.
     *
     * @throws IllegalArgumentException naming what is wrong and what to do
     */
    public void checkTrainable(CifarDataset train) {
        TrainingLoop.checkTrainable(train, this);
    }

    /** The loss this recipe trains with: with CutMix, on the batches' mixed targets. */
    public LossSpec loss() {
        return new LossSpec(labelSmoothing, lossScale, augment.cutmix() > 0);
    }

    /** The whitening filters this recipe starts from on {@code train} (docs/METHOD.md section 4). */
    public float[] whiteningFilters(CifarDataset train) {
        return TrainingLoop.whiteningFilters(train, this);
    }

    /** Every setting as "name  value" lines, units included, for --list-recipes and the run log. */
    public String describe() {
        List<String> lines = new ArrayList<>(List.of("recipe " + name, "  epochs                 " + epochs));
        int t = augment.translate();
        lines.add("  translate (px)         " + t + (t == 0 ? "" : augment.translateOffByOne()
                ? "  (shifts -" + t + " .. +" + (t - 1) + ", hlb's off-by-one)" : "  (shifts -" + t + " .. +" + t + ")"));
        lines.add("  cutout (px)            " + (augment.cutout() == 0 ? "none" : augment.cutout()));
        lines.add("  flip                   " + augment.flip().name().toLowerCase(Locale.ROOT));
        lines.add("  CutMix (px)            " + (augment.cutmix() == 0 ? "none" : augment.cutmix() + " x "
                + augment.cutmix() + " from epoch " + augment.cutmixFromEpoch() + " (0-based) on, target mixed by area "
                + augment.cutmix() * augment.cutmix() + "/1024"));
        lines.add("  colour jitter          " + (augment.colourJitter() ? "x = (x + b) c per image and pass, b ~ U(-"
                + augment.brightness() + ", " + augment.brightness() + "), c ~ U(1 - " + augment.contrast() + ", 1 + "
                + augment.contrast() + "), after normalization, crop and flip" : "none"));
        lines.add("  widths                 " + network.widths());
        lines.add("  convs per block        " + network.convsPerBlock() + (network.residual() ? ", residual" : ""));
        lines.add("  BatchNorm memory       " + network.batchNormMemory() + ", epsilon " + network.batchNormEpsilon());
        lines.add("  head output            " + (network.head() == HeadScale.NINTH ? "x 1/9"
                : "/ " + network.widths().get(2) + " (its width), weight init std 1"));
        lines.add("  first conv of a block  " + (network.firstConvIdentity() == IdentityInit.REPLACE
                ? "first filters replaced by the identity" : "identity added, then renormalized to its mean and std"));
        lines.add("  block activation       " + (network.blockActivation() == Activation.GELU ? "GELU"
                : "SiLU (GELU after the whitening conv)"));
        lines.add("  parameters             " + network.parameterCount());
        lines.add("  whitening              from the first " + whitenImages + " training images, "
                + (whitenCentred ? "centred covariance" : "second moment") + ", eigenvalue epsilon " + whitenEpsilon);
        lines.add("  whitening-bias epochs  " + whitenBiasEpochs + (whitenBiasEpochs == 0
                ? "  (it never trains: no whitening bias)" : "") + (whitenBiasOwnDecay
                ? "  (its own multiplier, 1 -> 0 over them)" : "")
                + (whitenBiasEpochs >= epochs ? "  (not before the end: it trains for the whole run)" : ""));
        lines.add("  label smoothing        " + labelSmoothing + "  (cross-entropy summed over the batch"
                + (lossScale == 1 ? "" : ", times " + lossScale + " in the gradient") + ")");
        optimizer.describe().forEach(line -> lines.add("  " + line));
        lines.add("  lr schedule            " + (warmupFraction == 0 ? "1" : initialLrMultiplier + " -> 1 over "
                + warmupFraction + " of the steps, then") + " -> " + finalLrMultiplier + " linearly"
                + (lrShape == LrShape.ONE_CYCLE ? "  (PyTorch's OneCycleLR: peak at " + warmupFraction
                + " x steps - 1, the final value at the last step)" : ""));
        lines.add("  lookahead              " + (lookaheadEvery == 0 ? "none"
                : "every " + lookaheadEvery + " steps, base " + String.format(Locale.ROOT, "%.6g", lookaheadBase)
                + (lookaheadStart == 0 ? "" : ", slow copy taken after step " + lookaheadStart)));
        lines.add("  TTA level              " + ttaLevel + ", " + evalBatch + " images per evaluation call");
        lines.add("  selective TTA          " + (ttaSelective == 0 ? "none" : "the least confident "
                + ttaSelective + " of the test images get the mean of six views (1/6 each), the rest level 0"));
        if (filter != null) {
            filter.describe(optimizer.batchSize()).forEach(line -> lines.add("  " + line));
            lines.add("  batches                straddle epoch boundaries (nothing dropped; fresh augmentation and"
                    + " order every pass)");
        }
        return String.join(System.lineSeparator(), lines);
    }
}
