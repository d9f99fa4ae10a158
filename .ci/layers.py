#!/usr/bin/env python3
"""podsift-core's module layers, checked.

Lists every `use crate::...`/`super::...` import and every `crate::...` path in core/src, then
fails when
  - a top-level module imports from a layer above its own (the layers are in `.ci/layers.txt`,
    lowest first; modules on one line are one layer and may import each other), or
  - modules import each other in a cycle: top-level modules (`table` and `query`), or modules
    inside one top-level module (`sources::compress` and `sources::archive`).
Unit tests (`#[cfg(test)] mod tests`) are left out: they may reach anywhere.

    python3 .ci/layers.py            # check
    python3 .ci/layers.py --graph    # print the module graph (`a -> b  [file]`)
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "core", "src")


def module_of(path):
    parts = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return parts


def without_tests(text):
    """The text up to a `#[cfg(test)]` module, without comments."""
    m = re.search(r"#\[cfg\(test\)\]\s*mod \w+", text)
    if m:
        text = text[: m.start()]
    text = re.sub(r"//[^\n]*", "", text)
    return text


def split_top(body):
    out, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def expand(prefix, body):
    paths = []
    for item in split_top(body):
        m = re.match(r"^([\w:]*?)(?:::)?\{(.*)\}$", item, re.S)
        if m:
            paths += expand(prefix + [p for p in m.group(1).split("::") if p], m.group(2))
        else:
            paths.append(prefix + [p for p in item.split(" as ")[0].split("::") if p])
    return paths


def imports(path):
    """(target module path, as a list) for every import of a file."""
    me = module_of(path)
    # `super` of a file is its parent module; of a `mod.rs`, the parent of its folder.
    parent = me[:-1]
    text = without_tests(open(path, encoding="utf-8").read())
    found = []
    for m in re.finditer(r"\buse\s+(crate|super)::([^;]*);", text, re.S):
        found += [[m.group(1)] + p for p in expand([], m.group(2))]
    for m in re.finditer(r"(?<![\w:])(crate|super)((?:::\w+)+)", text):
        found.append([m.group(1)] + m.group(2).split("::")[1:])
    out = []
    for p in found:
        if p[0] == "crate":
            out.append(p[1:])
        else:
            base, rest = parent[:], p[1:]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            out.append(base + rest)
    return me, out


def edges():
    """{(from, to): first file} at the top level and one level down."""
    top, inner = {}, {}
    for d, _, files in os.walk(SRC):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(d, f)
            me, targets = imports(path)
            if not me:
                continue
            rel = os.path.relpath(path, ROOT)
            for t in targets:
                if not t or t == me[: len(t)]:
                    continue
                if t[0] != me[0]:
                    top.setdefault((me[0], t[0]), rel)
                elif len(me) > 1 and len(t) > 1 and me[1] != t[1] and is_module(t[:2]):
                    inner.setdefault(("::".join(me[:2]), "::".join(t[:2])), rel)
    return top, inner


def is_module(parts):
    base = os.path.join(SRC, *parts)
    return os.path.exists(base + ".rs") or os.path.exists(os.path.join(base, "mod.rs"))


def cycles(pairs):
    """Strongly connected components with more than one module (Tarjan)."""
    graph = {}
    for a, b in pairs:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    top, inner = edges()
    if "--graph" in sys.argv:
        for (a, b), f in sorted({**top, **inner}.items()):
            print(f"{a} -> {b}  [{f}]")
        return 0
    layers = {}
    for n, line in enumerate(open(os.path.join(ROOT, ".ci", "layers.txt"), encoding="utf-8")):
        line = line.split("#")[0].split()
        for m in line:
            if m in layers:
                print(f"layers: {m} is in .ci/layers.txt twice", file=sys.stderr)
                return 1
            layers[m] = n
    failed = False
    for d in sorted(os.listdir(SRC)):
        name = d[:-3] if d.endswith(".rs") else d
        if name != "lib" and name not in layers:
            print(f"layers: core/src/{d} is in no layer of .ci/layers.txt", file=sys.stderr)
            failed = True
    for (a, b), f in sorted(top.items()):
        if a in layers and b in layers and layers[b] > layers[a]:
            print(f"layers: {a} imports {b}, a layer above it ({f})", file=sys.stderr)
            failed = True
    for comp in cycles(top) + cycles(inner):
        chain = [f"{a} -> {b} ({f})" for (a, b), f in sorted({**top, **inner}.items())
                 if a in comp and b in comp]
        print("layers: modules import each other: " + ", ".join(comp), file=sys.stderr)
        for c in chain:
            print(f"    {c}", file=sys.stderr)
        failed = True
    if failed:
        return 1
    print(f"layers: ok ({len(top)} imports between {len(layers)} modules, "
          f"{len(inner)} inside them, no cycle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
