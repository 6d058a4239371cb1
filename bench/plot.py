#!/usr/bin/python3
"""Turns one seattn_bench JSON output into a PNG (time per shape with the implementations
side by side, and each one's ratio to copy, per block and thread count; SE's panels also
show read_copy) and prints a markdown table of the ratios.

usage: plot.py results.json results.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from results import BLOCKS, IMPLS, LAYOUTS, SHAPES, THREADS, load  # noqa: E402

COLOURS = {"copy": "0.6", "read_copy": "0.35", "seattn": "tab:green", "naive_eigen": "tab:orange", "libtorch": "tab:blue"}


def plot(times, context, out):
    groups = [(shape, layout) for shape in SHAPES for layout in LAYOUTS]
    impls = [i for i in IMPLS if any(k[0] == i for k in times)]
    has_read_copy = any(k[:2] == ("copy", "read_copy") for k in times)
    fig, axes = plt.subplots(2 * len(THREADS), len(BLOCKS), figsize=(7 * len(BLOCKS), 4.2 * 2 * len(THREADS)),
                             squeeze=False)
    xs = range(len(groups))
    for row_pair, t in enumerate(THREADS):
        for col, block in enumerate(BLOCKS):
            ax_time, ax_ratio = axes[2 * row_pair][col], axes[2 * row_pair + 1][col]
            # (label, impl, block name): SE's panels also show read_copy, the data flow SE cannot avoid.
            series = [("copy", "copy", "copy")]
            if block == "se" and has_read_copy:
                series.append(("read_copy", "copy", "read_copy"))
            series += [(impl, impl, block) for impl in impls]
            width = 0.8 / len(series)
            for i, (label, impl, name) in enumerate(series):
                vals = [times.get((impl, name, layout, shape, t)) for shape, layout in groups]
                copies = [times.get(("copy", "copy", layout, shape, t)) for shape, layout in groups]
                pos = [x + (i - (len(series) - 1) / 2) * width for x in xs]
                ax_time.bar(pos, [v or 0 for v in vals], width, label=label, color=COLOURS[label])
                ax_ratio.bar(pos, [v / c if v and c else 0 for v, c in zip(vals, copies)], width, label=label,
                             color=COLOURS[label])
            for ax in (ax_time, ax_ratio):
                ax.set_yscale("log")
                ax.set_xticks(list(xs))
                ax.set_xticklabels([f"{s}\n{l}" for s, l in groups], rotation=90, fontsize=7)
                ax.grid(axis="y", which="both", alpha=0.3)
            ax_time.set_title(f"{block}, {t} thread{'s' if t > 1 else ''}: time per forward")
            ax_time.set_ylabel("microseconds")
            ax_ratio.set_title(f"{block}, {t} thread{'s' if t > 1 else ''}: time / copy time")
            ax_ratio.set_ylabel("x copy")
            ax_ratio.axhline(1.0, color="k", lw=0.8)
            ax_time.legend(fontsize=8)
    cpu = f"{context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz"
    fig.suptitle(f"seattn_bench, float, {cpu}, {context.get('date', '')}")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(out, dpi=80)


def table(times):
    """Markdown: per shape, layout and thread count, read_copy's and seattn's times over
    copy's and the other implementations' times over seattn's (how many times faster seattn
    is)."""
    has_torch = any(k[0] == "libtorch" for k in times)
    header = ["shape", "layout", "threads", "copy us", "read_copy /copy"]
    for block in BLOCKS:
        header += [f"{block} us", f"{block} /copy", f"{block} naive/ours"] + ([f"{block} torch/ours"] if has_torch else [])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for shape in SHAPES:
        for layout in LAYOUTS:
            for t in THREADS:
                copy = times.get(("copy", "copy", layout, shape, t))
                read_copy = times.get(("copy", "read_copy", layout, shape, t))
                row = [shape, layout, str(t), f"{copy:.0f}" if copy else "-",
                       f"{read_copy / copy:.2f}" if read_copy and copy else "-"]
                for block in BLOCKS:
                    ours = times.get(("seattn", block, layout, shape, t))
                    naive = times.get(("naive_eigen", block, layout, shape, t))
                    torch = times.get(("libtorch", block, layout, shape, t))
                    row += [f"{ours:.0f}" if ours else "-", f"{ours / copy:.2f}" if ours and copy else "-",
                            f"{naive / ours:.1f}" if ours and naive else "-"]
                    if has_torch:
                        row.append(f"{torch / ours:.1f}" if ours and torch else "-")
                lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(path, out):
    times, context = load(path)
    plot(times, context, out)
    print(table(times))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
