#!/usr/bin/env python3
"""PyTorch peer of `mpsl bench train --model vgg11`: VGG-11 without batch norm on 3x32x32, batch 64, SGD.

Same layer layout as mpsl's vgg11 (CIFAR head): 3x3 convolutions with padding 1 and ReLU,
64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M (M = 2x2 max pool), flatten, Linear(512, 10).
Prints one JSON line: {"samples_per_s": ..., "torch_version": ..., "threads": ..., ...}.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn

CONFIG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def vgg11(classes=10, in_channels=3):
    layers = []
    c = in_channels
    for v in CONFIG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, classes))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = vgg11()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    xs = torch.randn(4, a.batch, 3, 32, 32)
    ys = torch.randint(0, 10, (4, a.batch))

    def step(i):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(xs[i % 4]), ys[i % 4])
        loss.backward()
        opt.step()

    for i in range(a.warmup):
        step(i)
    steps = 0
    start = time.perf_counter()
    now = start
    while steps < a.steps or now - start < a.seconds:
        step(steps)
        steps += 1
        now = time.perf_counter()
    seconds = now - start
    print(json.dumps({
        "samples_per_s": steps * a.batch / seconds,
        "steps": steps,
        "seconds": seconds,
        "threads": torch.get_num_threads(),
        "batch": a.batch,
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
