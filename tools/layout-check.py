#!/usr/bin/env python3
"""layout-check.py — the tree's shape rules (issue 8), checked in make test.

  1. no source file outside tests/ over MAX_FILE lines;
  2. no function over MAX_FUNC lines (a body from a '{' in column 0 to the
     next '}' in column 0, the way every function here is written);
  3. no loop in the link graph of the programs' objects: object A depends on
     B when A uses a symbol B defines (nm), so a lower layer that calls up by
     name, or two files that call each other, show as a cycle;
  4. no loop between source files of different folders through #include;
  5. no OS test in a preprocessor condition outside port/ (STYLE.md).

Usage: layout-check.py [--tap] [OBJ_DIR]   (OBJ_DIR: build/<x>/obj, for rule 3)
Prints one line per finding and 'layout: N problems' (or, with --tap, one
TAP line per rule, after a self-test that each rule sees a planted fault);
exit 1 on any."""
import os
import re
import subprocess
import sys
import tempfile

MAX_FILE = 800
MAX_FUNC = 150
SKIP_DIRS = {"tests", "build", ".git", "run", "docs"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
OS_TEST = re.compile(r'^\s*#\s*(if|ifdef|ifndef|elif)\b.*\b(__linux__|__linux|linux|_WIN32|_WIN64|__MINGW32__|'
                     r'__MINGW64__|__CYGWIN__|__APPLE__|__MACH__|__FreeBSD__|__NetBSD__|__OpenBSD__|'
                     r'__DragonFly__|BSD|__sun|__unix__|__unix)\b')


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


def check_sizes(root, files, problems, fproblems=None):
    fproblems = problems if fproblems is None else fproblems
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
                    fproblems.append(f"{f}:{start}: function '{name}' is {n} lines (max {MAX_FUNC})")
                start = None


def check_os_tests(root, files, problems):
    for f in files:
        if f.split(os.sep)[0] == "port":
            continue
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if OS_TEST.match(line):
                    problems.append(f"{f}:{i}: OS test outside port/: {line.strip()}")


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


def check_links(objdir, problems, root=None):
    """Objects whose source is gone (a stale build) are left out."""
    objs = []
    for d, _, files in os.walk(objdir):
        rel = os.path.relpath(d, objdir)
        if rel.split(os.sep)[0] in ("tests", "gen"):
            continue
        objs += [os.path.join(d, f) for f in files if f.endswith(".o") and
                 (root is None or os.path.exists(os.path.join(root, rel, f[:-2] + ".c")))]
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


def selftest():
    """Each rule must see a fault planted in a scratch tree."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "x"))
        os.makedirs(os.path.join(d, "y"))
        long_fn = "int f(void)\n{\n" + "\tint a = 0;\n" * (MAX_FUNC + 1) + "\treturn 0;\n}\n"
        with open(os.path.join(d, "x", "big.c"), "w") as fh:
            fh.write("#ifdef _WIN32\n#endif\n" + long_fn + "\n" * MAX_FILE)
        with open(os.path.join(d, "x", "a.h"), "w") as fh:
            fh.write('#pragma once\n#include "y/b.h"\nvoid a(int);\n')
        with open(os.path.join(d, "y", "b.h"), "w") as fh:
            fh.write('#pragma once\n#include "x/a.h"\nvoid b(int);\n')
        with open(os.path.join(d, "x", "a.c"), "w") as fh:
            fh.write('#include "x/a.h"\nvoid a(int n) { if (n) b(n - 1); }\n')
        with open(os.path.join(d, "y", "b.c"), "w") as fh:
            fh.write('#include "y/b.h"\nvoid b(int n) { if (n) a(n - 1); }\n')
        obj = os.path.join(d, "obj")
        os.makedirs(obj)
        for n in ("x/a", "y/b"):
            os.makedirs(os.path.dirname(os.path.join(obj, n)), exist_ok=True)
            subprocess.run(["cc", "-c", "-I", d, "-o", os.path.join(obj, n + ".o"),
                            os.path.join(d, n + ".c")], check=True)
        files = list(sources(d))
        sizes, funcs, incs, calls, oses = [], [], [], [], []
        check_sizes(d, files, sizes, funcs)
        check_includes(d, files, incs)
        check_links(obj, calls)
        check_os_tests(d, files, oses)
        return (len(sizes), len(funcs), len(incs), len(calls), len(oses)) == (1, 1, 1, 1, 1)


def main():
    args = [a for a in sys.argv[1:] if a != "--tap"]
    tap = len(args) != len(sys.argv) - 1
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = list(sources(root))
    sizes, funcs, incs, calls, oses = [], [], [], [], []
    check_sizes(root, files, sizes, funcs)
    check_includes(root, files, incs)
    check_os_tests(root, files, oses)
    if args:
        check_links(args[0], calls, root)
    problems = sizes + funcs + incs + oses + calls
    if tap:
        rules = [("each rule sees a planted fault", [] if selftest() else ["self-test failed"]),
                 (f"no source file over {MAX_FILE} lines", sizes),
                 (f"no function over {MAX_FUNC} lines", funcs),
                 ("no include loop across folders", incs),
                 ("no OS test in a preprocessor condition outside port/", oses)]
        if args:
            rules.append(("no call loop between objects", calls))
        print(f"1..{len(rules)}")
        for i, (name, found) in enumerate(rules, 1):
            print(f"{'not ok' if found else 'ok'} {i} - {name}")
            for p in found:
                print(f"# {p}")
        return 1 if any(found for _, found in rules) else 0
    for p in problems:
        print(p)
    print(f"layout: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
