"""Read a Flyton project without running it and list what inphms runs differently.

``python inphms-bin flyton check PATH`` parses every ``.py`` file under
``PATH/client`` and ``PATH/server`` (``ast``, nothing is imported or run)
and reports, by file and line, each place where inphms behaves otherwise
than Apache CGI did, or refuses, with the change to make.  The rules:

- files inphms does not run: ``server/cgi-bin/*``, ``server/apis/cgi.py``
  (its dispatchers do their work), the project's copies of inphms's own
  tools (inphms's serve; the functions only the copy has are named), and
  ``api_login.py`` (inphms's login serves unless ``flyton_login`` is on);
- CGI habits: a printed ``content-type`` line, ``input()`` for the body,
  the CGI environment (``os.environ``, ``QUERY_STRING``...), ``exit()``;
- module state: ``global`` in a function (shared by every request);
- a ``client/app/<app>.py`` without ``main(data)``;
- a text ``where`` / ``set`` where the tools on this server take dicts only;
- a called name that no import gives under inphms: inphms's tools export
  only their own functions (Flyton's re-exported what they imported), and
  some Flyton functions may be missing.

What the tools offer is read from inphms's own ``tools`` modules, so the
report follows the server it runs on.
"""
import ast
import builtins
import importlib
import os

from inphms.sql import SqlError, build

CGI_ENV = ("QUERY_STRING", "REQUEST_METHOD", "HTTP_COOKIE", "CONTENT_LENGTH", "CONTENT_TYPE",
           "REMOTE_ADDR", "HTTP_HOST")
SQL_CALLS = ("find_in_sql", "count_in_sql", "insert_to_sql", "sql_order", "sql_next")
EXITS = ("exit", "quit")
SKIP_DIRS = ("__pycache__", "node_modules")


class Finding:
    def __init__(self, path, line, what, change):
        self.path = path
        self.line = line
        self.what = what
        self.change = change

    def __str__(self):
        return f"{self.path}:{self.line}: {self.what} -> {self.change}"


def inphms_tool(name):
    """inphms's module tools.<name> (imported: it is inphms's code), or None."""
    try:
        return importlib.import_module("inphms.tools." + name)
    except ImportError:
        return None


def inphms_tool_file(name):
    own = os.path.dirname(importlib.import_module("inphms.tools").__file__)
    return os.path.isfile(os.path.join(own, name + ".py"))


def exported(module):
    """The names ``from module import *`` gives."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return set(names)


def text_where_taken():
    """True when this server's tools take a text where (a parser is there)."""
    try:
        build.conditions(None, "is_active > 0")
    except SqlError as exc:
        return "must be a dict" not in str(exc)
    except Exception:
        return True
    return True


def top_level_names(tree):
    """Names a ``from <file> import *`` of this parsed file gives (Flyton style: no __all__)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    return names


class Project:
    """The project folder, its files parsed once."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.trees = {}

    def rel(self, path):
        return os.path.relpath(path, self.root)

    def parse(self, path):
        if path not in self.trees:
            try:
                with open(path, encoding="utf-8") as handle:
                    self.trees[path] = ast.parse(handle.read(), path)
            except (SyntaxError, UnicodeDecodeError, ValueError):
                self.trees[path] = None
        return self.trees[path]

    def files(self):
        for top in ("client", "server"):
            base = os.path.join(self.root, top)
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
                for filename in sorted(filenames):
                    if filename.endswith(".py"):
                        yield os.path.join(dirpath, filename)

    def module_file(self, dotted):
        """The project file of module ``dotted`` as Flyton's sys.path finds it, or None."""
        parts = dotted.split(".")
        for base in (("client", "app"), ("server", "apis"), ("server", "apis", "api")):
            path = os.path.join(self.root, *base, *parts) + ".py"
            if os.path.isfile(path):
                return path
        return None

    def star_names(self, dotted):
        """What ``from dotted import *`` gives under inphms; None when unknown."""
        if dotted == "tools" or dotted.startswith("tools."):
            name = dotted[len("tools."):]
            if name and inphms_tool_file(name):
                module = inphms_tool(name)
                return exported(module) if module else None
            path = os.path.join(self.root, "server", "apis", "tools", *name.split(".")) + ".py"
            tree = self.parse(path) if os.path.isfile(path) else None
            return top_level_names(tree) if tree else None
        path = self.module_file(dotted)
        tree = self.parse(path) if path else None
        if tree is None:
            return None
        return top_level_names(tree)


def check(root):
    """Every Finding of the project at ``root``, in file and line order."""
    project = Project(root)
    found = []
    texts = text_where_taken()
    for path in project.files():
        rel = project.rel(path)
        parts = rel.split(os.sep)
        tree = project.parse(path)
        if tree is None:
            found.append(Finding(rel, 1, "the file does not parse", "fix its syntax (Python 3)"))
            continue
        if not_run(project, rel, parts, tree, found):
            continue
        FileCheck(project, rel, parts, tree, texts, found).run()
    return found


