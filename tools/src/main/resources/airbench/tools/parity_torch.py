"""The PyTorch side of this project's parity harness (airbench.tools.Parity runs this file).

The Java side wrote, into one folder, a case (case.json): the hyperparameters, the initial weights of
the network (init/), the exact training batches of k steps after augmentation (batches.f32,
labels.i32) and some normalized test images (test.f32). This script builds the same network in
PyTorch, written from docs/METHOD.md (sections 3-7), not from the Java code: loads those
weights, trains on those batches with Nesterov SGD in two parameter groups, the triangular schedule
and Lookahead, all computed here from the hyperparameters alone, and writes into torch/ what the Java
side wrote into java/: per-step losses and the schedule values it used, the weights after the first
and after the last step, and the eval-mode logits of the test images at TTA levels 0, 1 and 2.

Tensors are raw little-endian float32 files in the Java (TensorFlow) layouts: NHWC images, HWIO
kernels, (in, classes) head. float32 throughout, on the CPU.

Exit codes: 0 done, 3 PyTorch (or numpy) is not installed, 2 bad case.
"""
import argparse
import json
import math
import os
import sys

from torch_check import NOT_INSTALLED, torch_installed


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True, help="folder written by the Java side")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--layout", choices=["channels_last", "contiguous"], default="channels_last",
                   help="memory layout; a second run in the other layout measures PyTorch's own round-off")
    p.add_argument("--side", default=None, help="subfolder for the outputs [torch, or torch-replay with --replay]")
    p.add_argument("--replay", action="store_true",
                   help="before every step, load the Java side's whole state after the previous step (weights,"
                        " running statistics, momentum buffers, Lookahead copies) from java/state-NNN, so that each"
                        " step is compared from identical states; writes SIDE/state-NNN after every step")
    return p.parse_args()


