"""The airbench training step and forward pass in PyTorch on the CPU, timed: the comparison column of
this project's `bench` command (airbench.tools.Bench runs this file with python3 and reads its JSON).

Written from docs/METHOD.md sections 3 and 5, not copied from the reference script:
whitening conv 2x2 (3 -> 24, with bias), GELU, three blocks of conv3x3 -> max-pool 2 -> BatchNorm ->
GELU -> conv3x3 -> BatchNorm -> GELU, max-pool 3, linear without bias times 1/9; label-smoothed
(0.2) cross-entropy summed over the batch; Nesterov SGD (momentum 0.85) with two parameter groups
(BatchNorm shifts at 64x the rate). The given number of threads, synthetic normal(0, 1) images. The
weights' values do not change the work of a step, so they are PyTorch's defaults.

Every layout (contiguous, channels_last) runs in every precision asked for: fp32, and bf16 as
`torch.autocast("cpu", dtype=torch.bfloat16)` around the forward pass and the loss (PyTorch's fastest
CPU configuration where the CPU has native bf16; the weights, gradients and optimizer stay float32, as
autocast intends). The Java side asks for bf16 only where the CPU has avx512_bf16 or amx_bf16.

Exit codes: 0 measured, 3 PyTorch is not installed (the JSON says so), 2 bad arguments.
"""
import argparse
import contextlib
import json
import statistics
import sys
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--widths", default="64,256,256")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--layouts", default="contiguous,channels_last")
    p.add_argument("--precisions", default="fp32")
    p.add_argument("--json", required=True)
    return p.parse_args()


def write(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=2)


def main():
    args = parse()
    try:
        import torch
        from torch import nn
    except ImportError as e:
        write(args.json, {"installed": False, "reason": str(e)})
        return 3

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    torch.manual_seed(1)
    w1, w2, w3 = (int(w) for w in args.widths.split(","))

    class Norm(nn.BatchNorm2d):
        """BatchNorm with a fixed scale of 1 and a learnable shift, running-stat memory 0.6, eps 1e-12."""

        def __init__(self, width):
            super().__init__(width, eps=1e-12, momentum=0.4)
            self.weight.requires_grad = False

    def block(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding="same", bias=False), nn.MaxPool2d(2), Norm(cout), nn.GELU(),
            nn.Conv2d(cout, cout, 3, padding="same", bias=False), Norm(cout), nn.GELU())

    class Mul(nn.Module):
        def forward(self, x):
            return x * (1 / 9)

    def network():
        return nn.Sequential(
            nn.Conv2d(3, 24, 2, padding=0, bias=True), nn.GELU(),
            block(24, w1), block(w1, w2), block(w2, w3),
            nn.MaxPool2d(3), nn.Flatten(), nn.Linear(w3, 10, bias=False), Mul())

    batch = args.batch_size
    momentum, lr_h, wd_h = 0.85, 11.5, 0.0153
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr, wd = lr_h / kilostep, wd_h * batch / kilostep
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum")

    results = []
    configurations = [(layout, precision) for layout in args.layouts.split(",")
                      for precision in args.precisions.split(",")]
    for layout, precision in configurations:
        if precision not in ("fp32", "bf16"):
            print(f"unknown precision {precision!r}; valid: fp32, bf16", file=sys.stderr)
            return 2
        # bf16: autocast runs convolutions, the linear layer and the matrix products in bfloat16 and keeps
        # BatchNorm and the loss in float32 (PyTorch's own lists); fp32: a context that changes nothing.
        autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision == "bf16" \
            else contextlib.nullcontext
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = network().to(memory_format=fmt)
        model[0].weight.requires_grad = False  # the whitening filters are frozen (docs/METHOD.md section 4)
        norm_shifts = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim == 1
                       and "bias" in n and not n.startswith("0.")]
        others = [p for n, p in model.named_parameters() if p.requires_grad and all(p is not q for q in norm_shifts)]
        optimizer = torch.optim.SGD([
            dict(params=others, lr=lr, weight_decay=wd / lr),
            dict(params=norm_shifts, lr=lr * 64, weight_decay=wd / (lr * 64))],
            momentum=momentum, nesterov=True)
        images = torch.randn(batch, 3, 32, 32).contiguous(memory_format=fmt)
        labels = torch.randint(0, 10, (batch,))

        def train_step():
            model.train()
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()

        def forward():
            model.eval()
            with torch.no_grad(), autocast():
                model(images)

        timed = {"train step": train_step, "forward": forward}
        samples = {name: [] for name in timed}
        first = {}
        for name, call in timed.items():
            start = time.perf_counter()
            call()
            first[name] = (time.perf_counter() - start) * 1000
        for phase, count in (("warmup", args.warmup), ("timed", args.repetitions)):
            for _ in range(count):
                for name, call in timed.items():  # round-robin, as the Java side does
                    start = time.perf_counter()
                    call()
                    millis = (time.perf_counter() - start) * 1000
                    if phase == "timed":
                        samples[name].append(millis)
        for name in timed:
            results.append({"layout": layout, "precision": precision, "pass": name, "first_call_ms": first[name],
                            "samples_ms": samples[name], "median_ms": statistics.median(samples[name])})
        print(f"pytorch {layout} {precision}: " + ", ".join(
            f"{name} {statistics.median(samples[name]):.0f} ms" for name in timed), file=sys.stderr, flush=True)

    write(args.json, {
        "installed": True,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "config": torch.__config__.show(),
        "measurements": results,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
