#!/usr/bin/env python3
"""Inputs and checks for compiled tinyllama-kjv streams.

  llama_window.py tokens REFERENCE COUNT OUT.safetensors
      Writes tensor "tokens" (i32 [COUNT]): the reference window w0.tokens,
      repeated when COUNT exceeds its 128 tokens.
  llama_window.py logits REFERENCE SIM_OUTPUT ROWS MIN_COSINE MIN_TOP1
      Compares the first ROWS rows of the simulated "logits" with
      w0.logits (causal attention makes the first ROWS positions of a longer
      window equal to the reference) and prints cosine, max abs error and
      top-1 agreement; fails below the given thresholds.
"""
import json
import math
import struct
import sys


def read(path, name):
    blob = open(path, "rb").read()
    size = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + size])
    entry = header[name]
    begin, end = entry["data_offsets"]
    data = blob[8 + size + begin:8 + size + end]
    code = "f" if entry["dtype"] == "F32" else "i"
    return list(struct.unpack("<%d%s" % (len(data) // 4, code), data)), entry["shape"]


def write_tokens(path, tokens):
    data = struct.pack("<%di" % len(tokens), *tokens)
    header = json.dumps({"tokens": {"dtype": "I32", "shape": [len(tokens)],
                                    "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


def main():
    if sys.argv[1] == "tokens":
        window, _ = read(sys.argv[2], "w0.tokens")
        count = int(sys.argv[3])
        write_tokens(sys.argv[4], [window[i % len(window)] for i in range(count)])
        return 0
    reference, shape = read(sys.argv[2], "w0.logits")
    simulated, _ = read(sys.argv[3], "logits")
    rows = int(sys.argv[4])
    vocab = shape[1]
    ref = reference[:rows * vocab]
    sim = simulated[:rows * vocab]
    dot = sum(a * b for a, b in zip(ref, sim))
    cosine = dot / math.sqrt(sum(a * a for a in ref) * sum(b * b for b in sim))
    error = max(abs(a - b) for a, b in zip(ref, sim))
    agree = 0
    for r in range(rows):
        a = ref[r * vocab:(r + 1) * vocab]
        b = sim[r * vocab:(r + 1) * vocab]
        agree += a.index(max(a)) == b.index(max(b))
    ok = cosine >= float(sys.argv[5]) and agree >= int(sys.argv[6])
    print("rows %d: cosine %.6f, max abs error %.4f, top-1 %d/%d: %s"
          % (rows, cosine, error, agree, rows, "ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
