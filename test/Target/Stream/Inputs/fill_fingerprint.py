#!/usr/bin/env python3
"""Copies an assembly stream, replacing @FP@ with a configuration's fingerprint.

Usage: fill_fingerprint.py STREAM.s HW_CHECK_OUTPUT. The fingerprint is read
from the `fingerprint 0x...` line that `lapa-hw check` prints, so the test
streams stay valid when the example configuration changes.
"""
import re
import sys

summary = open(sys.argv[2]).read()
match = re.search(r"fingerprint\s+(0x[0-9a-f]+)", summary)
if not match:
    sys.exit("no fingerprint line in " + sys.argv[2])
sys.stdout.write(open(sys.argv[1]).read().replace("@FP@", match.group(1)))
