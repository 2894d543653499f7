#!/usr/bin/env python3
"""Writes a LLaMA-2-7B-shaped model folder for the importer.

    bench/llama2-7b-shape.py OUT_DIR

config.json takes examples/tinyllama-kjv/config.json with LLaMA-2-7B's
dimensions (32 layers, hidden size 4096, 32 heads of 128, feed-forward
11008, vocabulary 32000). model.safetensors declares every tensor in its
header but contains no data (a sparse file): `lapa-translate --import-llama
--weights=arguments` reads only the header.
"""
import json
import os
import struct
import sys

D, L, F, V = 4096, 32, 11008, 32000


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    config = json.load(open(os.path.join(root, "examples/tinyllama-kjv/config.json")))
    config.update(dim=D, n_layers=L, n_heads=32, head_dim=128, ffn_hidden=F,
                  vocab_size=V, max_seq_len=4096)
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=1)

    tensors = [("tok_embeddings.weight", [V, D])]
    for layer in range(L):
        p = "layers.%d." % layer
        tensors += [(p + "attention_norm.weight", [D]),
                    (p + "attention.wq.weight", [D, D]),
                    (p + "attention.wk.weight", [D, D]),
                    (p + "attention.wv.weight", [D, D]),
                    (p + "attention.wo.weight", [D, D]),
                    (p + "ffn_norm.weight", [D]),
                    (p + "feed_forward.w1.weight", [F, D]),
                    (p + "feed_forward.w3.weight", [F, D]),
                    (p + "feed_forward.w2.weight", [D, F])]
    tensors += [("norm.weight", [D]), ("output.weight", [V, D])]
    header, offset = {}, 0
    for name, shape in tensors:
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        f.truncate(8 + len(text) + offset)  # sparse: no data is written


if __name__ == "__main__":
    main()
