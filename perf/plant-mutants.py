#!/usr/bin/env python3
"""Plant mutants of a Stryker report one at a time in a worktree, build, and run test classes against each.

usage: perf/plant-mutants.py REPORT WORKTREE CLASSES [STATUSES]
  REPORT    StrykerOutput/NAME/reports/mutation-report.json
  WORKTREE  a checkout of the commit the report was made on (e.g. `git worktree add /tmp/plant HEAD --detach`);
            each file is restored after its mutants
  CLASSES   comma-separated test classes after "SimdRnn.Tests.", e.g. Sgemm.GemmDriverTests,Hardening.InvalidArgumentTests
  STATUSES  which mutants (default Timeout,Survived)
  PLANT_IDS (environment, optional): only these mutant ids, comma-separated (e.g. the ones an earlier planting left alive)

Prints one line per mutant: its id, status, line, replacement, and each class's result (rc 0: every test passed, so
the mutant survives that set). Under load Stryker reports as Timeout mutants whose tests pass (see
tests/mutation/scores.md): this tells them apart. Builds and tests run at nice 19; about 40 s a mutant.
"""
import json, os, re, signal, subprocess, sys, time

# Killed (SIGTERM), still put the file back (the finally below).
signal.signal(signal.SIGTERM, lambda *_: sys.exit('terminated'))

report, worktree, classes = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
statuses = sys.argv[4].split(',') if len(sys.argv) > 4 else ['Timeout', 'Survived']
only = set(os.environ['PLANT_IDS'].split(',')) if os.environ.get('PLANT_IDS') else None
tests = os.path.join(worktree, 'tests/SimdRnn.Tests/bin/Release/net10.0/SimdRnn.Tests')
for name, entry in json.load(open(report))['files'].items():
    path = os.path.join(worktree, name[name.index('src/SimdRnn/'):])
    original = open(path).read()
    lines = original.split('\n')
    offset = lambda p: sum(len(l) + 1 for l in lines[:p['line'] - 1]) + p['column'] - 1  # 1-based line and column
    try:
        for m in entry['mutants']:
            if m['status'] not in statuses or (only is not None and str(m['id']) not in only):
                continue
            start, end = m['location']['start'], m['location']['end']
            # A removed statement: `{ }` rather than `;`, which the build refuses (CS0642 is an error here).
            replacement = '{ }' if m['replacement'] == ';' else m['replacement']
            open(path, 'w').write(original[:offset(start)] + replacement + original[offset(end):])
            began = time.time()
            build = subprocess.run(['nice', '-n', '19', 'dotnet', 'build', '-c', 'Release', 'tests/SimdRnn.Tests'],
                                   cwd=worktree, capture_output=True, text=True)
            if build.returncode != 0:
                print(f"{m['id']} {m['status']} line {start['line']}: {replacement[:70]!r}: build failed", flush=True)
                continue
            results = []
            for c in classes:
                try:
                    run = subprocess.run(['nice', '-n', '19', tests, '-noColor', '-noLogo', '-class', 'SimdRnn.Tests.' + c],
                                         cwd=worktree, capture_output=True, text=True, timeout=240)
                    summary = [l.strip() for l in run.stdout.split('\n') if 'Total:' in l]
                    if summary and re.search(r'Total: 0(?!\d)', summary[-1]):
                        sys.exit(f"no test of {c} ran: check the class name")
                    results.append(f"{c}: rc {run.returncode} {summary[-1] if summary else '(no summary: crashed)'}")
                except subprocess.TimeoutExpired:
                    results.append(f"{c}: hung (240 s)")
            print(f"{m['id']} {m['status']} line {start['line']}: {replacement[:70]!r} [{time.time() - began:.0f} s] "
                  + ' | '.join(results), flush=True)
    finally:
        open(path, 'w').write(original)