def not_run(project, rel, parts, tree, found):
    """Findings for a file inphms does not run; True when that is the case."""
    if parts[:2] == ["server", "cgi-bin"] or parts[:3] == ["server", "apis", "cgi.py"]:
        change = "nothing: inphms's page and API dispatchers do its work"
        if parts[-1] == "cgi.py":
            change += "; its unsessions list is the api_no_session option"
        found.append(Finding(rel, 1, "not run by inphms", change))
        return True
    if parts[:3] == ["server", "apis", "tools"] and len(parts) == 4 and inphms_tool_file(parts[3][:-3]):
        name = parts[3][:-3]
        missing = sorted(top_level_functions(tree) - exported(inphms_tool(name)))
        change = f"nothing: inphms's tools.{name} serves"
        if missing:
            change += "; it has no " + ", ".join(missing) + ": move what the project needs into a tool of its own"
        found.append(Finding(rel, 1, "not used (a copy of an inphms tool)", change))
        return True
    if parts == ["server", "apis", "api", "api_login.py"]:
        found.append(Finding(rel, 1, "not served: inphms's login serves (it takes base64 sis)",
                             "set flyton_login = 1 to serve this one instead"))
    return False


def top_level_functions(tree):
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not n.name.startswith("_")}


class FileCheck(ast.NodeVisitor):
    """The rules that read inside one file."""

    def __init__(self, project, rel, parts, tree, texts, found):
        self.project = project
        self.rel = rel
        self.parts = parts
        self.tree = tree
        self.texts = texts
        self.found = found
        self.defined = set(dir(builtins)) | defined_names(tree)
        self.given = set()       # names the file's imports give under inphms
        self.unknown_star = 0    # a star import whose names are not known: no name checks

    def add(self, node, what, change):
        self.found.append(Finding(self.rel, getattr(node, "lineno", 1), what, change))

    def run(self):
        self.imports()
        if self.parts[:2] == ["client", "app"] and len(self.parts) == 3:
            if "main" not in top_level_functions(self.tree):
                self.add(self.tree, "no main(data)", f"?app={self.parts[2][:-3]} runs main(data): define it")
        self.visit(self.tree)

    def imports(self):
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            stars = [a for a in node.names if a.name == "*"]
            if not stars:
                self.check_named_import(node)
                continue
            names = self.project.star_names(node.module)
            if names is None:
                self.unknown_star = 1
                continue
            self.given |= names

    def check_named_import(self, node):
        module = node.module
        if not module.startswith("tools.") or not inphms_tool_file(module[6:]):
            return
        have = exported(inphms_tool(module[6:])) | set(vars(inphms_tool(module[6:])))
        for alias in node.names:
            if alias.name not in have:
                self.add(node, f"inphms's {module} has no {alias.name}",
                         "write it in a tool of the project (server/apis/tools/db_<x>.py) or use another")

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name):
            self.check_name_call(node, func.id)
        if isinstance(func, ast.Attribute) and func.attr == "exit" and is_name(func.value, "sys"):
            self.exit_call(node)
        self.generic_visit(node)

    def check_name_call(self, node, name):
        if name == "print" and node.args and content_type(node.args[0]):
            self.add(node, "prints a content-type header",
                     "remove the line: the server writes the headers, a printed one shows in the page")
        elif name == "input" and not node.args:
            self.add(node, "reads the request body from stdin (input())",
                     "an API gets the body as data['post']; a page gets its parameters in data")
        elif name in EXITS:
            self.exit_call(node)
        elif name in SQL_CALLS and node.args and isinstance(node.args[0], ast.Dict):
            self.text_forms(node, node.args[0])
        if name not in self.defined and name not in self.given and not self.unknown_star:
            self.add(node, f"{name}() is defined by no import under inphms",
                     "inphms's tools export only their own functions: import it from its own module "
                     "(from tools.sql import *), or write it")

    def exit_call(self, node):
        self.add(node, "exit() ends the request thread of the server, not a CGI script",
                 "return from the function instead")

    def text_forms(self, node, d):
        if self.texts:
            return
        for key, value in zip(d.keys, d.values):
            if isinstance(key, ast.Constant) and key.value in ("where", "set") and is_text(value):
                self.add(value, f"a text '{key.value}' is refused by the tools on this server",
                         f"write it as a dict: {{'is_active': ('>', 0)}} (docs/sql.md)")

    def visit_Attribute(self, node):
        if node.attr == "environ" and is_name(node.value, "os"):
            self.add(node, "reads the CGI environment (os.environ)",
                     "the query's parameters are in data (pages) or data['par'] (APIs)")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value in CGI_ENV:
            self.add(node, f"names the CGI variable {node.value}",
                     "there is no CGI environment: use data / data['par'] / data['post']")

    def visit_FunctionDef(self, node):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Global):
                self.add(sub, "global " + ", ".join(sub.names) + " in a function",
                         "a module stays loaded and its globals are shared by every request and "
                         "thread: keep per-request values in data or local variables")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def defined_names(tree):
    """Every name the file binds anywhere: defs, assignments, arguments, imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def content_type(node):
    text = node.value if isinstance(node, ast.Constant) else None
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        text = node.values[0].value
    return isinstance(text, str) and text.strip().lower().startswith("content-type")


def is_text(node):
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return is_text(node.left) or is_text(node.right)
    return False
