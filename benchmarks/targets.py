"""Check a benchmark record against the project's throughput targets for ``train_ch6``.

    python benchmarks/targets.py                      # benchmarks/results/latest.json
    python benchmarks/targets.py benchmarks/results/gpu.json

The targets (what the maintainers hold ``train_ch6`` to; the Performance chapter teaches why
a loop reaches them or not):

* end to end, at least 0.90 of the raw step loop (the same model's forward, loss, backward
  and SGD step on batches already in memory);
* at least the throughput of the reference ``train_ch6`` (d2l 1.0.3) on the same iterators;
* on AlexNet with ``amp=True``, at least twice the reference: only hardware with fast 16-bit
  arithmetic can reach it;
* an input pipeline that never limits training: at 224x224 at least ten times AlexNet's raw
  step throughput, and under 4 GB of memory for loading plus an epoch (full runs only).

Each line says ``holds`` or ``MISSES``, unrounded. A ratio within a few points of its goal
may land either side on the next run: where ``amp=True`` trained in float32, the amp column
repeats the d2lmini one, and the script prints how far the two measurements of the same
computation differ, which is the noise any ratio has to be read against. Exits with 1 when
a target misses, so that a script can tell.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = {"lenet": "LeNet", "alexnet": "AlexNet", "resnet18": "ResNet-18"}


def rows(bench):
    """Yield ``(model label, framework, record)`` for every model run without an error."""
    for model, label in MODELS.items():
        for fw, r in bench.get(model, {}).items():
            if "error" not in r:
                yield label, fw, r


def checks(bench):
    """Every target as ``(name, value, goal text, holds)``, in the order they are printed."""
    out = []
    for label, fw, r in rows(bench):
        out.append((f"{label}, {fw}: d2lmini / raw", r["d2lmini"] / r["raw"], ">= 0.90",
                    r["d2lmini"] >= 0.9 * r["raw"]))
        out.append((f"{label}, {fw}: d2lmini / d2l", r["d2lmini"] / r["d2l"], ">= 1.00",
                    r["d2lmini"] >= r["d2l"]))
    for label, fw, r in rows(bench):
        if label == "AlexNet":
            out.append((f"{label}, {fw}: amp / d2l", r["d2lmini_amp"] / r["d2l"], ">= 2.00",
                        r["d2lmini_amp"] >= 2 * r["d2l"]))
    for fw, p in bench.get("pipeline", {}).items():
        step = bench.get("alexnet", {}).get(fw, {}).get("raw")
        if "error" in p or not step:
            continue
        out.append((f"pipeline 224, {fw}: loader / AlexNet raw", p["pipeline_224"] / step,
                    ">= 10", p["pipeline_224"] >= 10 * step))
        out.append((f"pipeline 224, {fw}: peak memory (GB)", p["peak_rss_mb"] / 1024, "< 4",
                    p["peak_rss_mb"] < 4096))
    return out


def noise(bench):
    """``(name, ratio)`` of the two measurements of one float32 run, where amp stayed float32."""
    return [(f"{label}, {fw}", r["d2lmini_amp"] / r["d2lmini"]) for label, fw, r in rows(bench)
            if r.get("amp_precision", "").startswith("float32")]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else HERE / "results" / "latest.json"
    if not path.exists():
        raise SystemExit(f"{path}: no such benchmark record; `make bench` writes one")
    bench = json.loads(path.read_text())
    print(f"{path.name}: {bench['mode']} run of {bench['started_utc']} UTC")
    found = checks(bench)
    for name, value, goal, ok in found:
        print(f"{'holds' if ok else 'MISSES':7} {name:46} {value:8.2f}  (goal {goal})")
    for name, r in noise(bench):
        print(f"{'noise':7} {name + ': the same float32 run twice':46} {r:8.2f}")
    return 0 if all(ok for *_, ok in found) else 1


if __name__ == "__main__":
    sys.exit(main())
