"""Writes the token file of run-tinyllama.test and checks its reports.

  tokens TOKENIZER OUT   writes 16 token ids of "And God said, Le" as an
                         i32 tensor named "tokens"
  check CONFIG DIR       checks DIR/run.json, run.csv, run.html, the traces
                         and the saved IR against values computed from the
                         model's config.json
"""
import csv
import json
import math
import os
import struct
import sys

TEXT = "And God said, Le"
SEQ = 16


def write_tokens(tokenizer_path, out_path):
    with open(tokenizer_path) as f:
        char_to_id = json.load(f)["char_to_id"]
    ids = [char_to_id[c] for c in TEXT]
    assert len(ids) == SEQ
    data = struct.pack("<%di" % SEQ, *ids)
    header = json.dumps(
        {"tokens": {"dtype": "I32", "shape": [SEQ], "data_offsets": [0, len(data)]}}
    ).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(out_path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


def dense_ops(config, t):
    """Returns 2 x MACs of the whole model on t tokens with causal attention."""
    d, f, v = config["dim"], config["ffn_hidden"], config["vocab_size"]
    heads, head_dim = config["n_heads"], config["head_dim"]
    pairs = heads * t * (t + 1) // 2
    per_layer = 2 * t * d * d * 4 + 2 * t * d * f * 3 + 2 * 2 * pairs * head_dim
    return config["n_layers"] * per_layer + 2 * t * d * v


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def check(config_path, folder):
    with open(config_path) as f:
        config = json.load(f)
    with open(os.path.join(folder, "run.json")) as f:
        report = json.load(f)
    layers, heads = config["n_layers"], config["n_heads"]

    assert report["model"] == "tinyllama-kjv", report["model"]
    assert report["tokens"] == SEQ, report["tokens"]
    assert report["timing_only"] is False
    assert report["model_ops"] == dense_ops(config, SEQ), report["model_ops"]
    assert report["lapa_design"] == "lapa", report["lapa_design"]
    assert report["dense_design"] == "dense", report["dense_design"]
    designs = {d["name"]: d for d in report["designs"]}
    assert list(designs) == ["lapa", "dense", "fact"], list(designs)

    visible = layers * heads * SEQ * (SEQ + 1) // 2
    selected = layers * heads * sum(math.ceil(0.25 * (i + 1)) for i in range(SEQ))
    clock_mhz = {"lapa": 1000, "dense": 1000, "fact": 500}
    for name, design in designs.items():
        m = design["metrics"]
        # Time is cycles at the configuration's clock.
        assert close(m["time_us"], m["cycles"] / clock_mhz[name]), (name, m)
        # Energy is the sum of the stages and leakage.
        stages = sum(
            m["energy_%s_uj" % s]
            for s in ["prediction", "kv_projection", "attention", "ffn", "other"]
        )
        assert close(m["energy_uj"], stages + m["energy_leakage_uj"], 1e-6), (name, m)
        # GOPS/W counts the same operations for every design.
        assert close(m["gops_per_watt"], report["model_ops"] / (m["energy_uj"] * 1e-6) / 1e9, 1e-9), (name, m)
        assert close(m["effective_gops"], report["model_ops"] / (m["time_us"] * 1e-6) / 1e9, 1e-9), (name, m)
        # Every design reads at least its INT8 projection and FFN weights and
        # the INT8 output head once.
        weight_bytes = layers * (4 * config["dim"] ** 2 + 3 * config["dim"] * config["ffn_hidden"])
        weight_bytes += config["vocab_size"] * config["dim"]
        assert m["dram_bytes"] >= weight_bytes, (name, m["dram_bytes"], weight_bytes)
        assert 0 <= m["prediction_overhead_fraction"] < 1, (name, m)
        # 15 positions are scored: every one but the last.
        assert m["cross_entropy"] > 0, (name, m)
        assert len(design["layers"]) == layers + 1, design["layers"]

    for name in ["lapa", "fact"]:
        m = designs[name]["metrics"]
        assert m["selected_keys"] == selected, (name, m["selected_keys"], selected)
        assert m["visible_keys"] == visible, (name, m["visible_keys"], visible)
        assert close(m["selected_key_fraction"], selected / visible), (name, m)
        per_layer = [l for l in designs[name]["layers"] if l["layer"] >= 0]
        for layer in per_layer:
            assert layer["selected_keys"] == selected // layers, (name, layer)
            assert layer["visible_keys"] == visible // layers, (name, layer)
    # LAPA projects K and V only for needed tokens; FACT computes all keys.
    assert 0 < designs["lapa"]["metrics"]["needed_token_fraction"] <= 1
    assert designs["fact"]["metrics"]["needed_token_fraction"] is None

    dense = designs["dense"]["metrics"]
    assert dense["selected_keys"] is None, dense
    assert dense["visible_keys"] is None, dense
    assert dense["cross_entropy_change"] == 0.0, dense
    assert dense["dense_cosine"] == 1.0, dense
    assert dense["dense_max_abs_error"] == 0.0, dense
    assert dense["prediction_overhead_fraction"] == 0.0, dense
    lapa = designs["lapa"]["metrics"]
    assert lapa["efficiency_ratio"] == 1.0, lapa
    for name in ["dense", "fact"]:
        ratio = lapa["gops_per_watt"] / designs[name]["metrics"]["gops_per_watt"]
        assert close(designs[name]["metrics"]["efficiency_ratio"], ratio, 1e-9), name
        assert close(
            designs[name]["metrics"]["cross_entropy_change"],
            designs[name]["metrics"]["cross_entropy"] - dense["cross_entropy"],
            1e-9,
        ), name

    # The CSV has the same numbers as the JSON.
    with open(os.path.join(folder, "run.csv")) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["design", "metric", "value"], rows[0]
    seen = 0
    for design, metric, value in rows[1:]:
        expected = designs[design]["metrics"][metric]
        assert expected is not None, (design, metric)
        assert close(float(value), float(expected), 1e-8), (design, metric, value, expected)
        seen += 1
    present = sum(
        1 for d in designs.values() for v in d["metrics"].values() if v is not None
    )
    assert seen == present, (seen, present)

    # The HTML page is self-contained: inline SVG, no script, no network.
    with open(os.path.join(folder, "run.html")) as f:
        html = f.read()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 2, html.count("<svg")
    for forbidden in ["<script", "http://", "https://", "<link"]:
        assert forbidden not in html, forbidden

    # One Chrome trace per design, and the IR of every stage.
    for name in designs:
        with open(os.path.join(folder, "trace", name + ".trace.json")) as f:
            trace = json.load(f)
        assert trace["traceEvents"], name
        with open(os.path.join(folder, "ir", name + ".lapa"), "rb") as f:
            assert f.read(8) == b"LAPASTRM", name
        with open(os.path.join(folder, "ir", name + ".isa.mlir")) as f:
            assert "lapa_isa.program" in f.read(), name
    with open(os.path.join(folder, "ir", "model.mlir")) as f:
        assert "func.func @forward" in f.read()
    with open(os.path.join(folder, "ir", "raised.mlir")) as f:
        assert f.read().count("lapa.attention") >= layers


if __name__ == "__main__":
    if sys.argv[1] == "tokens":
        write_tokens(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown mode " + sys.argv[1])
