#!/usr/bin/env python3
"""readme_blocks.py WARMUP [--update] - the README's terminal examples are the command's real
output, not pasted text that drifts.

Every indented block of README.md whose first line is "$ build/warmup ..." (continued over lines
ending in a backslash) is a command and what it prints (stdout and stderr together). This runs
each command with WARMUP in place of build/warmup and compares: line by line, trailing spaces
ignored (a Markdown block cannot keep them); a block whose last line is "..." shows only the
start of the output, and only that start is compared. With --update the blocks are rewritten
from the real output (the same number of lines where a block ends in "..."); commit the result.
Prints "FAIL: ..." per differing block and "readme_blocks: N passed, N failed"; exits 1 on a
difference."""
import os
import re
import shlex
import subprocess
import sys

INDENT = "    "


def blocks(lines):
    """(start, end) line ranges of the indented blocks that begin with "$ build/warmup"."""
    i = 0
    while i < len(lines):
        if lines[i].startswith(INDENT + "$ build/warmup "):
            j = i  # a blank line belongs to the block when an indented line follows it
            while j < len(lines) and (lines[j].startswith(INDENT) or (
                    lines[j] == "" and j + 1 < len(lines) and lines[j + 1].startswith(INDENT))):
                j += 1
            yield i, j
            i = j
        else:
            i += 1


def run(warmup, cmd):
    argv = shlex.split(cmd)
    argv[0] = warmup
    env = dict(os.environ, OMP_NUM_THREADS="1", COLUMNS="80", NO_COLOR="1")
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                       timeout=120)
    return p.stdout.decode("utf-8", "replace").split("\n")


def main():
    warmup = sys.argv[1]
    update = "--update" in sys.argv[2:]
    path = "README.md"
    lines = open(path, encoding="utf-8").read().split("\n")
    out, last, passed, failed = [], 0, 0, 0
    for start, end in blocks(lines):
        body = [ln[len(INDENT):] for ln in lines[start:end]]  # a blank line stays ""
        k = 0
        cmd = body[0][2:]
        while cmd.endswith("\\"):
            k += 1
            cmd = cmd[:-1] + " " + body[k].strip()
        shown = body[k + 1:]
        partial = bool(shown) and shown[-1].strip() == "..."
        if partial:
            shown = shown[:-1]
        real = [ln.rstrip() for ln in run(warmup, cmd)]
        while real and real[-1] == "":
            real.pop()
        want = real[:len(shown)] if partial else real
        got = [ln.rstrip() for ln in shown]
        if got == want:
            passed += 1
        else:
            failed += 1
            diff = next((n for n in range(max(len(got), len(want)))
                         if n >= len(got) or n >= len(want) or got[n] != want[n]), 0)
            print("FAIL: README.md:%d: '%s' prints otherwise than shown; first difference at "
                  "output line %d:\n  shown: %r\n  real:  %r" % (
                      start + 1, cmd, diff + 1, got[diff] if diff < len(got) else None,
                      want[diff] if diff < len(want) else None))
        out += lines[last:start + k + 1]
        out += [(INDENT + ln).rstrip() for ln in want]
        if partial:
            out.append(INDENT + "...")
        last = end
    out += lines[last:]
    if update and failed:
        open(path, "w", encoding="utf-8").write("\n".join(out))
        print("readme_blocks: rewrote %d block(s) of README.md from the real output" % failed)
        failed = 0
    print("readme_blocks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
