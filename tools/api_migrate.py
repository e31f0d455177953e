#!/usr/bin/env python3
"""api_migrate.py - rewrite C sources, scripts and docs from libwarmup's 0.1 API to 0.2.

    python3 tools/api_migrate.py [--check] [PATH...]     (default: the repository root)

What it changes (CHANGELOG.md lists the same, with the reasons):
  - renames with the out-parameter moved first, at every call, also calls split across lines:
        wu_schedule_parse(spec, opts, &out, err)      -> wu_sched_parse(&out, spec, opts, err)
        wu_sched_group_lrs(groups, n, step, out)      -> wu_sched_lrs(out, groups, n, step)
        wu_optim_decay_groups(views, nviews, vg)      -> wu_optim_split_decay(vg, views, nviews)
        wu_suggest(&in, &out, err)                    -> wu_suggest_warmup(&out, &in, err)
  - plain renames: wu_schedule_destroy -> wu_sched_destroy,
    wu_clip_grad_norm -> wu_optim_clip_grad_norm, the type wu_rule -> wu_suggest_rule;
  - mentions without a call (prose, `name()` in Markdown) are renamed too;
  - a continuation line aligned under a renamed call's arguments, and a comment aligned in a
    column after it, keep their alignment;
  - `#define WU_ERUN ...` is removed from every header but include/warmup.h (it is now part of
    warmup.h's wu_status);
  - `bad = choice(..., &x.optimizer);` (and .scenario): these fields are typed enums now, so the
    value is read into an int first.

It is idempotent: every rewritten call gets a new name, so a second run finds nothing to do.
What it cannot rewrite safely it leaves alone and reports on stderr (a call to an old name with
an unexpected number of arguments, a use of wu_optim_step's result, which is now void); the
exit status is then 1. --check changes nothing and exits 1 when something would change.

Skipped: .git, build*/ directories, test fixtures and goldens, fuzz corpora, docs/img,
CHANGELOG.md (it quotes the old names on purpose) and this script.
"""
import os
import re
import sys

# old name -> (new name, permutation: new argument i is old argument perm[i]), None: any count
RENAMES = {
    "wu_schedule_parse": ("wu_sched_parse", [2, 0, 1, 3]),
    "wu_sched_group_lrs": ("wu_sched_lrs", [3, 0, 1, 2]),
    "wu_optim_decay_groups": ("wu_optim_split_decay", [2, 0, 1]),
    "wu_suggest": ("wu_suggest_warmup", [1, 0, 2]),
    "wu_schedule_destroy": ("wu_sched_destroy", None),
    "wu_clip_grad_norm": ("wu_optim_clip_grad_norm", None),
    "wu_rule": ("wu_suggest_rule", None),
}

EXTS = (".c", ".h", ".md", ".sh", ".py", ".in", ".txt")
SKIP_DIRS = {".git", "tests/fixtures", "tests/golden", "fuzz/corpus", "fuzz/regressions",
             "docs/img"}
SKIP_FILES = {"CHANGELOG.md", "tools/api_migrate.py"}

NAME_RE = re.compile(r"\b(" + "|".join(sorted(RENAMES, key=len, reverse=True)) + r")\b")
ERUN_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+WU_ERUN\b[^\n]*\n", re.M)
CHOICE_RE = re.compile(r"^(?P<ind>[ \t]*)(?P<label>case \w+:[ \t]*)?bad = choice\("
                       r"(?P<args>[^;()\n]*?),\s*&(?P<obj>[A-Za-z_]\w*)(?P<op>\.|->)"
                       r"(?P<field>optimizer|scenario)\);[ \t]*(?P<brk>break;)?[ \t]*$", re.M)
STEP_RESULT_RE = re.compile(r"(=|\breturn|\bif\s*\(|[!=]=)\s*wu_optim_step(_lr)?\s*\(")

warnings = []


def scan_call(text, open_at):
    """Given text[open_at] == '(', return (close_index, [(start, end) of each argument]) for
    the balanced call, skipping strings, character literals and comments; None when the
    parenthesis is not closed (prose)."""
    depth = 0
    i = open_at
    args = []
    start = open_at + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            q = c
            i += 1
            while i < n and text[i] != q:
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    return None  # an unterminated literal: not C
                i += 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                return None
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n - 1 if j < 0 else j
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                if c != ")":
                    return None
                args.append((start, i))
                return i, args
            if depth < 0:
                return None
        elif c == "," and depth == 1:
            args.append((start, i))
            start = i + 1
        i += 1
    return None


def line_col(text, pos):
    return pos - (text.rfind("\n", 0, pos) + 1)


def realign(segment, paren_col, delta):
    """Shift continuation lines inside a call that sit under its arguments (indented at least
    to the column after the open parenthesis) by delta columns."""
    if delta == 0 or "\n" not in segment:
        return segment

    def fix(m):
        ind = m.group(1)
        if "\t" in ind or len(ind) < paren_col + 1:
            return m.group(0)
        return "\n" + " " * max(0, len(ind) + delta)
    return re.sub(r"\n([ \t]*)(?=\S)", fix, segment)


