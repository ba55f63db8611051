"""The dependency runs one way: inphms.auth -> inphms.sql; tools -> inphms.auth; the runtime -> inphms.auth.

Read from the source (``ast``), imports inside functions included: the
auth package never imports the Flyton tools (an addon-facing layer a
project may shadow), and the runtime code that applies a login or session
rule (dispatchers, CLI, server, inphms.wsgi, the built-in login APIs, the
ses_expire job, the users page) never reaches it through tools.db_ses,
tools.db_users or tools.kictotp.
"""
import ast
from pathlib import Path

import inphms

ROOT = Path(inphms.__file__).resolve().parent
AUTH_TOOLS = ("db_ses", "db_users", "kictotp")
RUNTIME = ["dispatchers", "cli", "service", "wsgi.py", "http.py",
           "addons/base/server/apis/api/api_login.py", "addons/base/server/apis/api/api_mfa.py",
           "addons/base/server/apis/api/api_logout.py",
           "addons/base/server/apis/tools/cron/ses_expire.py", "addons/web/client/admin/users.py"]
THIN_TOOLS = ["tools/db_ses.py", "tools/db_users.py", "tools/kictotp.py"]


def imported(path):
    """Every module name an import statement of ``path`` names (``from a import b``: a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def files(*parts):
    for part in parts:
        path = ROOT / part
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def is_tools(name):
    return name == "tools" or name.startswith(("tools.", "inphms.tools"))


def test_auth_imports_no_tool_and_nothing_above_sql():
    for path in files("auth"):
        for name in imported(path):
            assert not is_tools(name), f"{path.name} imports {name}"
            if name.startswith("inphms."):
                assert name.split(".")[1] in ("auth", "sql", "config"), f"{path.name} imports {name}"


def test_the_runtime_applies_auth_rules_from_inphms_auth_only():
    for path in files(*RUNTIME):
        for name in imported(path):
            tool = name.split(".")[-1]
            assert not (is_tools(name) and tool in AUTH_TOOLS), f"{path.relative_to(ROOT)} imports {name}"
        assert "inphms.sessions" not in imported(path)


def test_the_auth_tools_are_a_layer_over_inphms_auth():
    for path in files(*THIN_TOOLS):
        names = imported(path)
        assert any(n.startswith("inphms.auth") for n in names), path.name
        # the rules' own libraries stay in inphms.auth
        assert not names & {"werkzeug.security", "hmac", "hashlib", "secrets", "base64"}, path.name


# what only inphms.auth may write: the token's shape and making, password hashing, constant-time compares
RULE_TEXTS = ("{84}", "token_urlsafe", "password_hash", "compare_digest")


def test_each_rule_is_written_once_in_inphms_auth():
    for path in files("."):
        if path.is_relative_to(ROOT / "auth"):
            continue
        text = path.read_text()
        for rule in RULE_TEXTS:
            assert rule not in text, f"{path.relative_to(ROOT)} writes {rule!r}: it is inphms.auth's"
