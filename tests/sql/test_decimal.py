"""DECIMAL values come back exact (decimal.Decimal), as Flyton's PyMySQL gave them.

tables.sql has no DECIMAL (docs/sql.md: store cents in an int), but a
table made by hand, a CAST or MySQL's SUM()/AVG() give DECIMAL all the
same; a float would lose digits past the 15th.
"""
import decimal
import json

from inphms.dispatchers import api
from tools.sql import find_in_sql, insert_to_sql, kic_sql

WIDE = "12345678901234567890123456789012345.123456789012345678901234567891"


def test_a_decimal_65_30_column_keeps_every_digit(mysql_db):
    kic_sql("CREATE TABLE money (id int AUTO_INCREMENT PRIMARY KEY, amount DECIMAL(65,30), "
            "is_active int DEFAULT 1)")
    assert insert_to_sql({"table": "money", "set": {"amount": WIDE}})["status"] == 1
    assert insert_to_sql({"table": "money", "set": {"amount": decimal.Decimal("0.10")}})["status"] == 1
    w = find_in_sql({"table": "money", "what": "amount", "sort": "id", "all": 1})
    assert w[0]["amount"] == decimal.Decimal(WIDE) and isinstance(w[0]["amount"], decimal.Decimal)
    assert str(w[1]["amount"]) == "0.100000000000000000000000000000"
    total = kic_sql("SELECT SUM(amount) AS s, CAST(1.10 AS DECIMAL(5,2)) AS c FROM money")[0]
    exact = decimal.Context(prec=100)
    assert total["s"] == exact.add(decimal.Decimal(WIDE), decimal.Decimal("0.1"))
    assert str(total["c"]) == "1.10"


def test_an_api_answer_gives_a_decimal_as_its_exact_text():
    """As Flyton's api_ok sent its values: a string with every digit, never a rounded float."""
    body = api.answer_json("api_x", {"allow": 1, "amount": decimal.Decimal(WIDE)})
    assert json.loads(body)["server"]["amount"] == WIDE


def test_sqlite_takes_a_decimal_parameter(sqlite_db):
    assert insert_to_sql({"table": "prod", "set": {"name": "d", "price": decimal.Decimal("12")}})["status"] == 1
    assert find_in_sql({"table": "prod", "fld": "name", "val": "d", "what": "price"})[0] == 12
