"""The import graph of inphms/ runs one way: no cycle, no import inside a function without a reason.

The graph is read by tests/tools/import_graph.py (``python tests/tools/import_graph.py``
prints it).  The launcher's own imports must leave gevent room to patch
first: no ``socket`` imported and no thread started before ``main()`` runs.
"""
import os
import subprocess
import sys
import textwrap

from tests.tools import import_graph

ROOT = import_graph.ROOT


def graph(root=ROOT):
    modules = import_graph.module_files(root)
    imports = import_graph.read_imports(modules)
    return modules, imports


def test_inphms_has_no_import_cycle():
    modules, imports = graph()
    assert len(modules) > 50            # the package itself was read, not an empty folder
    assert import_graph.cycles(modules, imports) == []


def test_every_import_inside_a_function_says_why():
    _, imports = graph()
    lazy = [i for i in imports if i.function]
    assert lazy, "the lazy imports that have a reason (gevent, an engine) were not seen"
    assert import_graph.unexplained(imports) == []


def test_the_checker_finds_a_cycle_and_an_unexplained_lazy_import(tmp_path):
    package = tmp_path / "inphms"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "low.py").write_text("import os\n")
    (package / "answers.py").write_text("from . import low\n")
    (package / "app.py").write_text(textwrap.dedent("""\
        from .answers import low

        def serve():
            from .sub import disp
            return disp
        """))
    (package / "sub" / "disp.py").write_text(textwrap.dedent("""\
        from inphms import app

        def optional():
            # lazy: an optional extra
            import gevent
            return gevent

        def bare():
            import json
            return json
        """))
    modules, imports = graph(str(tmp_path))
    assert import_graph.cycles(modules, imports) == [["inphms.app", "inphms.sub.disp"]]
    found = {(i.source, i.target, i.function) for i in import_graph.unexplained(imports)}
    assert found == {("inphms.app", "inphms.sub.disp", "serve"), ("inphms.sub.disp", None, "bare")}
    # and the script says so with its exit status
    run = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "tools", "import_graph.py"),
                          "--root", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "cycles: 1" in run.stdout and "inphms/app.py:4 in serve() -> inphms.sub.disp" in run.stdout


def test_the_inphms_graph_script_passes():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "tools", "import_graph.py")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout
    assert "cycles: 0" in run.stdout and "\nlayer 0:\n" in run.stdout


def test_the_launcher_imports_no_socket_and_starts_no_thread_before_gevent_patches():
    # what inphms-bin imports before main() parses the command line and,
    # for --evented, applies gevent's patching
    probe = ("import sys, threading\n"
             "import inphms.cli\n"
             "print(sorted(m for m in ('socket', 'ssl', 'selectors', 'gevent') if m in sys.modules),"
             " threading.active_count())\n")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[]", "1"]
