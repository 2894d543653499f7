"""Checks the reports of run-reference-sweep.test.

Arguments: the reference safetensors file, the window name and the output
folder. The cross-entropy of the dense INT8 design must be near the one of
the float reference logits, which this script computes itself.
"""
import csv
import json
import math
import os
import struct
import sys

SEQ = 16
LAYERS, HEADS = 4, 4


def read_tensor(path, name):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        begin, end = header[name]["data_offsets"]
        f.seek(8 + length + begin)
        raw = f.read(end - begin)
    code = "i" if header[name]["dtype"] == "I32" else "f"
    return struct.unpack("<%d%s" % (len(raw) // 4, code), raw), header[name]["shape"]


def cross_entropy(logits, vocabulary, tokens, rows):
    """Returns the mean of -ln softmax(logits[t])[tokens[t + 1]] for t < rows - 1."""
    total = 0.0
    for t in range(rows - 1):
        row = logits[t * vocabulary : (t + 1) * vocabulary]
        top = max(row)
        log_sum = top + math.log(sum(math.exp(x - top) for x in row))
        total += log_sum - row[tokens[t + 1]]
    return total / (rows - 1)


def selected_keys(keep_ratio):
    per_head = sum(math.ceil(keep_ratio * (i + 1) - 1e-9) for i in range(SEQ))
    return LAYERS * HEADS * per_head


def main(reference, window, folder):
    tokens, _ = read_tensor(reference, window + ".tokens")
    logits, shape = read_tensor(reference, window + ".logits")
    float_ce = cross_entropy(logits, shape[1], tokens, SEQ)

    with open(os.path.join(folder, "run.json")) as f:
        report = json.load(f)
    designs = {d["name"]: d["metrics"] for d in report["designs"]}
    dense = designs["dense"]
    # INT8 weights and activations move the loss by little on this model.
    assert abs(dense["cross_entropy"] - float_ce) < 0.05, (dense["cross_entropy"], float_ce)
    assert dense["logits_cosine"] > 0.999, dense["logits_cosine"]
    assert dense["top1_agreement_fraction"] >= 14 / 15, dense["top1_agreement_fraction"]

    sweep = report["sweep"]
    assert sweep["parameter"] == "keep_ratio", sweep["parameter"]
    assert sweep["design"] == "lapa", sweep["design"]
    points = {p["value"]: p for p in sweep["points"]}
    assert list(points) == ["0.25", "0.5", "1"], list(points)
    for value, point in points.items():
        metrics = point["metrics"]
        assert point["predictor"] == "lapa keep_ratio=" + value, point["predictor"]
        expected = selected_keys(float(value))
        assert metrics["selected_keys"] == expected, (value, metrics["selected_keys"], expected)
        assert metrics["visible_keys"] == LAYERS * HEADS * SEQ * (SEQ + 1) // 2, metrics
        assert math.isclose(
            metrics["cross_entropy_change"],
            metrics["cross_entropy"] - dense["cross_entropy"],
            rel_tol=1e-9,
            abs_tol=1e-12,
        ), (value, metrics)
    # The sweep point with the design's own keep ratio repeats the design's
    # run exactly.
    lapa = designs["lapa"]
    same = points["0.25"]["metrics"]
    for key in ["cycles", "energy_uj", "cross_entropy", "logits_cosine", "selected_keys"]:
        assert same[key] == lapa[key], (key, same[key], lapa[key])
    # Keeping every key selects all visible keys.
    assert points["1"]["metrics"]["selected_key_fraction"] == 1.0

    with open(os.path.join(folder, "run.csv")) as f:
        rows = [row for row in csv.reader(f) if row[0].startswith("sweep:")]
    assert {row[0] for row in rows} == {
        "sweep:keep_ratio=0.25",
        "sweep:keep_ratio=0.5",
        "sweep:keep_ratio=1",
    }, rows

    with open(os.path.join(folder, "run.html")) as f:
        html = f.read()
    # Energy by stage, cycles per layer and the sweep.
    assert html.count("<svg") == 3, html.count("<svg")
    assert "Sweep of keep_ratio on design lapa" in html


if __name__ == "__main__":
    main(*sys.argv[1:4])
