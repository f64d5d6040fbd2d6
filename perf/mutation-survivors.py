#!/usr/bin/env python3
"""Summarise a Stryker.NET mutation-report.json: score and every mutant that is not killed.

usage: perf/mutation-survivors.py StrykerOutput/FOLDER/reports/mutation-report.json [--all]
Lines: status  file:line:column  mutator  original -> replacement (from the report's source text).
"""
import json
import signal
import sys
from collections import Counter

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # perf/mutate.sh reads only the first line
report = json.load(open(sys.argv[1]))
show_all = "--all" in sys.argv
counts = Counter()
rows = []
for path, entry in sorted(report["files"].items()):
    lines = entry["source"].split("\n")
    short = path[path.find("src/SimdRnn/"):] if "src/SimdRnn/" in path else path
    for m in entry["mutants"]:
        status = m["status"]
        counts[status] += 1
        if status in ("Killed", "Timeout", "CompileError", "Ignored") and not show_all:
            continue
        start, end = m["location"]["start"], m["location"]["end"]
        if start["line"] == end["line"]:
            original = lines[start["line"] - 1][start["column"] - 1:end["column"] - 1]
        else:
            original = lines[start["line"] - 1][start["column"] - 1:] + " ..."
        rows.append(f"{status:10} {short}:{start['line']}:{start['column']}  {m['mutatorName']}:  "
                    f"{original.strip()[:90]}  ->  {m.get('replacement', '').strip()[:90]}")

detected = counts["Killed"] + counts["Timeout"]
undetected = counts["Survived"] + counts["NoCoverage"]
valid = detected + undetected
print("  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
if valid:
    print(f"mutation score {100 * detected / valid:.2f} % ({detected} detected of {valid}; covered only: "
          f"{100 * detected / max(1, detected + counts['Survived']):.2f} %)")
print("\n".join(rows))
