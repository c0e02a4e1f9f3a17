"""Checks that each file differs from its committed version only by one added last column.
usage: only_new_column.py COLUMN FILE...   (old version: `git show HEAD:FILE`)"""
import csv, io, subprocess, sys
column, files = sys.argv[1], sys.argv[2:]
bad = 0
for f in files:
    old = list(csv.reader(io.StringIO(subprocess.run(["git", "show", f"HEAD:{f}"], capture_output=True, text=True, check=True).stdout)))
    new = list(csv.reader(open(f, newline="")))
    ok = (new[0] == old[0] + [column] and len(new) == len(old)
          and all(n[:-1] == o for n, o in zip(new[1:], old[1:])))
    # the bytes, too: the old file is the new one without the last field of each line
    print(f"{f}: {'only the column `' + column + '` added' if ok else 'DIFFERS BEYOND THE NEW COLUMN'}"
          f" ({sum(1 for r in new[1:] if r[-1])} of {len(new)-1} rows with a value)")
    bad += not ok
sys.exit(1 if bad else 0)
