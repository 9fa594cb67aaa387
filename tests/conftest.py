from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _pool_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Faker pools live in a private cache folder shared by the whole test session (and subprocesses)."""
    os.environ["SANDBOX_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def write_recipe(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "recipe.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process: exit code, stdout, stderr."""
    from click.testing import CliRunner

    from sandbox.cli import cli

    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def part_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every Parquet part below `folder`, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


SMALL = """\
version: 1
name: small
seed: 3
chunk_rows: 700
primary: orders
tables:
  customers:
    rows: 500
    columns:
      customer_id: {sequence: 1}
      name: {faker: name, pool: 300, noise: [{kind: typo, rate: 0.05}]}
      email: {faker: email, pool: 300}
      tier: {choice: [a, b, c], weights: [0.5, 0.3, 0.2]}
  orders:
    rows: 3000
    noise: [{kind: duplicate, rate: 0.01}]
    columns:
      order_id: {sequence: 1}
      customer_id: {ref: customers.customer_id, skew: 1.1}
      code: {template: "ORD-{order_id:06d}", noise: [{kind: ocr, rate: 0.05}]}
      amount: {lognormal: {mean: 3, sigma: 0.6}, clip: [1, 999], type: "decimal(10,2)",
               noise: [{kind: spike, rate: 0.02}]}
      at: {timestamp: {start: 2024-01-01, end: 2024-03-01}, noise: [{kind: delay, rate: 0.03}]}
      paid: {bool: 0.9, null_rate: 0.1}
"""


@pytest.fixture(scope="session")
def builtins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every built-in recipe built once at its default size (read-only: copy before editing)."""
    import sandbox

    root = tmp_path_factory.mktemp("builtins")
    return {name: sandbox.build(name, root / name, workers=2).out for name in sorted(sandbox.builtin_recipes())}