def main():
    args = parse()
    if not torch_installed():
        return NOT_INSTALLED
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F

    if args.side is None:
        args.side = "torch-replay" if args.replay else "torch"
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # nothing random should be drawn; fixed anyway
    folder = args.case
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    net_h, opt_h, sch_h = case["network"], case["optimizer"], case["schedule"]
    shapes = {name: tuple(shape) for name, shape in case["tensors"].items()}

    def load(sub, name, shape_of=None):
        path = os.path.join(folder, sub, name.replace("/", ".") + ".f32")
        return np.fromfile(path, dtype="<f4").reshape(shapes[shape_of or name])

    def save(sub, name, array):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        np.ascontiguousarray(array, dtype="<f4").tofile(os.path.join(folder, sub, name.replace("/", ".") + ".f32"))

    # --- the network, docs/METHOD.md section 3 -----------------------------------------------------------
    w1, w2, w3 = net_h["widths"]
    convs = net_h["convs_per_block"]
    residual = net_h["residual"]
    memory = net_h["batch_norm_memory"]
    classes = net_h["num_classes"]

    class Norm(nn.BatchNorm2d):
        """No scale (fixed 1), learnable shift, eps 1e-12; running = m running + (1 - m) batch."""

        def __init__(self, width):
            super().__init__(width, eps=net_h["batch_norm_epsilon"], momentum=1 - memory)
            self.weight.requires_grad = False

    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.convs = nn.ModuleList([nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False)
                                        for i in range(convs)])
            self.norms = nn.ModuleList([Norm(cout) for _ in range(convs)])

        def forward(self, x):
            x = F.gelu(self.norms[0](F.max_pool2d(self.convs[0](x), 2)))
            x0 = x
            x = self.norms[1](self.convs[1](x))
            if convs == 2:
                return F.gelu(x)
            x = self.norms[2](self.convs[2](F.gelu(x)))
            if residual:
                x = x + x0
            return F.gelu(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.whiten = nn.Conv2d(3, 24, 2, padding=0, bias=True)
            self.blocks = nn.ModuleList([Block(24, w1), Block(w1, w2), Block(w2, w3)])
            self.head = nn.Linear(w3, classes, bias=False)

        def forward(self, x):
            x = F.gelu(self.whiten(x))
            for b in self.blocks:
                x = b(x)
            x = F.max_pool2d(x, 3).flatten(1)
            return self.head(x) * net_h["head_scale"]

    net = Net()
    net.whiten.weight.requires_grad = False
    # channels-last is PyTorch's faster layout on these CPUs (bench: about 1.5x); the values are float32 either
    # way, but the two layouts sum in other orders: their difference is PyTorch's own round-off.
    layout = torch.channels_last if args.layout == "channels_last" else torch.contiguous_format
    net = net.to(memory_format=layout)

    # Names of the Java variables and where each lives here (HWIO <-> OIHW, (in, out) <-> (out, in)).
    def tensors():
        yield "whiten/kernel", net.whiten.weight, "kernel"
        yield "whiten/bias", net.whiten.bias, "plain"
        for b, block in enumerate(net.blocks):
            for c in range(convs):
                yield f"block{b + 1}/conv{c + 1}/kernel", block.convs[c].weight, "kernel"
                p = f"block{b + 1}/norm{c + 1}/"
                yield p + "shift", block.norms[c].bias, "plain"
                yield p + "mean", block.norms[c].running_mean, "plain"
                yield p + "variance", block.norms[c].running_var, "plain"
        yield "head/kernel", net.head.weight, "head"

    def to_torch(array, kind):
        if kind == "kernel":
            array = array.transpose(3, 2, 0, 1)
        elif kind == "head":
            array = array.T
        return torch.from_numpy(np.ascontiguousarray(array))

    def to_java(tensor, kind):
        array = tensor.detach().numpy()
        if kind == "kernel":
            array = array.transpose(2, 3, 1, 0)
        elif kind == "head":
            array = array.T
        return array

    with torch.no_grad():
        for name, tensor, kind in tensors():
            tensor.copy_(to_torch(load("init", name), kind))

    def save_state(sub):
        for name, tensor, kind in tensors():
            save(sub, name, to_java(tensor, kind))

    # --- optimizer, docs/METHOD.md section 5 ---------------------------------------------------------------
    batch = opt_h["batch_size"]
    momentum = opt_h["momentum"]
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr = opt_h["lr_per1024"] / kilostep
    wd = opt_h["wd_per1024"] * batch / kilostep
    lr_bias = lr * opt_h["bias_lr_scale"]
    shifts = [n.bias for b in net.blocks for n in b.norms]
    others = [net.whiten.bias] + [c.weight for b in net.blocks for c in b.convs] + [net.head.weight]
    groups = [dict(params=others, lr=lr, weight_decay=wd / lr, base=lr),
              dict(params=shifts, lr=lr_bias, weight_decay=wd / lr_bias, base=lr_bias)]
    optimizer = torch.optim.SGD(groups, momentum=momentum, nesterov=True)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=opt_h["label_smoothing"], reduction="sum")

    total = sch_h["total_steps"]
    warmup = int(math.floor(sch_h["warmup_fraction"] * total))
    final = sch_h["final_lr_multiplier"]
    whiten_steps = int(math.ceil(sch_h["whiten_bias_epochs"] * sch_h["steps_per_epoch"]))

    def multiplier(step):
        # numpy.interp over (0, 0.2), (warmup, 1), (total, final)
        return float(np.interp(step, [0, warmup, total], [0.2, 1.0, final]))

    def alpha(done):
        return 0.95 ** 5 * (done / total) ** 3

    # Lookahead: a slow copy of every float state of the network (weights and running statistics).
    float_state = [t for _, t, _ in tensors()]
    slow = [t.detach().clone() for t in float_state]

    def lookahead(a):
        with torch.no_grad():
            for s, t in zip(slow, float_state):
                s.mul_(a).add_(t, alpha=1 - a)
                t.copy_(s)

    # --replay: the whole training state by the Java side's variable names (momentum/NAME, lookahead/NAME).
    trained = {id(p) for g in groups for p in g["params"]}
    named = list(tensors())

    def has_slow_copy(name):
        return os.path.exists(os.path.join(folder, "java", "state-000", "lookahead." + name.replace("/", ".") + ".f32"))

    def load_java_state(index):
        sub = f"java/state-{index:03d}"
        with torch.no_grad():
            for j, (name, tensor, kind) in enumerate(named):
                tensor.copy_(to_torch(load(sub, name), kind))
                if has_slow_copy(name):
                    slow[j].copy_(to_torch(load(sub, "lookahead/" + name, name), kind))
                else:  # the frozen whitening filters: the Java side keeps no copy of a constant
                    slow[j].copy_(tensor)
                if id(tensor) in trained:
                    buffer = to_torch(load(sub, "momentum/" + name, name), kind).contiguous(
                        memory_format=layout if tensor.dim() == 4 else torch.contiguous_format)
                    optimizer.state[tensor]["momentum_buffer"] = buffer

    def save_whole_state(index):
        sub = f"{args.side}/state-{index:03d}"
        for j, (name, tensor, kind) in enumerate(named):
            save(sub, name, to_java(tensor, kind))
            if has_slow_copy(name):
                save(sub, "lookahead/" + name, to_java(slow[j], kind))
            if id(tensor) in trained:
                save(sub, "momentum/" + name, to_java(optimizer.state[tensor]["momentum_buffer"], kind))

    # --- training on the Java side's batches ----------------------------------------------------------
    first, steps = case["first_step"], case["steps"]
    images = np.fromfile(os.path.join(folder, "batches.f32"), dtype="<f4").reshape(steps, batch, 32, 32, 3)
    labels = np.fromfile(os.path.join(folder, "labels.i32"), dtype="<i4").reshape(steps, batch)
    log = []
    for i in range(steps):
        step = first + i
        if args.replay:
            load_java_state(i)
        s = multiplier(step)
        for g in optimizer.param_groups:
            g["lr"] = g["base"] * s
        net.whiten.bias.requires_grad = step < whiten_steps
        net.train()
        x = torch.from_numpy(images[i]).permute(0, 3, 1, 2).contiguous(memory_format=layout)
        y = torch.from_numpy(labels[i].astype(np.int64))
        out = net(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done = step + 1
        a = alpha(done) if done % 5 == 0 else None
        if a is not None:
            lookahead(a)
        if done == total:
            lookahead(1.0)
        correct = int((out.argmax(1) == y).sum())
        log.append({"step": step, "loss_sum": float(loss), "correct": correct, "lr_multiplier": s,
                    "trains_whiten_bias": step < whiten_steps, "lookahead_alpha": a})
        print(f"{args.side} step {step}: loss {float(loss) / batch:.6f}", file=sys.stderr, flush=True)
        if args.replay:
            save_whole_state(i + 1)
        if i == 0:
            save_state(args.side + "/after-first-step")
    save_state(args.side + "/final")
    if args.replay:
        with open(os.path.join(folder, args.side, "steps.json"), "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "layout": args.layout,
                       "replay": True, "steps": log}, f, indent=1)
        return 0

    # --- evaluation, docs/METHOD.md section 7 --------------------------------------------------------------
    n = case["test_images"]
    test = np.fromfile(os.path.join(folder, "test.f32"), dtype="<f4").reshape(n, 32, 32, 3)
    x = torch.from_numpy(test).permute(0, 3, 1, 2).contiguous(memory_format=layout)
    net.eval()
    with torch.no_grad():
        def mirror_pair(v):
            return 0.5 * net(v) + 0.5 * net(v.flip(-1))
        level0 = net(x)
        level1 = mirror_pair(x)
        padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
        shifted = 0.5 * mirror_pair(padded[:, :, 0:32, 0:32]) + 0.5 * mirror_pair(padded[:, :, 2:34, 2:34])
        level2 = 0.5 * level1 + 0.5 * shifted
    os.makedirs(os.path.join(folder, args.side), exist_ok=True)
    for level, logits in enumerate((level0, level1, level2)):
        logits.numpy().astype("<f4").tofile(os.path.join(folder, args.side, f"logits-level{level}.f32"))
    with open(os.path.join(folder, args.side, "steps.json"), "w") as f:
        json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "layout": args.layout,
                   "steps": log}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
