#!/usr/bin/env python3
"""Prints the tables of docs/results.md from the JSON of run-results.sh.

    bench/results-tables.py OUT_DIR

Each table is printed under a line `== NAME` (the run's file name), in
the layout docs/results.md uses for that kind of run, followed by the
LAPA/peer energy-efficiency ratios of every run.
"""
import json
import os
import sys


def fraction(value):
    return "-" if value is None else "%.3f" % value


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |",
             "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def reference_table(designs):
    head = ["design", "cycles", "energy (uJ)", "GOPS/W", "selected / visible keys",
            "cross-entropy (nats)", "CE change vs dense", "cosine vs reference",
            "LAPA GOPS/W / this"]
    rows = []
    for d in designs:
        m = d["metrics"]
        rows.append([d["name"], str(m["cycles"]), "%.1f" % m["energy_uj"],
                     "%.1f" % m["gops_per_watt"], fraction(m["selected_key_fraction"]),
                     "%.4f" % m["cross_entropy"], "%+.4f" % m["cross_entropy_change"],
                     "%.4f" % m["logits_cosine"], "%.2fx" % m["efficiency_ratio"]])
    return table(head, rows)


def timing_table(designs):
    head = ["design", "cycles", "energy (mJ)", "prediction stage (mJ)", "ffn stage (mJ)",
            "DRAM bytes", "GOPS/W", "selected / visible keys", "LAPA GOPS/W / this"]
    rows = []
    for d in designs:
        m = d["metrics"]
        rows.append([d["name"], str(m["cycles"]), "%.1f" % (m["energy_uj"] / 1000),
                     "%.1f" % (m["energy_prediction_uj"] / 1000),
                     "%.1f" % (m["energy_ffn_uj"] / 1000), str(m["dram_bytes"]),
                     "%.1f" % m["gops_per_watt"], fraction(m["selected_key_fraction"]),
                     "%.2fx" % m["efficiency_ratio"]])
    return table(head, rows)


def encoder_table(designs, functional):
    head = ["design", "cycles", "energy (uJ)", "prediction stage (uJ)",
            "kv_projection stage (uJ)", "DRAM bytes", "GOPS/W", "selected / visible keys",
            "needed / all tokens"]
    if functional:
        head += ["cosine vs dense", "max abs error vs dense"]
    head += ["LAPA GOPS/W / this"]
    rows = []
    for d in designs:
        m = d["metrics"]
        row = [d["name"], str(m["cycles"]), "%.1f" % m["energy_uj"],
               "%.1f" % m["energy_prediction_uj"], "%.1f" % m["energy_kv_projection_uj"],
               str(m["dram_bytes"]), "%.1f" % m["gops_per_watt"],
               fraction(m["selected_key_fraction"]), fraction(m["needed_token_fraction"])]
        if functional:
            row += ["%.4f" % m["dense_cosine"], "%.3f" % m["dense_max_abs_error"]]
        row += ["%.2fx" % m["efficiency_ratio"]]
        rows.append(row)
    return table(head, rows)


def main():
    out = sys.argv[1]
    ratios = {}
    for name in sorted(os.listdir(out)):
        if not name.endswith(".json"):
            continue
        run = json.load(open(os.path.join(out, name)))
        designs = run["designs"]
        stem = name[:-len(".json")]
        if "sweep" in stem:
            continue
        print("== " + stem)
        if stem.startswith("bert") or stem.startswith("mobilebert"):
            print(encoder_table(designs, not run["timing_only"]))
        elif run["timing_only"]:
            print(timing_table(designs))
        else:
            print(reference_table(designs))
        print()
        ratios[stem] = {d["name"]: d["metrics"]["efficiency_ratio"] for d in designs}
    print("== LAPA GOPS/W / peer")
    for stem, values in ratios.items():
        print(stem + ": " + ", ".join("%s %.2fx" % item for item in values.items()))


if __name__ == "__main__":
    main()
