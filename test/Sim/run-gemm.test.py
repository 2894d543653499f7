"""Checks the outputs and report files of run-gemm.test."""
import csv
import json
import struct
import sys

outputs, report, trace, table = sys.argv[1:5]


def read_tensor(path, name):
    with open(path, "rb") as f:
        data = f.read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + length])
    begin, end = header[name]["data_offsets"]
    return header[name], data[8 + length + begin : 8 + length + end]


def entry(i, j):
    return (i * 7 + j * 3) % 11 - 5


info, raw = read_tensor(outputs, "c")
assert info["dtype"] == "I32" and info["shape"] == [40, 24], info
values = struct.unpack("<%di" % (40 * 24), raw)
for i in range(40):
    for j in range(24):
        expected = sum(entry(i, t) * entry(t, j) for t in range(70))
        assert values[i * 24 + j] == expected, (i, j, values[i * 24 + j], expected)

with open(report) as f:
    data = json.load(f)
assert data["cycles"] == 650, data["cycles"]
assert data["actions"]["macs"] == 40 * 24 * 70

with open(trace) as f:
    events = json.load(f)["traceEvents"]
spans = [e for e in events if e["ph"] == "X"]
assert [e["name"] for e in spans] == ["load", "load", "gemm", "store"], spans

with open(table) as f:
    rows = list(csv.DictReader(f))
cycles = [r for r in rows if r["section"] == "total" and r["metric"] == "cycles"]
assert cycles[0]["value"] == "650", cycles
