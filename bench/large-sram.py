#!/usr/bin/env python3
"""Writes a large-buffer variant of a hardware configuration.

    bench/large-sram.py IN.yaml OUT.yaml

Every on-chip buffer becomes 4 MiB and a speculation buffer 8 MiB; the
name gets the suffix "-large-sram". Nothing else changes: not the arrays,
the energy table or DRAM. The variants let one 2048-token head fit on
chip, which the shipped configurations' buffers cannot hold. They are not
published designs.
"""
import re
import sys


def resize(match):
    size = 8388608 if match.group(1) == "speculation_buffer" else 4194304
    return re.sub(r"bytes: \d+", "bytes: %d" % size, match.group(0), count=1)


def main():
    text = open(sys.argv[1]).read()
    text, count = re.subn(r"^name: ([\w.-]+)", r"name: \1-large-sram", text,
                          count=1, flags=re.M)
    if count != 1:
        sys.exit("large-sram.py: no top-level 'name:' in " + sys.argv[1])
    text = re.sub(r"- name: (\w+)\n(?:    .*\n)*?    bytes: \d+", resize, text)
    open(sys.argv[2], "w").write(text)


if __name__ == "__main__":
    main()
