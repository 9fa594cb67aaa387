"""Every fenced code block in README.md runs, and so do the data card's loading snippets.

A block runs in a fresh folder of its own; the comment line right above it may say how:

    <!-- readme-test: setup: COMMAND; without: REGEX; slow; in-checkout; pytest; skip: REASON -->

`setup` runs (bash) before the block, `without` drops the block's lines that match (steps that cannot run here:
a torch download, an object store), `slow` leaves it to `make check`, `in-checkout` runs it in a copy of this
checkout, `pytest` runs a Python block as a test file, and `skip` says why a block is not code to run. Shell
blocks run with `bash -e`, SQL blocks statement by statement in DuckDB, Python blocks in a subprocess; text,
YAML fragments and JSON are not run (a full recipe in YAML is validated and built).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

import sandbox
from tests.conftest import ROOT

FENCE = re.compile(r"(?:<!-- readme-test: (?P<directive>.*?) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)
PART = re.compile(r";\s*(?=skip:|slow\b|setup:|without:|in-checkout\b|pytest\b)")
RUNNABLE = {"sh", "python", "sql", "yaml"}


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    body: str
    setup: str = ""
    without: str = ""
    skip: str = ""
    slow: bool = False
    in_checkout: bool = False
    pytest: bool = False

    @property
    def id(self) -> str:
        return f"README.md:{self.line}:{self.lang}"


def blocks(text: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(text):
        options: dict[str, object] = {}
        for part in PART.split(match["directive"] or ""):
            name, _, value = part.strip().partition(":")
            if name:
                options[name.replace("-", "_")] = value.strip() if value else True
        line = text.count("\n", 0, match.start("body"))
        found.append(Block(line, match["lang"], match["body"], **options))  # type: ignore[arg-type]
    return found


README_BLOCKS = [b for b in blocks((ROOT / "README.md").read_text(encoding="utf-8")) if b.lang in RUNNABLE]


def _env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "EDITOR": "true"}


def _bash(script: str, cwd: Path) -> None:
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"


def _python(code: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(), capture_output=True, text=True)
    assert done.returncode == 0, f"{code}\n--- stderr\n{done.stderr[-3000:]}"


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """DuckDB resolves relative paths against the working folder, when a query (or a view) runs."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)


def _sql(text: str, cwd: Path, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    con = con or duckdb.connect()
    with _inside(cwd):
        for statement in (s for s in text.split(";") if s.strip() and not _only_comments(s)):
            rows = con.execute(statement).fetchall()
            code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            if code.strip().upper().startswith(("SELECT", "WITH")):
                assert rows, statement  # every query in the README finds something in a fresh sandbox
    return con


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())


def run_block(block: Block, work: Path) -> None:
    if block.in_checkout:
        work = work / "checkout"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", ".git", "sandboxes", "__pycache__"))
    if block.setup:
        _bash(block.setup, work)
    body = block.body
    if block.without:
        body = "\n".join(line for line in body.splitlines() if not re.search(block.without, line))
    if block.lang == "sh":
        _bash(body, work)
    elif block.lang == "sql":
        _sql(body, work)
    elif block.lang == "python" and block.pytest:
        (work / "test_readme_block.py").write_text("import pytest\n\n" + body, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_block.py"],
            cwd=work,
            env=_env(),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-3000:]
    elif block.lang == "python":
        _python(body, work)
    elif block.lang == "yaml":
        (work / "recipe.yaml").write_text(body, encoding="utf-8")
        _bash("sandbox validate recipe.yaml && sandbox build recipe.yaml --out built/ --rows 200 -q", work)


def _params(slow: bool) -> list[pytest.param]:
    chosen = [b for b in README_BLOCKS if b.slow == slow and not b.skip and _full(b)]
    return [pytest.param(b, id=b.id) for b in chosen]


def _full(block: Block) -> bool:
    """A YAML block is run only when it is a whole recipe."""
    return block.lang != "yaml" or block.body.startswith("version:")


@pytest.mark.parametrize("block", _params(slow=False))
def test_readme_block_runs(block: Block, tmp_path: Path) -> None:
    run_block(block, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("block", _params(slow=True))
def test_slow_readme_block_runs(block: Block, tmp_path: Path) -> None:
    run_block(block, tmp_path)


def test_every_readme_block_is_run_or_says_why_not() -> None:
    """No block falls through silently: each runnable one is a test above, or carries its reason."""
    for block in README_BLOCKS:
        assert block.skip or _full(block) or block.lang == "yaml", block.id
    assert sum(not b.skip for b in README_BLOCKS) >= 12
    reasons = [b.skip for b in README_BLOCKS if b.skip]
    assert all(len(reason) > 10 for reason in reasons) and len(reasons) <= 3


def test_the_revenue_query_counts_each_order_line_once(tmp_path: Path) -> None:
    """Joined to events, a duplicated add_to_cart event counted its order line twice (+1.9% revenue)."""
    _bash("sandbox build ecommerce --out shop/ --rows 20000 -q", tmp_path)  # enough duplicated carts to show
    (query,) = [b for b in README_BLOCKS if "revenue per category" in b.body]
    revenue = query.body[query.body.index("-- views, carts and revenue") :]
    with _inside(tmp_path):
        con = duckdb.connect()
        per_category = con.execute(revenue).fetchall()
        total = con.execute("SELECT sum(line_total) FROM 'shop/tables/order_items/*.parquet'").fetchone()
    assert total is not None and sum(row[-1] or 0 for row in per_category) == total[0]


@pytest.mark.parametrize("recipe", sorted(sandbox.builtin_recipes()))
def test_the_data_cards_loading_snippets_run_from_the_sandbox_folder(recipe: str, tmp_path: Path) -> None:
    """The card says "run these from this folder": pandas, Polars and DuckDB do (Spark is not installed here)."""
    rows = {"iot": 2, "ecommerce": 500, "ledger": 300, "starter": 500}[recipe]
    result = sandbox.build(recipe, tmp_path / "box", rows=rows, seed=1)
    card = (tmp_path / "box" / "README.md").read_text(encoding="utf-8")
    loading = card[card.index("## Loading it") :]
    snippets = [b for b in blocks(loading) if "spark" not in b.body]
    assert [b.lang for b in snippets] == ["python", "python", "sql"]
    for snippet in snippets[:2]:
        run_block(snippet, tmp_path / "box")
    con = _sql(snippets[2].body, tmp_path / "box")  # a view per table, each with every row of the table
    with _inside(tmp_path / "box"):
        for name, table in result.manifest["tables"].items():
            assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone() == (table["rows"],), name
