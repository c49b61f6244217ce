#!/usr/bin/env python3
"""Write a synthetic JAR of about SIZE_MB megabytes with N entries.

usage: make-jar.py OUT SIZE_MB N
Entries are half random, half repetitive, so they deflate about as much
as class files do; the content is seeded, so runs compare like with like.
"""
import random
import sys
import zipfile


def main():
    out, size_mb, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(42)
    per = int(size_mb * 1024 * 1024 / n * 1.6)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/MANIFEST.MF",
                   "Manifest-Version: 1.0\r\nPremain-Class: bench.Agent\r\n\r\n")
        for i in range(n):
            half = per // 2
            data = rng.randbytes(half) + (b"bench-%d " % i) * (half // 10)
            z.writestr("bench/p%03d/C%05d.class" % (i % 100, i), data)


if __name__ == "__main__":
    main()
