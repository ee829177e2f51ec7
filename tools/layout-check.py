#!/usr/bin/env python3
"""layout-check.py — the tree's shape rules (issue 8), checked in make test.

  1. no source file outside tests/ over MAX_FILE lines;
  2. no function over MAX_FUNC lines (a body from a '{' in column 0 to the
     next '}' in column 0, the way every function here is written);
  3. no loop in the link graph of the programs' objects: object A depends on
     B when A uses a symbol B defines (nm), so a lower layer that calls up by
     name, or two files that call each other, show as a cycle;
  4. no loop between source files of different folders through #include.

Usage: layout-check.py [OBJ_DIR]   (OBJ_DIR: build/<x>/obj, for rule 3)
Prints one line per finding and 'layout: N problems'; exit 1 on any."""
import os
import re
import subprocess
import sys

MAX_FILE = 800
MAX_FUNC = 150
SKIP_DIRS = {"tests", "build", ".git", "run", "docs"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root):
    for d, subdirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        top = rel.split(os.sep)[0]
        if top in SKIP_DIRS:
            subdirs[:] = []
            continue
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.normpath(os.path.join(rel, f))


def check_sizes(root, files, problems):
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
        if len(lines) - 1 > MAX_FILE:
            problems.append(f"{f}: {len(lines) - 1} lines (max {MAX_FILE})")
        start = None
        for i, line in enumerate(lines):
            if line.startswith("{"):
                start = i
            elif line.startswith("}") and start is not None:
                n = i - start - 1
                if n > MAX_FUNC:
                    name = lines[start - 1].strip() if start else "?"
                    problems.append(f"{f}:{start}: function '{name}' is {n} lines (max {MAX_FUNC})")
                start = None


def sccs(graph):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def check_includes(root, files, problems):
    graph = {}
    for f in files:
        deps = set()
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = INCLUDE.match(line)
                if m and os.path.exists(os.path.join(root, m.group(1))):
                    deps.add(os.path.normpath(m.group(1)))
        graph[f] = deps
    # a .c and its .h are one module
    mod = lambda p: os.path.splitext(p)[0]
    mgraph = {}
    for f, deps in graph.items():
        mgraph.setdefault(mod(f), set()).update(mod(d) for d in deps if mod(d) != mod(f))
    for comp in sccs(mgraph):
        if len({os.path.dirname(c) for c in comp}) > 1:
            problems.append("include loop across folders: " + " -> ".join(comp))


def check_links(objdir, problems):
    objs = []
    for d, _, files in os.walk(objdir):
        rel = os.path.relpath(d, objdir)
        if rel.split(os.sep)[0] in ("tests", "gen"):
            continue
        objs += [os.path.join(d, f) for f in files if f.endswith(".o")]
    defined, used = {}, {}
    for o in objs:
        name = os.path.relpath(o, objdir)[:-2]
        out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                defined.setdefault(parts[2], name)
        out = subprocess.run(["nm", "-u", o], capture_output=True, text=True).stdout
        used[name] = {l.split()[-1] for l in out.splitlines() if l.strip()}
    graph = {n: {defined[s] for s in syms if s in defined and defined[s] != n} for n, syms in used.items()}
    for comp in sccs(graph):
        problems.append("call loop between objects: " + " <-> ".join(comp))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = list(sources(root))
    problems = []
    check_sizes(root, files, problems)
    check_includes(root, files, problems)
    if len(sys.argv) > 1:
        check_links(sys.argv[1], problems)
    for p in problems:
        print(p)
    print(f"layout: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