def rewrite_calls(text, path):
    out = []
    pos = 0
    for m in NAME_RE.finditer(text):
        if m.start() < pos:
            continue
        old = m.group(1)
        new, perm = RENAMES[old]
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        call = scan_call(text, j) if j < len(text) and text[j] == "(" else None
        if call is None:  # a mention, not a call: rename only
            out.append(text[pos:m.start()])
            out.append(new)
            pos = m.end()
            continue
        close, spans = call
        inner = text[j + 1:close]
        nargs = 0 if inner.strip() == "" else len(spans)
        if perm is not None and nargs not in (0, len(perm)):
            lineno = text.count("\n", 0, m.start()) + 1
            warnings.append(f"{path}:{lineno}: {old}() with {nargs} arguments, expected "
                            f"{len(perm)}: left alone, rewrite it by hand as {new}()")
            out.append(text[pos:close + 1])
            pos = close + 1
            continue
        if perm is not None and nargs == len(perm):
            pieces = [text[a:b] for a, b in spans]
            lead = re.match(r"\s*", pieces[0]).group(0)
            trail = re.search(r"\s*$", pieces[-1]).group(0)
            stripped = [p.strip() for p in pieces]
            seps = [re.match(r"\s*", p).group(0) for p in pieces[1:]]
            args = [stripped[k] for k in perm]
            body = lead + args[0]
            for k in range(1, len(args)):
                body += "," + seps[k - 1] + args[k]
            inner = body + trail
        delta = len(new) - len(old)
        inner = realign(inner, line_col(text, j), delta)
        out.append(text[pos:m.start()])
        out.append(new + text[m.end():j + 1] + inner + ")")
        pos = close + 1
        # a trailing comment aligned in a column after the call stays in its column
        tail = re.match(r"(;?)( {2,})(?=/[*/])", text[pos:])
        if tail and delta and "\n" not in inner:
            out.append(tail.group(1) + " " * max(1, len(tail.group(2)) - delta))
            pos += tail.end()
    out.append(text[pos:])
    return "".join(out)


def rewrite_choice(text):
    def fix(m):
        ind, label = m.group("ind"), m.group("label") or ""
        body = [f"int pick = 0;",
                f"bad = choice({m.group('args')}, &pick);",
                f"{m.group('obj')}{m.group('op')}{m.group('field')} = pick;"]
        if m.group("brk"):
            body.append("break;")
        return (f"{ind}{label.rstrip()}{' ' if label else ''}{{\n" +
                "".join(f"{ind}    {b}\n" for b in body) + f"{ind}}}")
    return CHOICE_RE.sub(fix, text)


def remove_erun(text):
    """Drop the line `#define WU_ERUN ...`, and a blank line it leaves doubled."""
    m = ERUN_RE.search(text)
    if not m:
        return text
    before, after = text[:m.start()], text[m.end():]
    if before.endswith("\n\n") and after.startswith("\n"):
        after = after[1:]
    return before + after


def migrate(text, rel):
    new = rewrite_calls(text, rel)
    if rel.endswith(".h") and rel != "include/warmup.h":
        new = remove_erun(new)
    if rel.endswith(".c"):
        new = rewrite_choice(new)
        for m in STEP_RESULT_RE.finditer(new):
            lineno = new.count("\n", 0, m.start()) + 1
            warnings.append(f"{rel}:{lineno}: uses the result of wu_optim_step, which returns "
                            "void now: drop the test by hand")
    return new


def files(root, paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for d, subdirs, names in os.walk(p):
            reld = os.path.relpath(d, root).replace(os.sep, "/")
            subdirs[:] = sorted(s for s in subdirs
                                if not s.startswith("build") and s != ".git" and
                                (s if reld == "." else reld + "/" + s) not in SKIP_DIRS)
            for n in sorted(names):
                if n.endswith(EXTS) or n == "Makefile":
                    yield os.path.join(d, n)


def main(argv):
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not paths:
        paths = [root]
    changed = []
    for f in files(root, paths):
        rel = os.path.relpath(os.path.abspath(f), root).replace(os.sep, "/")
        if rel in SKIP_FILES:
            continue
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except (UnicodeDecodeError, OSError):
            continue
        new = migrate(text, rel)
        if new != text:
            changed.append(rel)
            if not check:
                with open(f, "w", encoding="utf-8") as fh:
                    fh.write(new)
            for k, line in enumerate(new.split("\n"), 1):
                if len(line) > 100 and line not in text and not line.startswith("|"):
                    warnings.append(f"{rel}:{k}: now {len(line)} columns, over 100: rewrap it")
    for c in changed:
        print(("would change " if check else "changed ") + c)
    for w in warnings:
        print("api_migrate: " + w, file=sys.stderr)
    return 1 if warnings or (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
