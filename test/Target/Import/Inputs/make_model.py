#!/usr/bin/env python3
"""Write a damaged copy of a model folder for the importer's error tests.

The copy gets config.json and model.safetensors from the source folder,
changed as the options request. Without a tensor change, model.safetensors is
a symbolic link to the original, so most cases cost no copy of the
weights.

  --set KEY=JSON       set a config field to a JSON value ('"128"' is a string)
  --drop KEY           remove a config field
  --config-text TEXT   replace config.json by TEXT as written
  --no-config          leave config.json out
  --nested-config N    write config.json as N nested arrays
  --no-weights         leave model.safetensors out
  --reshape NAME=A,B   give tensor NAME the shape [A, B] in the header (the
                       element count must stay the same, or the header
                       becomes inconsistent on purpose)
  --retype NAME=DTYPE  give tensor NAME another dtype of the same size
  --rename OLD=NEW     rename a tensor
  --drop-tensor NAME   remove a tensor from the header (its bytes stay)
  --truncate BYTES     keep only the first BYTES bytes of model.safetensors
  --nested-header N    write model.safetensors with a header of N nested
                       arrays and no data
"""

import argparse
import json
import os
import shutil
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as handle:
        (header_length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_length))
        data = handle.read()
    return header, data


def write_safetensors(path, header, data, text=None):
    if text is None:
        text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # The format pads the header with spaces to a multiple of 8 bytes.
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        handle.write(data)


def split_pair(text, option):
    if "=" not in text:
        sys.exit(f"error: {option} expects NAME=VALUE, got '{text}'")
    return text.split("=", 1)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="model folder to copy")
    parser.add_argument("output", help="folder to create (replaced if present)")
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--drop", action="append", default=[])
    parser.add_argument("--config-text")
    parser.add_argument("--no-config", action="store_true")
    parser.add_argument("--nested-config", type=int)
    parser.add_argument("--no-weights", action="store_true")
    parser.add_argument("--reshape", action="append", default=[])
    parser.add_argument("--retype", action="append", default=[])
    parser.add_argument("--rename", action="append", default=[])
    parser.add_argument("--drop-tensor", action="append", default=[])
    parser.add_argument("--truncate", type=int)
    parser.add_argument("--nested-header", type=int)
    args = parser.parse_args()

    shutil.rmtree(args.output, ignore_errors=True)
    os.makedirs(args.output)

    if not args.no_config:
        config_path = os.path.join(args.output, "config.json")
        if args.config_text is not None:
            text = args.config_text
        elif args.nested_config is not None:
            text = "[" * args.nested_config + "]" * args.nested_config
        else:
            with open(os.path.join(args.source, "config.json"),
                      encoding="utf-8") as handle:
                config = json.load(handle)
            for item in args.set:
                key, value = split_pair(item, "--set")
                config[key] = json.loads(value)
            for key in args.drop:
                del config[key]
            text = json.dumps(config, indent=2) + "\n"
        with open(config_path, "w", encoding="utf-8") as handle:
            handle.write(text)

    if args.no_weights:
        return
    if args.nested_header is not None:
        depth = args.nested_header
        write_safetensors(os.path.join(args.output, "model.safetensors"),
                          None, b"", text=b"[" * depth + b"]" * depth)
        return
    source = os.path.abspath(os.path.join(args.source, "model.safetensors"))
    target = os.path.join(args.output, "model.safetensors")
    if not (args.reshape or args.retype or args.rename or args.drop_tensor or
            args.truncate is not None):
        os.symlink(source, target)
        return

    header, data = read_safetensors(source)
    for item in args.reshape:
        name, shape = split_pair(item, "--reshape")
        header[name]["shape"] = [int(size) for size in shape.split(",")]
    for item in args.retype:
        name, dtype = split_pair(item, "--retype")
        header[name]["dtype"] = dtype
    for item in args.rename:
        old, new = split_pair(item, "--rename")
        header[new] = header.pop(old)
    for name in args.drop_tensor:
        del header[name]
    write_safetensors(target, header, data)
    if args.truncate is not None:
        with open(target, "r+b") as handle:
            handle.truncate(args.truncate)


if __name__ == "__main__":
    main()
