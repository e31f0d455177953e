#!/usr/bin/env python3
"""tiny_idx.py DIR [N [SIZE]] - a tiny Fashion-MNIST-shaped IDX directory for the MLP and ViT
tests: N training images (default 200) and 50 test images of SIZExSIZE bytes (default 28),
gzipped, with labels 0-9.
Each class is a band of bright rows at its own height plus noise, so a model can learn it.
Deterministic: the same bytes on every machine."""
import gzip
import os
import struct
import sys


def write(d, name, n, seed, size=28):
    r = seed
    imgs, labs = bytearray(), bytearray()
    for i in range(n):
        c = i % 10
        labs.append(c)
        for p in range(size * size):
            r = (r * 1103515245 + 12345) & 0x7FFFFFFF
            v = (r >> 16) % 64 + (160 if (p // size + 3 * c) % 10 < 3 else 0)
            imgs.append(min(v, 255))
    # mtime=0: the same gzip bytes every time
    with open(os.path.join(d, name + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(gzip.compress(struct.pack(">IIII", 0x803, n, size, size) + bytes(imgs), mtime=0))
    with open(os.path.join(d, name + "-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(gzip.compress(struct.pack(">II", 0x801, n) + bytes(labs), mtime=0))


def main():
    d = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.makedirs(d, exist_ok=True)
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 28
    write(d, "train", n, 1, size)
    write(d, "t10k", 50, 2, size)


if __name__ == "__main__":
    main()
