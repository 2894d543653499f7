#!/usr/bin/env python3
"""Tokens and a CPU reference for the MobileBERT graph.

`mobilebert_reference.py tokens OUT.safetensors` writes 384 token ids
below 30522 from the linear congruential generator that lapa-run uses
with --input-seed 12345, as the i32 tensor "tokens".

`mobilebert_reference.py layer0 GRAPH.mlir OUT.mlir` copies the graph
with the first layer's output (%204, [1 x 384 x 512], after the output
bottleneck's residual addition) as its only result. A random network
without normalization amplifies INT8 rounding from layer to layer, so the
whole 24-layer graph is compared by its structure and the first layer by
its values.

`mobilebert_reference.py wrap GRAPH.mlir OUT.mlir` copies the graph,
renames its entry function to @mobilebert and appends a @main that calls
it with those tokens (the mask and token-type arguments get zeros; the
lowering binds them before they are read) and prints both results with
printMemrefF32. Upstream mlir-opt and mlir-runner then evaluate the graph
in f32 on the CPU, with no lapa code on the path.

`mobilebert_reference.py check RUNNER.txt SIM.safetensors TOL` compares
the simulator's outputs (end_positions and start_positions, or output0
for the first layer) with the printed values and reports whether the
root-mean-square error is within TOL times the reference's root mean
square.
"""
import json
import math
import re
import struct
import sys

from bert_tiny import read_safetensors

SEQ, VOCAB, SEED = 384, 30522, 12345


def tokens():
    state = SEED
    ids = []
    for _ in range(SEQ):
        state = (1103515245 * state + 12345) % (1 << 31)
        ids.append(state % VOCAB)
    return ids


def write_tokens(path):
    ids = tokens()
    data = struct.pack("<%di" % len(ids), *ids)
    header = json.dumps({"tokens": {"dtype": "I32", "shape": [SEQ],
                                    "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


RESULTS = ("-> (tensor<1x384xf32> {iree.identifier = \"StatefulPartitionedCall:0\", "
           "tf_saved_model.index_path = [\"end_positions\"]}, tensor<1x384xf32> "
           "{iree.identifier = \"StatefulPartitionedCall:1\", "
           "tf_saved_model.index_path = [\"start_positions\"]})")
RETURN = ("return %collapsed_2786, %collapsed_2784 : tensor<1x384xf32>, "
          "tensor<1x384xf32>")
LAYER0 = "tensor<1x384x512xf32>"


def layer0(graph_path, out_path):
    text = open(graph_path).read()
    if text.count(RESULTS) != 1 or text.count(RETURN) != 1:
        sys.exit("%s is not the MobileBERT graph described in SOURCE.md" %
                 graph_path)
    text = text.replace(RESULTS, "-> " + LAYER0)
    text = text.replace(RETURN, "return %%204 : %s" % LAYER0)
    open(out_path, "w").write(text)


def wrap(graph_path, out_path):
    text = open(graph_path).read()
    results = re.search(r"func\.func @main\([^\n]*\) -> (tensor<[0-9x]*xf32>) ", text)
    single = results.group(1) if results else None
    text, count = re.subn(r"func\.func @main\(", "func.func @mobilebert(", text)
    if count != 1:
        sys.exit("expected one func.func @main in %s" % graph_path)
    end = text.rstrip().rfind("}")
    ids = ", ".join(str(i) for i in tokens())
    if single:
        wrapper = """
  func.func private @printMemrefF32(tensor<*xf32>)
  func.func @main() {
    %%ids = arith.constant dense<[[%s]]> : tensor<1x%dxi32>
    %%zero = arith.constant dense<0> : tensor<1x%dxi32>
    %%r = call @mobilebert(%%ids, %%zero, %%zero) : (tensor<1x%dxi32>, tensor<1x%dxi32>, tensor<1x%dxi32>) -> %s
    %%c = tensor.cast %%r : %s to tensor<*xf32>
    call @printMemrefF32(%%c) : (tensor<*xf32>) -> ()
    return
  }
""" % (ids, SEQ, SEQ, SEQ, SEQ, SEQ, single, single)
        open(out_path, "w").write(text[:end] + wrapper + text[end:])
        return
    wrapper = """
  func.func private @printMemrefF32(tensor<*xf32>)
  func.func @main() {
    %%ids = arith.constant dense<[[%s]]> : tensor<1x%dxi32>
    %%zero = arith.constant dense<0> : tensor<1x%dxi32>
    %%end, %%start = call @mobilebert(%%ids, %%zero, %%zero) : (tensor<1x%dxi32>, tensor<1x%dxi32>, tensor<1x%dxi32>) -> (tensor<1x%dxf32>, tensor<1x%dxf32>)
    %%e = tensor.cast %%end : tensor<1x%dxf32> to tensor<*xf32>
    %%s = tensor.cast %%start : tensor<1x%dxf32> to tensor<*xf32>
    call @printMemrefF32(%%e) : (tensor<*xf32>) -> ()
    call @printMemrefF32(%%s) : (tensor<*xf32>) -> ()
    return
  }
""" % (ids, SEQ, SEQ, SEQ, SEQ, SEQ, SEQ, SEQ, SEQ, SEQ)
    open(out_path, "w").write(text[:end] + wrapper + text[end:])


def runner_rows(path):
    """The rows printMemrefF32 printed, in order."""
    rows = []
    for line in open(path):
        if line.startswith("Unranked Memref"):
            continue
        numbers = re.findall(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)", line)
        if numbers:
            rows.append([float(n) for n in numbers])
    return rows


def check(runner_path, sim_path, tolerance):
    rows = runner_rows(runner_path)
    blob = open(sim_path, "rb").read()
    header = json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]])
    if "output0" in header:
        expected = [v for r in rows for v in r]
        got = read_safetensors(sim_path, "output0")
    else:
        if len(rows) != 2 or any(len(r) != SEQ for r in rows):
            sys.exit("expected two printed rows of %d values, got %s" %
                     (SEQ, [len(r) for r in rows]))
        expected = rows[0] + rows[1]
        got = (read_safetensors(sim_path, "end_positions") +
               read_safetensors(sim_path, "start_positions"))
    if len(got) != len(expected):
        sys.exit("the simulator gave %d values and the reference %d" %
                 (len(got), len(expected)))
    error = math.sqrt(sum((a - b) ** 2 for a, b in zip(got, expected)) /
                      len(got))
    scale = math.sqrt(sum(b * b for b in expected) / len(expected))
    ratio = error / scale
    print("rms error %.3g of rms value %.3g" % (error, scale))
    print("within %s" % tolerance if ratio <= tolerance else
          "outside %s: %.4f" % (tolerance, ratio))


def main():
    command = sys.argv[1]
    if command == "tokens":
        write_tokens(sys.argv[2])
    elif command == "layer0":
        layer0(sys.argv[2], sys.argv[3])
    elif command == "wrap":
        wrap(sys.argv[2], sys.argv[3])
    elif command == "check":
        check(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
