"""Reading seattn_bench's JSON output (--benchmark_out) into times per benchmark."""

import json
from collections import defaultdict

SHAPES = ["1x64x56x56", "1x256x56x56", "1x512x28x28", "1x1024x14x14", "1x2048x7x7", "8x256x56x56", "32x64x56x56"]
BLOCKS = ["se", "spatial", "cbam"]
LAYOUTS = ["nchw", "nhwc"]
THREADS = [1, 2]
IMPLS = ["seattn", "naive_eigen", "libtorch"]

_TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def load(path):
    """Real time in microseconds per (impl, block, layout, shape, threads), plus the run's
    context. With repetitions the median aggregate is used, else the mean of the runs."""
    with open(path) as f:
        data = json.load(f)
    medians, runs = {}, defaultdict(list)
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"]).split("/")[0]
        impl, block, layout, shape, threads = name.split(":")
        key = (impl, block, layout, shape, int(threads[1:]))
        us = b["real_time"] * _TO_US[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = us
        elif "error_occurred" not in b:
            runs[key].append(us)
    times = {key: sum(v) / len(v) for key, v in runs.items()}
    times.update(medians)
    return times, data.get("context", {})


def pixels(shape):
    """H * W of an NxCxHxW shape name."""
    _, _, h, w = (int(v) for v in shape.split("x"))
    return h * w
