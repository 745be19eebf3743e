"""Run by the plot venv's python (matplotlib): plot.py DATA.json OUT.png."""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main() -> None:
    with open(sys.argv[1]) as f:
        data = json.load(f)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(data["bars"])
    engines = sorted({e for v in data["bars"].values() for e in v} | set(data["scale"]))
    color = {e: f"C{i}" for i, e in enumerate(engines)}  # one colour per engine, both panels
    width = 0.8 / max(len(engines), 1)
    for i, engine in enumerate(engines):
        xs = [j + i * width for j in range(len(names))]
        heights = [data["bars"][n].get(engine, 0) for n in names]
        left.bar(xs, heights, width, label=engine, color=color[engine])
    left.set_xticks([j + width * (len(engines) - 1) / 2 for j in range(len(names))], names)
    left.set_yscale("log")
    left.set_ylabel("overhead per task, warm (ms, log)")
    left.set_title("Per-task overhead by engine")
    left.legend(fontsize=8)
    for engine, pts in data["scale"].items():
        for kind, style in (("fanout", "--"), ("scale", "-")):
            got = sorted((n, v) for k, n, v in pts if k == kind)
            if got:
                right.plot(
                    [n for n, _ in got],
                    [v for _, v in got],
                    style,
                    marker="o",
                    color=color[engine],
                    label=f"{engine} {kind}",
                )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("N (tasks or items)")
    right.set_ylabel("ms per task or item (log)")
    right.set_title("How cost grows with size (flat = linear)")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
