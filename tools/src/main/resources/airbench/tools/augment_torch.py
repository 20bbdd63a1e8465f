"""The PyTorch side of the augmentation check of this project's parity harness
(airbench.tools.AugmentationCheck runs this file).

Applies the training augmentation of docs/METHOD.md section 2, written here from the method
with PyTorch's generators, to the images the Java side wrote (uint8 NHWC), for a number of epochs, and
writes the augmented batches (float32 NHWC, in batch order) and their labels. The Java side decodes
these batches and its own with one decoder and compares the distributions: the random draws cannot
be compared one to one, their statistics can.

Per run: normalize; pre-flip each image with probability 1/2 (alternating flip); reflect-pad by
`translate`. Per epoch: a translation per image uniform in [-translate, translate]^2; on odd epochs
mirror every image (alternating) or mirror each with probability 1/2 (random); cutout: zero a size x
size square, top-left corner uniform so that it lies inside the image; a fresh permutation, batches
with the last incomplete one dropped.

Exit codes: 0 done, 3 PyTorch (or numpy) is not installed.
"""
import argparse
import json
import os
import sys

from torch_check import NOT_INSTALLED, torch_installed


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--folder", required=True)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args()


def main():
    args = parse()
    if not torch_installed():
        return NOT_INSTALLED
    import numpy as np
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.folder, "augment-case.json")) as f:
        case = json.load(f)
    n, batch, epochs = case["images"], case["batch_size"], case["epochs"]
    translate, cutout, flip = case["translate"], case["cutout"], case["flip"]
    torch.manual_seed(case["seed"])
    raw = np.fromfile(os.path.join(args.folder, "source.u8"), dtype=np.uint8).reshape(n, 32, 32, 3)
    labels = torch.from_numpy(np.fromfile(os.path.join(args.folder, "source-labels.i32"), dtype="<i4").astype(np.int64))
    mean = torch.tensor(case["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(case["std"]).view(1, 3, 1, 1)
    images = (torch.from_numpy(raw).permute(0, 3, 1, 2).float() / 255 - mean) / std

    if flip == "alternating":
        pre = torch.rand(n) < 0.5
        images = torch.where(pre.view(-1, 1, 1, 1), images.flip(-1), images)
    padded = F.pad(images, (translate,) * 4, mode="reflect") if translate > 0 else images

    out_images = open(os.path.join(args.folder, "torch-batches.f32"), "wb")
    out_labels = open(os.path.join(args.folder, "torch-labels.i32"), "wb")
    steps = n // batch
    for epoch in range(epochs):
        if translate > 0:
            shifts = torch.randint(-translate, translate + 1, (n, 2))
            rows = (translate + shifts[:, 0]).view(-1, 1) + torch.arange(32).view(1, -1)   # [n, 32]
            cols = (translate + shifts[:, 1]).view(-1, 1) + torch.arange(32).view(1, -1)
            idx = torch.arange(n).view(-1, 1, 1)
            epoch_images = padded.permute(0, 2, 3, 1)[idx, rows.view(n, 32, 1), cols.view(n, 1, 32)]  # NHWC
            epoch_images = epoch_images.permute(0, 3, 1, 2)
        else:
            epoch_images = padded.clone()
        if flip == "alternating" and epoch % 2 == 1:
            epoch_images = epoch_images.flip(-1)
        elif flip == "random":
            mask = torch.rand(n) < 0.5
            epoch_images = torch.where(mask.view(-1, 1, 1, 1), epoch_images.flip(-1), epoch_images)
        if cutout > 0:
            top = torch.randint(0, 32 - cutout + 1, (n,)).view(-1, 1, 1, 1)
            left = torch.randint(0, 32 - cutout + 1, (n,)).view(-1, 1, 1, 1)
            y = torch.arange(32).view(1, 1, 32, 1)
            x = torch.arange(32).view(1, 1, 1, 32)
            square = (y >= top) & (y < top + cutout) & (x >= left) & (x < left + cutout)
            epoch_images = epoch_images.masked_fill(square, 0.0)
        order = torch.randperm(n)
        for s in range(steps):
            take = order[s * batch:(s + 1) * batch]
            epoch_images[take].permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(out_images)
            labels[take].numpy().astype("<i4").tofile(out_labels)
        print(f"torch augmentation: epoch {epoch} written", file=sys.stderr, flush=True)
    out_images.close()
    out_labels.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
