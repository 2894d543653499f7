#!/usr/bin/env python3
"""Print one window of the tinyllama-kjv reference activations as text.

The numeric import test needs two things from reference.safetensors, and
this script prints them without numpy:

  tokens   the first N token ids of a window, as the response-file line
           "--main-tokens=id,id,..." for lapa-translate;
  logits   the first N rows of that window's reference logits, one row per
           line, for compare_outputs.py.

A safetensors file is an 8-byte little-endian header length, a JSON header
that maps each tensor name to its dtype, shape and [begin, end) byte range
in the data section, then the raw little-endian data.
"""

import argparse
import json
import struct
import sys


def read_tensor(path, name, dtype):
    """Returns (shape, values) of tensor `name`, which must have `dtype`."""
    with open(path, "rb") as handle:
        (header_length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_length))
        data_start = 8 + header_length
        if name not in header:
            sys.exit(f"error: {path}: tensor '{name}' not found")
        entry = header[name]
        if entry["dtype"] != dtype:
            sys.exit(f"error: {path}: tensor '{name}' has dtype "
                     f"{entry['dtype']}, expected {dtype}")
        begin, end = entry["data_offsets"]
        handle.seek(data_start + begin)
        raw = handle.read(end - begin)
    if len(raw) != end - begin:
        sys.exit(f"error: {path}: tensor '{name}' is truncated")
    code = {"F32": "f", "I32": "i"}[dtype]
    count = (end - begin) // 4
    return entry["shape"], struct.unpack(f"<{count}{code}", raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["tokens", "logits"])
    parser.add_argument("reference", help="path of reference.safetensors")
    parser.add_argument("--window", default="w0",
                        help="window name, w0 to w3 (default w0)")
    parser.add_argument("--count", type=int, required=True,
                        help="number of positions (tokens or logit rows)")
    args = parser.parse_args()

    if args.what == "tokens":
        shape, ids = read_tensor(args.reference, f"{args.window}.tokens", "I32")
        if not 1 <= args.count <= shape[0]:
            sys.exit(f"error: --count {args.count} is outside 1..{shape[0]}")
        print("--main-tokens=" + ",".join(str(i) for i in ids[:args.count]))
        return

    shape, logits = read_tensor(args.reference, f"{args.window}.logits", "F32")
    rows, vocab = shape
    if not 1 <= args.count <= rows:
        sys.exit(f"error: --count {args.count} is outside 1..{rows}")
    for row in range(args.count):
        values = logits[row * vocab:(row + 1) * vocab]
        # repr() of a float32 widened to a Python float is exact.
        print(" ".join(repr(value) for value in values))


if __name__ == "__main__":
    main()
