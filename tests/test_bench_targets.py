"""benchmarks/targets.py: the maintainers' throughput targets, checked against a record."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("targets", ROOT / "benchmarks" / "targets.py")
targets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(targets)


def record(raw=100.0, d2lmini=95.0, d2l=50.0, amp=120.0, precision="mixed bfloat16"):
    """A benchmark record of AlexNet in PyTorch with these throughputs (examples/s)."""
    run = {"raw": raw, "d2lmini": d2lmini, "d2l": d2l, "d2lmini_amp": amp,
           "amp_precision": precision}
    return {"mode": "full", "started_utc": "2026-01-01 00:00:00",
            "alexnet": {"pytorch": run, "tensorflow": {"error": "not installed"}},
            "pipeline": {"pytorch": {"pipeline_224": 2000.0, "peak_rss_mb": 900.0}}}


def verdicts(bench):
    return {name: ok for name, _, _, ok in targets.checks(bench)}


def test_each_target_holds_or_misses_on_its_own_side_of_the_goal():
    ok = verdicts(record())
    assert ok == {"AlexNet, pytorch: d2lmini / raw": True, "AlexNet, pytorch: d2lmini / d2l": True,
                  "AlexNet, pytorch: amp / d2l": True,
                  "pipeline 224, pytorch: loader / AlexNet raw": True,
                  "pipeline 224, pytorch: peak memory (GB)": True}
    missed = verdicts(record(d2lmini=89.9, d2l=90.0, amp=179.0))
    assert not missed["AlexNet, pytorch: d2lmini / raw"]       # 0.899 < 0.90: no rounding up
    assert not missed["AlexNet, pytorch: d2lmini / d2l"]
    assert not missed["AlexNet, pytorch: amp / d2l"]           # 1.99x the reference
    assert not verdicts(record(raw=201.0))["pipeline 224, pytorch: loader / AlexNet raw"]


def test_noise_is_reported_only_where_amp_trained_in_float32():
    assert targets.noise(record()) == []
    [(name, r)] = targets.noise(record(d2lmini=80.0, amp=92.0, precision="float32 (no bf16)"))
    assert name == "AlexNet, pytorch" and r == pytest.approx(1.15)


def test_exit_status_says_whether_every_target_holds(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(record()))
    bad.write_text(json.dumps(record(d2lmini=50.0)))
    assert targets.main([str(good)]) == 0
    assert targets.main([str(bad)]) == 1
    assert "MISSES  AlexNet, pytorch: d2lmini / raw" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="make bench"):
        targets.main([str(tmp_path / "missing.json")])


def test_a_ratio_measured_twice_from_the_halves_of_its_repeats(capsys, tmp_path):
    bench = record()
    run = bench["alexnet"]["pytorch"]
    run["raw_runs"] = [100.0, 103.0, 100.0, 101.0]    # blocks 3% apart
    run["d2lmini_runs"] = [95.0, 95.5, 95.2, 95.4]     # epochs 0.5% apart
    run["d2l_runs"] = [50.0]                           # one repeat: not measured twice
    found = targets.spreads(bench)
    rep, window, where, (a, b) = found["AlexNet, pytorch: d2lmini / raw"]
    assert (a, b) == pytest.approx((95.25 / 101.5, 95.3 / 100.5))
    whole = 95.3 / 100.5                               # medians of all four repeats
    assert rep == pytest.approx(abs(a - b) / whole)    # about 1%: steady
    assert window == pytest.approx(3 / 100.5) and where == "AlexNet, pytorch raw"
    assert "AlexNet, pytorch: d2lmini / d2l" not in found
    assert "AlexNet, pytorch: amp / d2l" not in found  # neither side kept its repeats
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench))
    targets.main([str(path)])
    out = capsys.readouterr().out
    assert "twice 0.94 / 0.95" in out and "(windows 3.0%)" in out
    assert out.rstrip().splitlines()[-1].startswith("steady:")
    # A slow stretch in the second half moves the ratio measured then: 8% apart.
    run["raw_runs"] = [100.0, 103.0, 92.0, 93.0]
    path.write_text(json.dumps(bench))
    targets.main([str(path)])
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("UNSTEADY") and "AlexNet, pytorch: d2lmini / raw" in last


def test_records_without_repeats_print_no_spread(capsys, tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(record()))
    targets.main([str(path)])
    out = capsys.readouterr().out
    assert "twice" not in out and "steady" not in out.lower()
