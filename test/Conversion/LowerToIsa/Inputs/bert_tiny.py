#!/usr/bin/env python3
"""Input and float reference of the BERT-tiny attention layer.

`bert_tiny.py input OUT.safetensors` writes hidden states [256, 128]
(batch 32 x sequence 8, from a fixed linear congruential generator) as
tensor "input". `bert_tiny.py check SIM.safetensors` recomputes the layer
in float64 from the graph's splat weights (Wq 1.6, bq 1.5, Wk 1.4, bk 1.3,
Wv 1.8, bv 1.7, Wo 1.2, bo 1.1, two heads of 64, scale 1/8) and compares
the simulator's "result" (row 0, columns 0-7) with it.
"""
import json
import math
import struct
import sys

BATCH, SEQ, HIDDEN, HEADS, DIM = 32, 8, 128, 2, 64


def hidden_states():
    state = 12345
    values = []
    for _ in range(BATCH * SEQ * HIDDEN):
        state = (1103515245 * state + 12345) % (1 << 31)
        values.append((state / (1 << 31) - 0.5) * 0.02)
    return values


def write_safetensors(path, name, values, shape):
    data = struct.pack("<%df" % len(values), *values)
    header = json.dumps({name: {"dtype": "F32", "shape": shape,
                                "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


def read_safetensors(path, name):
    blob = open(path, "rb").read()
    size = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + size])
    begin, end = header[name]["data_offsets"]
    data = blob[8 + size + begin:8 + size + end]
    return list(struct.unpack("<%df" % (len(data) // 4), data))


def reference():
    x = hidden_states()
    # Every projection has a splat weight, so each output column equals
    # w * (row sum of the input) + b.
    out = []
    for b in range(BATCH):
        rows = [x[(b * SEQ + t) * HIDDEN:(b * SEQ + t + 1) * HIDDEN]
                for t in range(SEQ)]
        sums = [sum(r) for r in rows]
        q = [1.6 * s + 1.5 for s in sums]
        k = [1.4 * s + 1.3 for s in sums]
        v = [1.8 * s + 1.7 for s in sums]
        for t in range(SEQ):
            logits = [DIM * q[t] * k[s] / 8.0 for s in range(SEQ)]
            m = max(logits)
            e = [math.exp(l - m) for l in logits]
            z = sum(e)
            o = sum(e[s] / z * v[s] for s in range(SEQ))
            # Both heads give o in all of their 64 columns.
            out.append(1.2 * HIDDEN * o + 1.1)
    return out


def main():
    if sys.argv[1] == "input":
        write_safetensors(sys.argv[2], "input", hidden_states(),
                          [BATCH * SEQ, HIDDEN])
        return 0
    expected = reference()[0]
    got = read_safetensors(sys.argv[2], "result")
    worst = max(abs(g - expected) / abs(expected) for g in got)
    print("result[0, 0:8] expected %.6f, got %s, max relative error %.2e"
          % (expected, " ".join("%.6f" % g for g in got), worst))
    return 0 if worst < float(sys.argv[3]) else 1


if __name__ == "__main__":
    sys.exit(main())
