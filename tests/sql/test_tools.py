"""tools.sql as addon code imports it, tools.db_log and tools.db_tab."""
import json
import subprocess
import sys
from pathlib import Path

import inphms.tools.db_log
import inphms.tools.db_tab
import inphms.tools.sql
import tools.db_log
import tools.db_tab
import tools.sql
from tools.db_log import *
from tools.db_tab import *
from tools.sql import *

ROOT = Path(__file__).resolve().parents[2]
# Flyton's sql.py, function for function, and inphms's own (save_to_data, run_sql, find_rows)
FLYTON_SQL = {"kic_sql_connect", "find_in_sql", "insert_to_sql", "count_in_sql", "gen_data", "get_data",
              "add_to_data", "get_next_counter", "kic_sql", "kic_sql_delete", "import_state", "sql_next",
              "sql_order", "array2obj", "dic_of_table", "is_gen_table", "kic_refine", "validate_email",
              "validate_datemdy", "kic_config", "kic_geresh", "get_record", "sql_var", "sql_set",
              "sql_where", "sql_join", "sqd", "sql_what", "sql_sortj", "sql_v"}
PUBLIC = FLYTON_SQL | {"save_to_data", "run_sql", "find_rows", "SqlError"}


def test_tools_is_inphms_tools():
    assert tools.sql is inphms.tools.sql
    assert tools.db_log is inphms.tools.db_log
    assert tools.db_tab is inphms.tools.db_tab


def test_star_import_gives_the_public_names_only():
    names = {}
    exec("from tools.sql import *", names)
    assert set(names) - {"__builtins__"} == PUBLIC
    names = {}
    exec("from tools.db_log import *\nfrom tools.db_tab import *", names)
    assert set(names) - {"__builtins__"} == {"add_log", "add_log_res", "list_gen_tab", "list_tab_dict"}


def test_addon_code_imports_tools_in_a_fresh_process():
    code = ("import inphms, sys\nfrom tools.sql import *\nimport tools.sql, inphms.tools.sql\n"
            "assert tools.sql is inphms.tools.sql and find_in_sql is inphms.tools.sql.find_in_sql\n"
            "print(len([m for m in sys.modules if m.endswith('tools.sql')]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


def test_add_log_and_its_response(db):
    a = add_log("sms send", {"to": "0541234567", "text": "שלום"}, {"user_id": 10000})
    b = add_log("mail send", "welcome", "")
    assert (a, b) == (10000, 10001)
    w = find_in_sql({"table": "logs", "fld": "id", "val": a, "what": "act_type,send_text,response"})
    assert w["act_type"] == "sms send" and json.loads(w["send_text"]) == {"to": "0541234567", "text": "שלום"}
    assert w["response"] is None and get_data("logs", a) == {"user_id": 10000}
    assert add_log_res(a, {"ok": 1}) == 1
    assert add_log_res(b, 250) == 1
    assert json.loads(find_in_sql({"table": "logs", "fld": "id", "val": a, "what": "response"})[0]) == {"ok": 1}
    assert find_in_sql({"table": "logs", "fld": "id", "val": b, "what": "response"})[0] == "250"
    assert get_data("logs", b) == {}
    assert add_log_res(99999, "x") == 0


def test_list_gen_tab(db):
    insert_to_sql({"table": "gen", "set": {"key1": "enc_type", "val1": "0"}, "data": ["base64", "AESGCM128bit"]})
    insert_to_sql({"table": "gen", "set": {"key1": "roles", "val1": "0"}, "data": {"admin": "Admin"}})
    insert_to_sql({"table": "gen", "set": {"key1": "year", "val1": "2024"}})
    assert list_gen_tab("enc_type") == ["base64", "AESGCM128bit"]
    assert list_gen_tab("roles") == {"admin": "Admin"}
    assert list_gen_tab("year") == [] and list_gen_tab("nosuch") == []


def test_list_gen_tab_takes_the_last_active_row(db):
    insert_to_sql({"table": "gen", "set": {"key1": "sizes"}, "data": ["s"]})
    insert_to_sql({"table": "gen", "set": {"key1": "sizes"}, "data": ["s", "m"]})
    insert_to_sql({"table": "gen", "set": {"key1": "sizes", "is_active": 0}, "data": ["old"]})
    assert list_gen_tab("sizes") == ["s", "m"]
    assert gen_data()["sizes"]["data"] == ["s", "m"]


def test_list_tab_dict(db):
    insert_to_sql({"table": "gen", "set": {"key1": "worksp_dict", "val1": "0"},
                   "data": {"is_active": {"0": "archive", "1": "ready", "3": "draft"}, "kind": {"a": "A"}}})
    assert list_tab_dict("worksp", "is_active") == {"0": "archive", "1": "ready", "3": "draft"}
    assert list_tab_dict("worksp", "kind") == {"a": "A"}
    assert list_tab_dict("worksp", "nosuch") == {}
    assert list_tab_dict("nosuch", "is_active") == {}


def test_a_project_copy_of_a_tool_is_shadowed_and_logged_once(tmp_path, caplog):
    import inphms.tools
    from inphms.config import config
    from inphms.modules.module import load_addons
    tools_dir = tmp_path / "flyproj" / "server" / "apis" / "tools"
    tools_dir.mkdir(parents=True)
    (tmp_path / "flyproj" / "__manifest__.py").write_text("{'name': 'flyproj'}")
    (tools_dir / "sql.py").write_text("def find_in_sql(r):\n    return 'the copy'\n")
    (tools_dir / "db_flyproj.py").write_text("def hello():\n    return 1\n")
    saved = config["addons_path"]
    config["addons_path"] = [str(tmp_path)]
    try:
        with caplog.at_level("WARNING", logger="inphms.modules.tools_alias"):
            load_addons(config)
            load_addons(config)
        lines = [r.getMessage() for r in caplog.records if r.name == "inphms.modules.tools_alias"]
        assert lines == [f"addon flyproj: its {tools_dir / 'sql.py'} is not used: inphms's tools.sql serves instead"]
        import tools.db_flyproj
        assert tools.sql.find_in_sql is inphms.tools.sql.find_in_sql and tools.db_flyproj.hello() == 1
    finally:
        config["addons_path"] = saved
        inphms.tools.__path__.remove(str(tools_dir))
        sys.modules.pop("tools.db_flyproj", None)
        sys.modules.pop("inphms.tools.db_flyproj", None)
