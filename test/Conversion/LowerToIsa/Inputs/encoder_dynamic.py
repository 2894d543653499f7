#!/usr/bin/env python3
"""Input and float reference of Inputs/encoder-dynamic.mlir.

`encoder_dynamic.py input ROWS OUT.safetensors` writes hidden states
[ROWS, 64] (the linear congruential generator of bert_tiny.py, variance 1)
as tensor "input". `encoder_dynamic.py check SEED ROWS SIM.safetensors TOL`
recomputes the block in float64 with the weights lapa-randomize-weights
documents for SEED (Wq, Wk, Wv, Wo are constants 0 to 3 in program
order) and compares the simulator's "hidden" output with it, relative to
the largest expected value.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_tiny  # noqa: E402  (shared generator and safetensors helpers)

HIDDEN, HEADS, DIM = 64, 2, 32


def inputs(rows):
    state, values = 12345, []
    for _ in range(rows * HIDDEN):
        state = (1103515245 * state + 12345) % (1 << 31)
        values.append((state / (1 << 31) - 0.5) * bert_tiny.UNIT_WIDTH)
    return [values[r * HIDDEN:(r + 1) * HIDDEN] for r in range(rows)]


def reference(seed, rows):
    def weight(index):
        flat = bert_tiny.random_constant(seed, index, HIDDEN * HIDDEN, HIDDEN)
        return [flat[i * HIDDEN:(i + 1) * HIDDEN] for i in range(HIDDEN)]

    wq, wk, wv, wo = (weight(i) for i in range(4))
    x = inputs(rows)

    def project(row, w):
        return [sum(row[i] * w[i][o] for i in range(HIDDEN)) for o in range(HIDDEN)]

    q = [project(r, wq) for r in x]
    k = [project(r, wk) for r in x]
    v = [project(r, wv) for r in x]
    out = []
    for t in range(rows):
        context = []
        for h in range(HEADS):
            cols = range(h * DIM, (h + 1) * DIM)
            logits = [sum(q[t][c] * k[s][c] for c in cols) / math.sqrt(DIM)
                      for s in range(rows)]
            m = max(logits)
            e = [math.exp(l - m) for l in logits]
            z = sum(e)
            context += [sum(e[s] / z * v[s][c] for s in range(rows)) for c in cols]
        out += project(context, wo)
    return out


def main():
    if sys.argv[1] == "input":
        rows = int(sys.argv[2])
        flat = [value for row in inputs(rows) for value in row]
        bert_tiny.write_safetensors(sys.argv[3], "input", flat, [rows, HIDDEN])
        return 0
    seed, rows = int(sys.argv[2]), int(sys.argv[3])
    expected = reference(seed, rows)
    got = bert_tiny.read_safetensors(sys.argv[4], "hidden")
    scale = max(abs(e) for e in expected)
    worst = max(abs(g - e) for g, e in zip(got, expected)) / scale
    print("hidden [%d, %d]: %d values, max error relative to the largest "
          "value %.2e" % (rows, HIDDEN, len(got), worst))
    return 0 if len(got) == len(expected) and worst < float(sys.argv[5]) else 1


if __name__ == "__main__":
    sys.exit(main())
