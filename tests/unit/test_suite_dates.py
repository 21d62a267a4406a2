"""The suite's own rule for dates: a test module that takes today's date when it is imported keeps it with
``keeps_today`` (tests/conftest.py), or a run that crosses midnight in Oslo finds its tests a day behind the
product (CI at 00:05 failed twelve tests that way)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
CLOCK_CALLS = {"today_in_oslo", "oslo_today", "today", "now", "utcnow"}


def _reads_the_clock(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name in CLOCK_CALLS:
                return True
    return False


def _keeps_today(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
               and getattr(node.value.func, "id", "") == "keeps_today" for node in tree.body)


def test_every_module_that_reads_the_date_at_import_keeps_it():
    offenders = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        at_import = [node for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
                     and _reads_the_clock(node.value)]
        if at_import and not _keeps_today(tree):
            offenders.append(f"{path.relative_to(TESTS)}:{at_import[0].lineno}")
    assert not offenders, f"read the date at import without keeps_today: {offenders}"


def test_the_rule_sees_a_date_read_at_import():
    assert _reads_the_clock(ast.parse("TODAY = today_in_oslo()").body[0].value)
    assert _reads_the_clock(ast.parse("START = date.today() + timedelta(days=1)").body[0].value)
    assert not _reads_the_clock(ast.parse("DAY = date(2026, 1, 1)").body[0].value)
    assert _keeps_today(ast.parse("TODAY = oslo_today()\n_today = keeps_today(TODAY)"))
