#!/usr/bin/env python3
"""Input and float reference of the BERT-tiny attention layer.

`bert_tiny.py input OUT.safetensors` writes hidden states [256, 128]
(batch 32 x sequence 8, from a fixed linear congruential generator,
uniform in [-0.01, 0.01)) as tensor "input". `bert_tiny.py check
SIM.safetensors TOL` recomputes the layer in float64 from the graph's
splat weights (Wq 1.6, bq 1.5, Wk 1.4, bk 1.3, Wv 1.8, bv 1.7, Wo 1.2,
bo 1.1, two heads of 64, scale 1/8) and compares the simulator's "result"
(row 0, columns 0-7) with it.

`bert_tiny.py input-unit OUT.safetensors` writes the same generator's
values scaled to [-sqrt(3), sqrt(3)) (variance 1), as lapa-run does.
`bert_tiny.py check-random SEED SIM.safetensors TOL` recomputes the layer
with the weights that `lapa-randomize-weights` documents for `seed`
(written here from that description, not from the pass's code) and that
input, and checks the largest error relative to the largest expected
value.
"""
import json
import math
import struct
import sys

BATCH, SEQ, HIDDEN, HEADS, DIM = 32, 8, 128, 2, 64


def hidden_states(width=0.02):
    state = 12345
    values = []
    for _ in range(BATCH * SEQ * HIDDEN):
        state = (1103515245 * state + 12345) % (1 << 31)
        values.append((state / (1 << 31) - 0.5) * width)
    return values


UNIT_WIDTH = 2 * math.sqrt(3)
MASK64 = (1 << 64) - 1


def splitmix64(state):
    """Returns (next state, output) of one SplitMix64 step."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def random_constant(seed, index, count, fan_in):
    """Values of the index-th constant that lapa-randomize-weights replaces."""
    keys = seed
    for _ in range(index + 1):
        keys, start = splitmix64(keys)
    bound = math.sqrt(3.0 / fan_in)
    state, values = start, []
    for _ in range(count):
        state, out = splitmix64(state)
        unit = (out >> 40) / float(1 << 24)
        # The pass stores f32 values.
        value = (2.0 * unit - 1.0) * bound
        values.append(struct.unpack("<f", struct.pack("<f", value))[0])
    return values


def random_reference(seed):
    """Row 0 of the block output, columns 0-7, with random weights.

    The graph's contractions in program order are K, Q, V and the output
    projection, each followed by its bias, so the constants are numbered
    Wk 0, bk 1, Wq 2, bq 3, Wv 4, bv 5, Wo 6, bo 7. Every kernel reads as
    [in = 128][out = 128] in row-major order after the graph's reshapes.
    """
    def matrix(index):
        flat = random_constant(seed, index, HIDDEN * HIDDEN, HIDDEN)
        return [flat[i * HIDDEN:(i + 1) * HIDDEN] for i in range(HIDDEN)]

    wk, bk = matrix(0), random_constant(seed, 1, HIDDEN, HIDDEN)
    wq, bq = matrix(2), random_constant(seed, 3, HIDDEN, HIDDEN)
    wv, bv = matrix(4), random_constant(seed, 5, HIDDEN, HIDDEN)
    wo, bo = matrix(6), random_constant(seed, 7, HIDDEN, HIDDEN)
    x = hidden_states(UNIT_WIDTH)
    rows = [x[t * HIDDEN:(t + 1) * HIDDEN] for t in range(SEQ)]

    def project(row, w, bias):
        return [sum(row[i] * w[i][o] for i in range(HIDDEN)) + bias[o]
                for o in range(HIDDEN)]

    q0 = project(rows[0], wq, bq)
    keys = [project(r, wk, bk) for r in rows]
    values = [project(r, wv, bv) for r in rows]
    context = []
    for h in range(HEADS):
        cols = range(h * DIM, (h + 1) * DIM)
        logits = [sum(q0[c] * k[c] for c in cols) / 8.0 for k in keys]
        m = max(logits)
        e = [math.exp(l - m) for l in logits]
        z = sum(e)
        context += [sum(e[s] / z * values[s][c] for s in range(SEQ))
                    for c in cols]
    return [sum(context[i] * wo[i][o] for i in range(HIDDEN)) + bo[o]
            for o in range(8)]


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
    if sys.argv[1] in ("input", "input-unit"):
        width = UNIT_WIDTH if sys.argv[1] == "input-unit" else 0.02
        write_safetensors(sys.argv[2], "input", hidden_states(width),
                          [BATCH * SEQ, HIDDEN])
        return 0
    if sys.argv[1] == "check-random":
        expected = random_reference(int(sys.argv[2]))
        got = read_safetensors(sys.argv[3], "result")
        scale = max(abs(e) for e in expected)
        worst = max(abs(g - e) for g, e in zip(got, expected)) / scale
        print("result[0, 0:8] expected %s" % " ".join("%.4f" % e for e in expected))
        print("result[0, 0:8] got      %s" % " ".join("%.4f" % g for g in got))
        print("max error relative to the largest value %.2e" % worst)
        return 0 if worst < float(sys.argv[4]) else 1
    expected = reference()[0]
    got = read_safetensors(sys.argv[2], "result")
    worst = max(abs(g - expected) / abs(expected) for g in got)
    print("result[0, 0:8] expected %.6f, got %s, max relative error %.2e"
          % (expected, " ".join("%.6f" % g for g in got), worst))
    return 0 if worst < float(sys.argv[3]) else 1


if __name__ == "__main__":
    sys.exit(main())
