"""Draw the import graph of the ``inphms`` package and name what breaks its layering.

    python tests/tools/import_graph.py            modules in layers, then the problems
    python tests/tools/import_graph.py --dot      the same graph for graphviz (dot -Tsvg)
    python tests/tools/import_graph.py --root DIR the package inphms/ under DIR instead

It reads the source (nothing is imported) of every module of ``inphms/``
except the addons shipped inside it (addon code is loaded by the runtime,
never imported by it).  An edge is an ``import`` of another inphms module;
``tools.X`` is ``inphms.tools.X`` (the alias Flyton code uses).  It reports:

- cycles: modules that import each other, directly or through others,
  counting imports inside functions (those only hide a cycle until run time);
- imports inside a function with no reason: a lazy import must carry a
  comment starting ``# lazy:`` on its line or the line above it, saying why
  (an optional dependency, gevent's patching that must come first, ...).

When the graph has no cycle the modules are printed by layer: a module's
layer is one more than the highest layer it imports, so layer 0 imports no
other inphms module and every import points to a lower layer.
Exit status: 0 when there is neither a cycle nor an unexplained lazy import,
1 otherwise.
"""
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = "inphms"
SKIPPED = (os.path.join(PACKAGE, "addons"),)
LAZY_MARK = "# lazy:"


def module_files(root=ROOT):
    """{module name: file path} of every module of the package."""
    found = {}
    base = os.path.join(root, PACKAGE)
    for folder, dirs, files in os.walk(base):
        rel = os.path.relpath(folder, root)
        if rel.startswith(SKIPPED) or "__pycache__" in rel:
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            parts = rel.split(os.sep)
            if name != "__init__.py":
                parts.append(name[:-3])
            found[".".join(parts)] = os.path.join(folder, name)
    return found


class Import:
    """One import of an inphms module: who, whom, where, and whether inside a function."""

    def __init__(self, source, target, line, function, explained):
        self.source, self.target, self.line = source, target, line
        self.function = function        # the enclosing function's name, or None
        self.explained = explained      # a lazy import with its reason comment

    def __repr__(self):
        return f"{self.source}:{self.line} -> {self.target}"


def resolve(name, modules):
    """The inphms module an imported dotted name designates, or None."""
    if name == "tools" or name.startswith("tools."):
        name = PACKAGE + "." + name
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imported_names(node, module, is_package):
    """The dotted names an import statement may load (``from a import b``: a.b, else a)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        keep = len(anchor) - node.level + (1 if is_package else 0)
        base = ".".join(anchor[:keep] + ([base] if base else []))
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names] + [base]


def explained(lines, lineno):
    """True when the import's line, or the comment block right above it, gives the reason."""
    if LAZY_MARK in lines[lineno - 1]:
        return True
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        if lines[index].strip().startswith(LAZY_MARK):
            return True
        index -= 1
    return False


def read_imports(modules):
    """Every import of one inphms module by another, as ``Import`` objects."""
    found = []
    for module, path in modules.items():
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        lines = text.splitlines()
        tree = ast.parse(text, path)
        is_package = path.endswith("__init__.py")

        def visit(node, function):
            for child in ast.iter_child_nodes(node):
                inner = function
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    inner = getattr(child, "name", "<lambda>")
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    targets = []
                    for name in imported_names(child, module, is_package):
                        target = resolve(name, modules) if name else None
                        if target and target != module and target not in targets:
                            targets.append(target)
                    if function and not targets:
                        # a lazy import of another library still needs its reason
                        targets = [None]
                    # ``from pkg import a, b``: the package itself only when nothing finer matched
                    if len(targets) > 1:
                        parent_only = [t for t in targets if not any(o.startswith(t + ".") for o in targets if o != t)]
                        targets = parent_only
                    for target in targets:
                        found.append(Import(module, target, child.lineno, function,
                                            function is None or explained(lines, child.lineno)))
                visit(child, inner)

        visit(tree, None)
    return found


def cycles(modules, imports):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    graph = {m: sorted({i.target for i in imports if i.source == m and i.target}) for m in modules}
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def strong(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                strong(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(modules)))
    for node in modules:
        if node not in index:
            strong(node)
    return sorted(result)


def layers(modules, imports):
    """{module: layer}; only meaningful when there is no cycle."""
    graph = {m: {i.target for i in imports if i.source == m and i.target} for m in modules}
    layer = {}

    def depth(node, seen=()):
        if node in layer:
            return layer[node]
        if node in seen:
            return 0
        layer[node] = value = 1 + max((depth(t, seen + (node,)) for t in graph[node]), default=-1)
        return value

    for node in modules:
        depth(node)
    return layer


def unexplained(imports):
    return [i for i in imports if i.function and not i.explained]


def report(root=ROOT, out=sys.stdout):
    modules = module_files(root)
    imports = read_imports(modules)
    found_cycles = cycles(modules, imports)
    lazy = unexplained(imports)
    edges = {(i.source, i.target) for i in imports if i.target}
    print(f"{len(modules)} modules, {len(edges)} import edges "
          f"({sum(1 for i in imports if i.function and i.target)} of them inside functions)", file=out)
    if not found_cycles:
        by_layer = {}
        for module, number in layers(modules, imports).items():
            by_layer.setdefault(number, []).append(module)
        for number in sorted(by_layer):
            print(f"\nlayer {number}:", file=out)
            for module in sorted(by_layer[number]):
                targets = sorted({i.target for i in imports if i.source == module and i.target})
                print(f"  {module}" + (f" -> {', '.join(targets)}" if targets else ""), file=out)
    else:
        print("", file=out)
        for module in modules:
            targets = sorted({i.target for i in imports if i.source == module and i.target})
            print(f"  {module}" + (f" -> {', '.join(targets)}" if targets else ""), file=out)
    print(f"\ncycles: {len(found_cycles)}", file=out)
    for component in found_cycles:
        print("  " + " <-> ".join(component), file=out)
    print(f"imports inside functions without a '{LAZY_MARK}' reason: {len(lazy)}", file=out)
    for item in lazy:
        path = os.path.relpath(module_files(root)[item.source], root)
        print(f"  {path}:{item.line} in {item.function}() -> {item.target or 'another library'}",
              file=out)
    return 1 if found_cycles or lazy else 0


def dot(root=ROOT, out=sys.stdout):
    modules = module_files(root)
    imports = read_imports(modules)
    print("digraph inphms {\n  rankdir=LR;\n  node [shape=box, fontsize=10];", file=out)
    for source, target in sorted({(i.source, i.target) for i in imports if i.target}):
        style = "" if all(not i.function for i in imports
                          if (i.source, i.target) == (source, target)) else " [style=dashed]"
        print(f'  "{source}" -> "{target}"{style};', file=out)
    print("}", file=out)
    return 0


def main(args):
    root = ROOT
    if "--root" in args:
        root = args[args.index("--root") + 1]
    return dot(root) if "--dot" in args else report(root)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
