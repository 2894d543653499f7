#!/usr/bin/env python3
"""Prints the MACs of one stage, summed over layers, from lapa-sim JSON.

Usage: stage_macs.py REPORT.json STAGE
"""
import json
import sys

report = json.load(open(sys.argv[1]))
total = sum(group["actions"]["macs"] for group in report["stages"]
            if group["stage"] == sys.argv[2])
print("%s macs %d" % (sys.argv[2], total))
