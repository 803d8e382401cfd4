#!/usr/bin/env python3
"""Reference point for `./rll bench models`: the same small CNN (SmallCnn.forEmoji32: three stages of
3x3 conv (no bias) -> batch norm -> ReLU, 2x2 max pooling after the first two; widths 32/64/128) with
the benchmark's softmax head (global average pool -> BN -> dense 512 -> dense 100, cross-entropy),
trained with SGD + momentum at batch 60 on 32x32x3 inputs, timed in PyTorch on the same machine.

Optional; not part of the build. Needs Debian's python3-torch (apt-get install -y python3-torch).
Usage: /usr/bin/python3 rll-bench/reference/small_cnn_torch.py [threads ...]   (default: 1 2)
Prints ms per step and images/s for each thread count.
"""
import sys
import time

import torch
import torch.nn as nn


def stage(i, o, pool):
    layers = [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return layers


def measure(threads, warmup=20, steps=100):
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    net = nn.Sequential(*stage(3, 32, True), *stage(32, 64, True), *stage(64, 128, False),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.BatchNorm1d(128), nn.Linear(128, 512),
                        nn.Linear(512, 100))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    x = torch.rand(60, 3, 32, 32)
    y = torch.arange(60) // 3
    loss = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss(net(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t) / steps
    print(f"torch {torch.__version__}, {threads} thread(s): {dt * 1000:.1f} ms/step, {60 / dt:.0f} images/s "
          f"(small CNN 32x32, batch 60, softmax head)")


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1, 2]:
        measure(n)
