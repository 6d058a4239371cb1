#!/usr/bin/python3
"""Checks every performance target of the issue on one seattn_bench JSON output and prints
PASS / FAIL per comparison and per target; exits 1 when any target fails.

Beside each comparison it prints the bound the same run puts on it: how much faster than
the other implementation a block as fast as a copy of its tensor would be, and how much a
copy itself gains from the second thread. A target above its bound is out of reach for any
implementation that reads x and writes y once on this machine. SE's rows also show the same
for `read_copy` (a sum over each sample, then a copy of it): SE must read a whole sample
before it can write any of it.

usage: check_targets.py results.json
"""

import sys

from results import BLOCKS, LAYOUTS, SHAPES, THREADS, load, pixels


def main(path):
    times, _ = load(path)
    verdicts = {}

    def check(target, label, ok, detail):
        verdicts.setdefault(target, []).append(ok)
        print(f"{'PASS' if ok else 'FAIL'}  {target:34s} {label:36s} {detail}")

    def ratio(a, b):
        return times[a] / times[b] if a in times and b in times else None

    for shape in SHAPES:
        for layout in LAYOUTS:
            for t in THREADS:
                label = f"{layout}:{shape}:t{t}"
                copy = ("copy", "copy", layout, shape, t)
                read_copy = ("copy", "read_copy", layout, shape, t)
                if pixels(shape) >= 28 * 28:
                    for block, limit in (("se", 1.25), ("cbam", 2.0)):
                        r = ratio(("seattn", block, layout, shape, t), copy)
                        if r is not None:
                            bound = ratio(read_copy, copy) if block == "se" else None
                            detail = f"{r:.2f}x copy" + (f" (read_copy: {bound:.2f}x)" if bound else "")
                            check(f"{block} <= {limit}x copy", label, r <= limit, detail)
                for block in BLOCKS:
                    ours = ("seattn", block, layout, shape, t)
                    for impl, factor in (("naive_eigen", 5.0), ("libtorch", 2.0)):
                        r = ratio((impl, block, layout, shape, t), ours)
                        if r is not None:
                            bounds = [("copy", ratio((impl, block, layout, shape, t), copy))]
                            if block == "se":
                                bounds.append(("read_copy", ratio((impl, block, layout, shape, t), read_copy)))
                            shown = ", ".join(f"{name}: {b:.1f}x" for name, b in bounds if b)
                            detail = f"{r:.1f}x faster" + (f" ({shown})" if shown else "")
                            check(f"{block} >= {factor:g}x faster than {impl}", label, r >= factor, detail)
    for layout in LAYOUTS:
        bound = ratio(("copy", "copy", layout, "8x256x56x56", 1), ("copy", "copy", layout, "8x256x56x56", 2))
        for block in BLOCKS:
            r = ratio(("seattn", block, layout, "8x256x56x56", 1), ("seattn", block, layout, "8x256x56x56", 2))
            if r is not None:
                detail = f"{r:.2f}x" + (f" (copy: {bound:.2f}x)" if bound else "")
                check("2 threads >= 1.6x 1 thread", f"{block}:{layout}:8x256x56x56", r >= 1.6, detail)

    if not any(k.endswith("libtorch") for k in verdicts):
        print("SKIP  libtorch targets: no libtorch results in this run")
    print()
    failed = 0
    for target, oks in verdicts.items():
        passed = sum(oks)
        failed += passed < len(oks)
        print(f"{'PASS' if passed == len(oks) else 'FAIL'}  {target}: {passed}/{len(oks)}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
