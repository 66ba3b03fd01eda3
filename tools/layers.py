#!/usr/bin/env python3
"""Checks the layering of src/ over the #include "..." lines (the test
'layers', suite unit).

Layers, lowest first; a file may include headers of its own layer and of
the layers below it, never above:

    include/turnstile < src/base < src/capture < src/vision < src/pipeline
        < src/aggregate < src/output < src/app

Fails, naming file and line, on: an include from a higher layer; a header
that resolves to no file (or to two); and any include cycle (a file that
reaches itself through its includes, two files including each other
included). Usage: layers.py [SOURCE_ROOT]
"""
import os
import re
import sys

LAYERS = ['include/turnstile', 'src/base', 'src/capture', 'src/vision', 'src/pipeline',
          'src/aggregate', 'src/output', 'src/app']
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    for i, prefix in enumerate(LAYERS):
        if rel == prefix or rel.startswith(prefix + '/'):
            return i
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..'))
    files = []
    for top in ('include', 'src'):
        for d, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(d, n), root) for n in names
                      if n.endswith(('.c', '.h'))]
    files.sort()
    by_name = {}
    for f in files:
        if f.endswith('.h') and not f.startswith('include/'):
            by_name.setdefault(os.path.basename(f), []).append(f)

    errors = []
    graph = {f: [] for f in files}
    for f in files:
        if layer_of(f) is None:
            errors.append(f'{f}: in no layer (add its folder to LAYERS)')
            continue
        with open(os.path.join(root, f), encoding='utf-8', errors='replace') as fh:
            for n, text in enumerate(fh, 1):
                m = INCLUDE.match(text)
                if not m:
                    continue
                name = m.group(1)
                beside = os.path.normpath(os.path.join(os.path.dirname(f), name))
                if name.startswith('turnstile/'):
                    found = ['include/' + name] if 'include/' + name in graph else []
                elif beside in graph:
                    found = [beside]
                else:
                    found = by_name.get(os.path.basename(name), [])
                if len(found) != 1:
                    errors.append(f'{f}:{n}: "{name}" is {"no header" if not found else "ambiguous: " + ", ".join(found)}')
                    continue
                target = found[0]
                graph[f].append((target, n))
                if layer_of(target) > layer_of(f):
                    errors.append(f'{f}:{n}: includes "{name}" ({target}) from a higher layer: '
                                  f'{LAYERS[layer_of(f)]} may use only '
                                  f'{", ".join(LAYERS[:layer_of(f) + 1])}')

    # Cycles: depth-first search, reporting each cycle once.
    state, stack, seen_cycles = {}, [], set()

    def visit(f):
        state[f] = 1
        stack.append(f)
        for target, _ in graph[f]:
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    errors.append('include cycle: ' + ' -> '.join(cycle))
            elif target not in state:
                visit(target)
        stack.pop()
        state[f] = 2

    for f in files:
        if f not in state:
            visit(f)

    for e in errors:
        print(e)
    nedges = sum(len(v) for v in graph.values())
    if errors:
        print(f'layers: {len(errors)} problem(s) in {len(files)} files')
        return 1
    print(f'layers: {len(files)} files, {nedges} includes, all downward or sideways, no cycles')
    return 0


if __name__ == '__main__':
    sys.exit(main())
