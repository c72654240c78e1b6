#!/usr/bin/env python3
"""Sums meson's testlog.json files into the closing line "N passed, N failed"
(", N skipped" when any) and exits 1 if anything failed."""
import json
import sys


def main(argv):
    extra_failed = 0
    paths = []
    it = iter(argv)
    for a in it:
        if a == "--extra-failed":
            extra_failed = int(next(it))
        else:
            paths.append(a)
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except OSError:
            failed += 1  # a suite that did not even run is a failure
            print(f"missing test log {path}", file=sys.stderr)
            continue
        for n, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                continue
            try:
                result = json.loads(line).get("result")
            except (ValueError, AttributeError):
                # Two meson runs writing one log, or a disk error: a
                # result nobody can read is a failure, never a pass.
                print(f"{path}:{n}: not a test result", file=sys.stderr)
                failed += 1
                continue
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    failed += extra_failed
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
