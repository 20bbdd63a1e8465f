package airbench.model;

import java.util.List;

/**
 * Data filtering by a proxy network (docs/METHOD.md section 11, recipe 96faster): a small network,
 * trained alongside the main one on the same batches, ranks the examples of every batch by its
 * own loss, and the main network trains on the {@code keep} hardest of them alone.
 *
 * <p>What is not a field here is fixed by the method: the proxy trains with the main network's
 * optimizer settings and schedule (the same {@link TrainingOptimizer} and multiplier of each
 * step) but without Lookahead; its whitening filters are computed from the same images as the main
 * network's; its whitening bias never trains; its forward pass runs on every batch in training
 * mode, so its BatchNorm running statistics move every step.
 *
 * @param proxy          the proxy's network (96faster: widths 32/64/64, two convs per block, no
 *                       residual, BatchNorm memory 0.9, the 1/9 head)
 * @param keep           examples of each batch the main network trains on: those with the highest
 *                       proxy loss (96faster: 512 of 1,024)
 * @param proxyStepEvery the proxy takes an optimizer step, on the summed loss of the kept examples,
 *                       only at steps divisible by this (96faster: 4, steps 0, 4, 8, ...)
 */
public record ProxyFilterSpec(NetworkSpec proxy, int keep, int proxyStepEvery) {

    /** The proxy of 96faster: airbench94's structure at widths 32/64/64, with airbench96's BatchNorm memory 0.9. */
    public static final NetworkSpec PROXY96 = new NetworkSpec(List.of(32, 64, 64), 2, false, 0.9, 10);
    /** 96faster: the proxy keeps the 512 highest-loss examples of each batch of 1,024 and steps every fourth batch. */
    public static final ProxyFilterSpec AIRBENCH96_FASTER = new ProxyFilterSpec(PROXY96, 512, 4);

    public ProxyFilterSpec {
        java.util.Objects.requireNonNull(proxy, "proxy");
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1 example, got " + keep);
        }
        if (proxyStepEvery < 1) {
            throw new IllegalArgumentException("proxyStepEvery must be at least 1, got " + proxyStepEvery);
        }
    }

    /** Whether the proxy takes an optimizer step at {@code step} (0-based). */
    public boolean proxySteps(int step) {
        return step % proxyStepEvery == 0;
    }

    /**
     * The same filter for batches of {@code newBatch} instead of {@code oldBatch} examples: it keeps
     * the same fraction of each batch (rounded, at least one example).
     */
    public ProxyFilterSpec forBatchSize(int oldBatch, int newBatch) {
        int newKeep = (int) Math.max(1, Math.round((double) keep * newBatch / oldBatch));
        return new ProxyFilterSpec(proxy, newKeep, proxyStepEvery);
    }

    /** "name  value" lines, for {@code --list-recipes} and the run log. */
    public List<String> describe(int batchSize) {
        return List.of(
                "data filter            the main network trains on the " + keep + " of each batch of " + batchSize
                        + " with the highest proxy loss",
                "proxy widths           " + proxy.widths(),
                "proxy convs per block  " + proxy.convsPerBlock() + (proxy.residual() ? ", residual" : ""),
                "proxy BatchNorm memory " + proxy.batchNormMemory(),
                "proxy optimizer step   every " + proxyStepEvery + " steps (forward every step); main's optimizer"
                        + " and schedule, no Lookahead, whitening bias never trains",
                "proxy parameters       " + proxy.parameterCount());
    }
}
