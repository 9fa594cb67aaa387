"""Hostile input: documents built to exhaust memory or time, and sizes no machine has, refused with exit 2
quickly and in little memory (each case in a fresh process, measured from outside)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run

BOMB = """\
version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
HUGE = """\
version: 1
name: huge
tables:
  t:
    rows: 1e18
    columns:
      id: {sequence: 1}
"""


#: Runs the CLI as its child and prints the child's peak RSS: a child forked from the test process would count
#: the test process's own pages as its peak (Linux keeps the RSS at fork in `ru_maxrss`).
LAUNCH = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "sandbox", *sys.argv[1:]], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
child.returncode = os.waitstatus_to_exitcode(status)
print(usage.ru_maxrss)
sys.exit(child.returncode)
"""


def sandbox(*args: str) -> tuple[int, str, float, float]:
    """Exit code, stderr, seconds and peak RSS in MB of one CLI process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stderr, time.perf_counter() - started, int(done.stdout) / 1024


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_yaml_alias_bomb_is_refused_quickly_in_little_memory(tmp_path: Path, command: str) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB)
    args = [command, str(tmp_path / "bomb.yaml")] + (["--out", str(tmp_path / "out")] if command == "build" else [])
    code, err, _seconds, rss = sandbox(*args)
    assert code == 2, err
    assert "bomb.yaml:2:8: bad-range: <root>: expected at most 100,000 values once aliases are expanded" in err
    assert rss < 200, rss
    assert not (tmp_path / "out").exists()


def test_a_billion_billion_rows_are_refused_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "huge.yaml").write_text(HUGE)
    code, err, seconds, rss = sandbox("build", str(tmp_path / "huge.yaml"), "--out", str(tmp_path / "out"))
    assert code == 2, err
    assert "huge.yaml:5:11: bad-range: tables.t.rows: expected a value <= 100000000000, got 1e+18" in err
    assert rss < 200 and not (tmp_path / "out").exists()
    assert seconds < 10  # the process's own start-up; the refusal itself is immediate


def test_rows_from_the_command_line_are_bounded_too(tmp_path: Path) -> None:
    code, err, _seconds, _rss = sandbox("build", "starter", "--rows", str(10**13), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "--rows/--scale: expected at most 100,000,000,000 rows in a table, got" in err
    assert not (tmp_path / "out").exists()


def test_nesting_past_the_limit_is_one_located_issue(tmp_path: Path) -> None:
    deep = "version: 1\nname: deep\ntables:\n  t:\n    rows: 1\n    columns:\n      x: " + "[" * 3000 + "]" * 3000
    (tmp_path / "deep.yaml").write_text(deep + "\n")
    code, err, _seconds, _rss = sandbox("validate", str(tmp_path / "deep.yaml"))
    assert code == 2 and "Traceback" not in err
    assert "deep.yaml: bad-range: <root>: expected at most 40 levels of nesting, got far more" in err
    (tmp_path / "deeper.yaml").write_text("version: 1\nx: " + "[" * 60 + "]" * 60 + "\n")
    code, err, _seconds, _rss = sandbox("validate", str(tmp_path / "deeper.yaml"))
    assert code == 2 and "expected at most 40 levels of nesting, got more" in err


def test_a_table_name_no_file_system_can_hold_is_refused_at_validation(tmp_path: Path) -> None:
    name = "t" * 400
    (tmp_path / "long.yaml").write_text(
        f"version: 1\nname: x\ntables:\n  {name}:\n    rows: 1\n    columns:\n      id: {{sequence: 1}}\n"
    )
    code, err, _seconds, _rss = sandbox("validate", str(tmp_path / "long.yaml"))
    assert code == 2
    assert "long.yaml:4:3: bad-type: tables." + name + ": expected a name of at most 64 letters" in err


def _csv_cases(folder: Path) -> dict[str, tuple[Path, str]]:
    """Malformed inputs, made here: (file, the message sandbox must give)."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    cases = {}
    big = folder / "big-field.csv"
    big.write_text("id,note\n1,ok\n2," + "x" * (50 << 20) + "\n")
    cases["a 50 MB field"] = (big, f"{big}:3: expected a CSV record, got a field longer than 16 MiB")
    dup = folder / "duplicate.csv"
    dup.write_text("id,email,email\n1,a,b\n")
    cases["duplicate columns"] = (dup, f"{dup}:1: expected unique column names, got 'email' twice")
    whole = gzip.compress(b"id,email\n" + b"1,someone@example.com\n" * 5000)
    truncated = folder / "truncated.csv.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    cases["a truncated gzip"] = (truncated, f"{truncated}: expected a gzip-compressed file, got one that ends before")
    fake_gz = folder / "plain.csv.gz"
    fake_gz.write_text("id,email\n1,x\n")
    cases["a .csv.gz that is not gzip"] = (
        fake_gz,
        f"{fake_gz}: expected a gzip-compressed file, got a file that is not gzip",
    )
    parquet = folder / "table.csv"
    pq.write_table(pa.table({"id": [1, 2]}), parquet)
    cases["Parquet named .csv"] = (parquet, f"{parquet}: expected CSV text, got a Parquet file (name it .parquet)")
    return cases


@pytest.mark.parametrize("command", ["scan", "suggest", "anonymise"])
def test_malformed_csv_is_exit_2_with_a_located_message(tmp_path: Path, command: str) -> None:
    (tmp_path / "p.yaml").write_text("version: 1\ncolumns:\n  email: {class: email, policy: pseudonymise}\n")
    for name, (path, message) in _csv_cases(tmp_path).items():
        args = {
            "scan": ["scan", str(path)],
            "suggest": ["anonymise", str(path), "--suggest-policy"],
            "anonymise": ["anonymise", str(path), "--policy", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o")],
        }[command]
        code, err, _seconds, _rss = sandbox(*args)
        assert code == 2 and "Traceback" not in err and "internal error" not in err, (name, code, err)
        assert message in err, (name, err)
        assert not (tmp_path / "o").exists()


def test_cr_only_line_endings_read_as_lines(tmp_path: Path) -> None:
    """An old Mac export: records end in a bare CR; read as lines, not refused and not one long record."""
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,email\r1,someone@example.com\r2,other@example.org\r")
    code, draft, err = run("anonymise", str(path), "--suggest-policy")
    assert code == 0, err
    assert "email in 100% of 2 distinct values" in draft


def test_a_build_bigger_than_the_free_space_is_refused_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 50_000, 50_000))
    out = tmp_path / "shop"
    code, _, err = run("build", "starter", "--rows", "60000", "-o", str(out), "--workers", "1")
    assert code == 2, err
    assert (
        "this build needs ~" in err
        and "and the disk has 48.8 KB free; free space, build fewer rows, or pass --force" in err
    )
    assert not out.exists() and list(tmp_path.iterdir()) == []
    code, _, err = run("build", "starter", "--rows", "60000", "-o", str(out), "--workers", "1", "--force")
    assert code == 0, err
    assert (out / "manifest.json").is_file()


def test_a_faker_pool_of_a_billion_is_refused_at_validation(tmp_path: Path) -> None:
    recipe = tmp_path / "pool.yaml"
    recipe.write_text(HUGE.replace("rows: 1e18", "rows: 10") + "      name: {faker: name, pool: 1000000000}\n")
    code, err, seconds, _ = sandbox("validate", str(recipe))
    assert code == 2 and seconds < 10
    assert f"{recipe}:8:" in err and "bad-range: tables.t.columns.name.pool: expected a value <= 5000000" in err
