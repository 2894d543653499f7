#!/usr/bin/env python3
"""Compares the numbers two mlir-runner printouts contain.

Exits 0 when both contain the same count of numbers (at least one) and
every pair differs by at most the tolerance. Otherwise it prints the first
pairs that differ and exits 1.
"""

import argparse
import re
import sys

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan")


def read_numbers(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    # The runner's header line describes the memref (rank, offset, sizes,
    # strides); only the data after "data =" is compared.
    if "data =" in text:
        text = text.split("data =", 1)[1]
    return [float(token) for token in NUMBER.findall(text)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reference")
    parser.add_argument("candidate")
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="largest allowed absolute difference")
    args = parser.parse_args()

    reference = read_numbers(args.reference)
    candidate = read_numbers(args.candidate)
    if not reference:
        print(f"error: no numbers in {args.reference}")
        return 1
    if len(reference) != len(candidate):
        print(f"error: {args.reference} has {len(reference)} numbers but "
              f"{args.candidate} has {len(candidate)}")
        return 1

    worst = max(abs(a - b) for a, b in zip(reference, candidate))
    if worst > args.tolerance:
        bad = [(i, a, b) for i, (a, b) in enumerate(zip(reference, candidate))
               if abs(a - b) > args.tolerance]
        for index, a, b in bad[:10]:
            print(f"element {index}: reference {a} candidate {b}")
        print(f"error: {len(bad)} of {len(reference)} numbers differ by more "
              f"than {args.tolerance} (max {worst})")
        return 1
    print(f"{len(reference)} numbers match within {args.tolerance} "
          f"(max difference {worst})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
