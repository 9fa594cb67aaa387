"""The CLI: exact output and messages, exit codes, help that teaches."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import sandbox
from sandbox import __version__
from sandbox.cli import cli
from tests.conftest import ROOT, SMALL, run

COMMANDS = sorted(cli.commands)


def test_version() -> None:
    assert run("--version") == (0, f"sandbox, version {__version__}\n", "")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_a_readme_entry(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Example:" in out
    assert f"sandbox {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_recipes_lists_builtins_with_what_rows_counts() -> None:
    code, out, _ = run("recipes")
    assert code == 0
    lines = out.splitlines()
    names = lines[::2]
    assert names == sorted(names) and len(names) == len(sandbox.builtin_recipes())
    assert any(line.startswith("starter      A small shop") for line in names)
    assert lines[1::2] == [
        "             --rows counts sessions (40,000 by default)",
        "             --rows counts devices (40 by default)",
        "             --rows counts invoices (40,000 by default)",
        "             --rows counts orders (100,000 by default)",
    ]
    code, out, _ = run("recipes", "--json")
    listed = json.loads(out)
    assert [r["name"] for r in listed] == sorted(sandbox.builtin_recipes()) and code == 0
    assert {r["name"]: (r["rows_counts"], r["rows"]) for r in listed}["iot"] == ("devices", 40)
    assert "(sessions, devices, invoices:" in " ".join(run("build", "--help")[1].split())


def test_recipe_names_complete_in_the_shell() -> None:
    env = {**os.environ, "COMP_WORDS": "sandbox build e", "COMP_CWORD": "2", "_SANDBOX_COMPLETE": "bash_complete"}
    done = subprocess.run([sys.executable, "-m", "sandbox"], env=env, capture_output=True, text=True)
    assert done.stdout.splitlines() == ["plain,ecommerce", "file,e"]


def test_an_internal_error_says_where_debug_goes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(path: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(sandbox.api, "inspect", broken)
    code, _, err = run("inspect", str(tmp_path))
    assert (code, err) == (
        3,
        "error: internal error: ValueError: boom (rerun as `sandbox --debug inspect ...` for the traceback)\n",
    )


def test_generators_listing_comes_from_declarations() -> None:
    code, out, _ = run("recipes", "--generators")
    assert code == 0
    assert "lognormal: Lognormal" in out and "  clip (list of 2 numbers, default None): Clip draws" in out


def test_build_prints_a_summary_and_refuses_to_overwrite(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    recipe, out = write_recipe(SMALL), tmp_path / "shop"
    code, stdout, _ = run("build", str(recipe), "--out", str(out))
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].split() == ["table", "role", "rows", "files", "size"]
    assert lines[1].split()[:3] == ["customers", "data", "500"]
    assert lines[-1].startswith(f"built {out} from small (seed 3): ")
    code, _, stderr = run("build", str(recipe), "--out", str(out))
    assert (code, stderr) == (2, f"error: {out} exists; pass --overwrite to replace it\n")


def test_unknown_recipe_suggests_a_builtin(tmp_path: Path) -> None:
    code, _, stderr = run("build", "startr", "--out", str(tmp_path / "x"))
    assert code == 2
    builtins = ", ".join(sorted(sandbox.builtin_recipes()))
    assert stderr.startswith(f"error: startr: expected a recipe file or a built-in recipe ({builtins})")

    assert stderr.endswith("got neither (did you mean `starter`?)\n")
    assert not (tmp_path / "x").exists()


def test_invalid_recipe_build_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = ROOT / "tests/recipes/invalid/weights-do-not-sum.yaml"
    code, _, stderr = run("build", str(bad), "--out", str(tmp_path / "x"))
    assert code == 2
    assert stderr.endswith("expected weights summing to 1, got 0.9\n1 issue; nothing was written\n")
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("build", "starter")[0] == 2
    assert run("build", "starter", "--out", str(tmp_path / "x"), "--workers", "0")[0] == 2
    assert run("frobnicate")[0] == 2


def test_inspect_a_folder_without_manifest_exits_2(tmp_path: Path) -> None:
    code, _, stderr = run("inspect", str(tmp_path))
    assert code == 2
    assert stderr == f"error: {tmp_path}: expected a sandbox with manifest.json, got none (an incomplete build?)\n"


def test_inspect_lists_tables(write_recipe: Callable[..., Path], tmp_path: Path) -> None:
    run("build", str(write_recipe(SMALL)), "--out", str(tmp_path / "s"), "--quiet")
    code, out, _ = run("inspect", str(tmp_path / "s"))
    assert code == 0
    assert "customers (data): 500 rows in 1 files" in out
    assert re.search(r"^paid +bool +\d+\.\d\d%$", out, re.MULTILINE)
    info = json.loads(run("inspect", str(tmp_path / "s"), "--json")[1])
    assert info["tables"]["orders"]["files"] == 5


def test_schema_prints_json() -> None:
    code, out, _ = run("schema", "manifest")
    assert code == 0 and json.loads(out)["title"] == "sandbox manifest"


def test_python_dash_m_works() -> None:
    done = subprocess.run([sys.executable, "-m", "sandbox", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"sandbox, version {__version__}\n"


def test_console_exit_keeps_output_and_codes(tmp_path: Path) -> None:
    """The entry point ends the process without interpreter teardown: piped output still arrives whole, and
    the exit codes stay those of the command."""
    built = subprocess.run(
        [sys.executable, "-m", "sandbox", "build", "starter", "--out", str(tmp_path / "s"), "--rows", "500", "--json"],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["rows"] > 0
    missing = subprocess.run(
        [sys.executable, "-m", "sandbox", "build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "t")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ") and "nope.yaml" in missing.stderr
    assert not (tmp_path / "t").exists()


def test_a_big_build_says_how_big_after_its_first_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`build iot --rows 1000000` wrote 1.9 GB with no word of how big it would get."""
    import sandbox.cli.build as cli_module

    monkeypatch.setattr(cli_module, "NOTE_BYTES", 10_000)  # a small build stands in for a big one
    code, out, err = run("build", "iot", "--rows", "12", "--out", str(tmp_path / "p"), "--json")
    assert code == 0
    note = re.fullmatch(r"note: this build will write ~(\S+ \S+) \(~([\d,]+) rows\) in (\d+) chunks, estimated from "
                        r"the first; Ctrl-C stops it and leaves nothing\n", err)  # fmt: skip
    assert note, err
    built = json.loads(out)
    data_rows = sum(t["rows"] for n, t in built["tables"].items() if t["role"] == "data")
    assert abs(int(note.group(2).replace(",", "")) - data_rows) < 0.3 * data_rows
    assert int(note.group(3)) == built["stats"]["chunks"]
    monkeypatch.setattr(cli_module, "NOTE_BYTES", 1 << 30)
    assert run("build", "iot", "--rows", "12", "--out", str(tmp_path / "q"))[2] == ""
