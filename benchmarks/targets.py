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

Records that keep every repeat of a measurement (``raw_runs``: the timed blocks of the raw
loop; ``d2lmini_runs``, ``d2l_runs``: the steady epochs) also get each ratio *measured twice*:
once from the first half of the repeats of its two measurements, once from the second half,
as if the benchmark had been run twice in a row. How far the two land apart, relative to
the ratio, is its *repeat spread*, the precision to read it with; the last line says
whether every repeat spread is under :data:`STEADY` (5%), and if not, which ratios to
measure again with more steps or on a quieter machine. Each line also gives the *window
spread*, how far single blocks or epochs land apart ((max - min) / median, the larger of
the two measurements'): the noise that taking a median of several windows tames.
"""
import json
import sys
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
MODELS = {"lenet": "LeNet", "alexnet": "AlexNet", "resnet18": "ResNet-18"}
# A ratio whose measurements repeat within this fraction of their median is steady.
STEADY = 0.05


def spread(values):
    """(max - min) / median of repeated measurements; None for fewer than two.

    >>> round(spread([100.0, 104.0, 98.0]), 3)
    0.06
    >>> spread([100.0]) is None
    True
    """
    if not values or len(values) < 2:
        return None
    return (max(values) - min(values)) / median(values)


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


# The two measurements behind each ratio that ``checks`` names "<model>, <fw>: <what>".
RATIO_KEYS = {"d2lmini / raw": ("d2lmini", "raw"), "d2lmini / d2l": ("d2lmini", "d2l"),
              "amp / d2l": ("d2lmini_amp", "d2l")}


def twice(num_runs, den_runs):
    """The ratio of two measurements, from the first and from the second half of their repeats.

    Each half is the median of its repeats, as the whole measurement is; ``None`` where
    either measurement kept fewer than two repeats.

    >>> twice([100.0, 96.0, 104.0, 98.0], [50.0, 50.0, 52.0, 48.0])
    (1.96, 2.02)
    >>> twice([100.0], [50.0, 50.0]) is None
    True
    """
    if not num_runs or not den_runs or min(len(num_runs), len(den_runs)) < 2:
        return None
    i, j = len(num_runs) // 2, len(den_runs) // 2
    return (median(num_runs[:i]) / median(den_runs[:j]),
            median(num_runs[i:]) / median(den_runs[j:]))


def spreads(bench):
    """``{check name: (repeat spread, window spread, measurement, (first, second))}``.

    For each ratio that :func:`checks` holds to a target and whose record keeps the
    repeats of both measurements: how far the ratio measured twice lands apart relative to
    the whole ratio, the larger window spread of its two measurements and the one it came
    from (e.g. ``"AlexNet, pytorch raw"``), and the two ratios.
    """
    targets = {name for name, *_ in checks(bench)}  # amp / d2l: a target for AlexNet only
    out = {}
    for label, fw, r in rows(bench):
        for what, keys in RATIO_KEYS.items():
            if f"{label}, {fw}: {what}" not in targets:
                continue
            runs = [r.get(k + "_runs") for k in keys]
            both = twice(*runs)
            if both is None:
                continue
            whole = median(runs[0]) / median(runs[1])
            window, k = max((spread(v), k) for v, k in zip(runs, keys))
            out[f"{label}, {fw}: {what}"] = (abs(both[0] - both[1]) / whole, window,
                                             f"{label}, {fw} {k}", both)
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
    found, spread_of = checks(bench), spreads(bench)
    for name, value, goal, ok in found:
        note = ""
        if name in spread_of:
            rep, window, _, (a, b) = spread_of[name]
            note = f"  twice {a:.2f} / {b:.2f}: {rep:.1%} apart (windows {window:.1%})"
        print(f"{'holds' if ok else 'MISSES':7} {name:46} {value:8.2f}  (goal {goal}){note}")
    for name, r in noise(bench):
        print(f"{'noise':7} {name + ': the same float32 run twice':46} {r:8.2f}")
    if spread_of:
        worst, name = max((rep, name) for name, (rep, *_) in spread_of.items())
        if worst < STEADY:
            print(f"steady: every ratio measured twice repeats within {worst:.1%} "
                  f"(under {STEADY:.0%}; the largest: {name})")
        else:
            loose = sorted(name for name, (rep, *_) in spread_of.items() if rep >= STEADY)
            print(f"UNSTEADY: ratios measured twice differ by up to {worst:.1%} (over "
                  f"{STEADY:.0%}) in {'; '.join(loose)}: read those ratios to that "
                  "precision, or measure again on a quieter machine or with more steps "
                  "(SIZES in bench.py)")
    return 0 if all(ok for *_, ok in found) else 1


if __name__ == "__main__":
    sys.exit(main())
