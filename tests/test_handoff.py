"""Handing sandboxes around: pack, unpack, verify (and --rebuild), diff, score, open_sandbox."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

import sandbox
from sandbox.scoring.score import score
from tests.conftest import ROOT, SMALL, run


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    recipe = root / "small.yaml"
    recipe.write_text(SMALL, encoding="utf-8")
    sandbox.build(recipe, root / "shop")
    return root / "shop"


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_pack_is_deterministic_and_checks_with_sha256sum(shop: Path, tmp_path: Path, suffix: str) -> None:
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert run("pack", str(shop), "-o", str(first))[0] == 0
    assert run("pack", str(shop), "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    code, out, _ = run("unpack", str(first), "-o", str(tmp_path / "u"))
    assert code == 0 and out.startswith(f"unpacked {first} into {tmp_path / 'u'}: ")
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "u", capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert run("verify", str(tmp_path / "u")) == (0, f"{tmp_path / 'u'}: ok (12 files)\n", "")
    assert run("verify", str(first))[0] == 0


def test_verify_names_a_changed_byte_and_a_missing_manifest(shop: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(shop, copy)
    part = copy / "tables" / "orders" / "part-00001.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    code, out, _ = run("verify", str(copy))
    assert code == 1
    assert "MISMATCH tables/orders/part-00001.parquet: sha256 differs: manifest " in out
    assert out.endswith(f"{copy}: 1 mismatch (12 files)\n")
    (copy / "manifest.json").unlink()
    code, out, _ = run("verify", str(copy))
    assert code == 1 and "MISMATCH manifest.json: missing: an incomplete sandbox" in out


def test_verify_says_a_folder_that_is_not_a_sandbox_is_not_one(tmp_path: Path) -> None:
    """It said "MISMATCH manifest.json: missing", exit 1, as if a build had not finished."""
    (tmp_path / "notes.txt").write_text("x")
    code, out, err = run("verify", str(tmp_path))
    assert (code, out) == (2, "")
    assert (
        err
        == f"error: {tmp_path}: expected a sandbox folder (with manifest.json), got a folder that is not a sandbox\n"
    )


def test_verify_finds_an_added_file_and_a_changed_manifest_in_an_archive(shop: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(shop, copy)
    assert run("pack", str(copy), "-o", str(tmp_path / "c.zip"))[0] == 0
    with zipfile.ZipFile(tmp_path / "c.zip") as zf, zipfile.ZipFile(tmp_path / "edited.zip", "w") as out:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename == "manifest.json":
                data = data.replace(b'"seed": 3', b'"seed": 4')
            out.writestr(info, data)
        out.writestr("tables/orders/extra.parquet", b"x")
    code, out_text, _ = run("verify", str(tmp_path / "edited.zip"))
    assert code == 1
    assert "MISMATCH manifest.json: sha256 differs from SHA256SUMS" in out_text
    assert "MISMATCH tables/orders/extra.parquet: not listed in manifest.json" in out_text


def test_pack_refuses_a_corrupt_sandbox_and_without_truth_drops_the_answer_keys(shop: Path, tmp_path: Path) -> None:
    code, _, _ = run("pack", str(shop), "-o", str(tmp_path / "x.zip"), "--without-truth")
    assert code == 0
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    assert not any(n.startswith("truth/") for n in names)
    assert manifest["withheld"] == ["defects"] and "defects" not in manifest["tables"]
    assert run("verify", str(tmp_path / "x.zip"))[0] == 0
    copy = tmp_path / "copy"
    shutil.copytree(shop, copy)
    (copy / "tables" / "customers" / "part-00000.parquet").write_bytes(b"PAR1")
    code, _, err = run("pack", str(copy), "-o", str(tmp_path / "y.zip"))
    assert code == 1 and "tables/customers/part-00000.parquet: sha256 differs from manifest.json" in err
    assert not (tmp_path / "y.zip").exists()


def _zip(path: Path, name: str, data: bytes = b"x", mode: int = stat.S_IFREG | 0o644) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        zf.writestr(info, data)
    return path


def _tar(path: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _huge_tar(path: Path) -> Path:
    """A tar.gz whose one entry declares 10 GB (the header only; the data never follows)."""
    info = tarfile.TarInfo("tables/big.parquet")
    info.size = 10 * 10**9
    path.write_bytes(gzip.compress(info.tobuf(tarfile.PAX_FORMAT), mtime=0))
    return path


def _link(kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo("tables/link")
    info.type, info.linkname = kind, "/etc/passwd"
    return info


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: _zip(p / "evil.zip", "../evil"), "../evil: expected a path inside the target, got one with '..'"),
        (lambda p: _zip(p / "abs.zip", "/tmp/evil"), "/tmp/evil: expected a relative path inside the archive"),
        (
            lambda p: _zip(p / "link.zip", "tables/link", b"/etc/passwd", stat.S_IFLNK | 0o777),
            "tables/link: expected regular files, got a symbolic link",
        ),
        (lambda p: _tar(p / "link.tar.gz", _link(tarfile.SYMTYPE)), "tables/link: expected regular files, got a link"),
        (lambda p: _tar(p / "hard.tar.gz", _link(tarfile.LNKTYPE)), "tables/link: expected regular files, got a link"),
        (
            lambda p: _tar(p / "up.tar.gz", tarfile.TarInfo("a/../../evil"), b""),
            "a/../../evil: expected a path inside the target, got one with '..'",
        ),
        (lambda p: _huge_tar(p / "bomb.tar.gz"), "declares 10,000,000,000 bytes, expected at most 8,589,934,592"),
    ],
)
def test_unsafe_archives_are_refused_before_anything_is_written(tmp_path: Path, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    archive = make(tmp_path / "in")
    before = sorted(tmp_path.rglob("*"))
    for command in (["unpack", str(archive), "-o", str(tmp_path / "out" / "x")], ["verify", str(archive)]):
        code, _, err = run(*command)
        assert code == 2 and expected in err, err
        assert sorted(tmp_path.rglob("*")) == before
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


def test_verify_rebuild_passes_and_names_a_changed_recipe(shop: Path, tmp_path: Path) -> None:
    code, out, _ = run("verify", str(shop), "--rebuild")
    assert (code, out) == (0, f"{shop}: ok (12 files, rebuilt byte for byte)\n")
    copy = tmp_path / "copy"
    shutil.copytree(shop, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["recipe"]["text"] = manifest["recipe"]["text"].replace("rate: 0.05}]}", "rate: 0.06}]}", 1)
    manifest["lock"]["faker"] = "0.0.1"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    code, out, _ = run("verify", str(copy), "--rebuild")
    assert code == 1
    assert "note: library version differs: faker: 0.0.1 in the manifest, " in out
    assert "rebuilt bytes differ (expected while library versions differ: faker: 0.0.1 in the manifest" in out


def test_diff_same_changed_and_schema(shop: Path, tmp_path: Path) -> None:
    assert run("diff", str(shop), str(shop))[0] == 0
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        SMALL.replace("seed: 3", "seed: 99").replace(
            "tier: {choice: [a, b, c], weights: [0.5, 0.3, 0.2]}", "tier: {choice: [a, b, c], weights: [0.2, 0.3, 0.5]}"
        ),
        encoding="utf-8",
    )
    sandbox.build(recipe, tmp_path / "other")
    code, out, _ = run("diff", str(shop), str(tmp_path / "other"), "--json")
    assert code == 1
    found = {(d["table"], d["column"], d["what"]) for d in json.loads(out)["differences"]}
    assert ("customers", "tier", "psi") in found
    assert not any(c in {"order_id", "code"} for _, c, _ in found)  # identifiers are not compared
    shifted = SMALL.replace("mean: 3, sigma: 0.6", "mean: 3.5, sigma: 0.6").replace("      tier:", "      rank:")
    recipe.write_text(shifted, encoding="utf-8")
    sandbox.build(recipe, tmp_path / "shifted")
    code, out, _ = run("diff", str(shop), str(tmp_path / "shifted"), "--json")
    assert code == 1
    found = {(d["table"], d["column"], d["what"]): d for d in json.loads(out)["differences"]}
    assert set(found) == {("orders", "amount", "ks"), ("customers", "rank", "schema"), ("customers", "tier", "schema")}
    assert found["customers", "rank", "schema"]["a"] is None and found["customers", "tier", "schema"]["b"] is None
    assert found["orders", "amount", "ks"]["detail"].startswith("KS 0.3")


def _truth(folder: Path) -> pd.DataFrame:
    return pl.read_parquet(str(folder / "truth" / "defects" / "*.parquet")).to_pandas()


def test_score_perfect_and_half(shop: Path, tmp_path: Path) -> None:
    truth = _truth(shop)
    exact = tmp_path / "all.csv"
    truth[["table", "row_key", "column", "kind"]].to_csv(exact, index=False)
    code, out, _ = run("score", str(shop), "--predictions", str(exact), "--json")
    assert code == 0
    kinds = json.loads(out)["kinds"]
    assert {k["kind"] for k in kinds} == set(truth["kind"]) and len(kinds) >= 4
    assert all(k["precision"] == k["recall"] == k["f1"] == 1.0 for k in kinds)
    half = truth[truth.groupby("kind").cumcount() % 2 == 0][["table", "row_key", "kind"]]

    half.to_parquet(tmp_path / "half.parquet")
    for k in score(shop, tmp_path / "half.parquet"):
        n = int((truth["kind"] == k.kind).sum())
        assert k.precision == 1.0 and abs(k.found - n / 2) <= 0.5, k
    code, out, _ = run("score", str(shop), "-p", str(tmp_path / "half.parquet"))
    assert code == 0 and out.splitlines()[0].split() == [
        "kind",
        "truth",
        "predicted",
        "correct",
        "precision",
        "recall",
        "f1",
    ]


def test_score_wrong_predictions_and_bad_files(shop: Path, tmp_path: Path) -> None:
    truth = _truth(shop)
    hit = truth.iloc[0]
    wrong = tmp_path / "wrong.csv"
    predictions = pd.DataFrame(  # one true defect, and a row that does not exist (order ids start at 1)
        {"table": [hit["table"], "orders"], "row_key": [hit["row_key"], '{"order_id":-1}'], "kind": hit["kind"]}
    )
    predictions.to_csv(wrong, index=False)
    (graded,) = [k for k in score(shop, wrong) if k.kind == hit["kind"]]
    assert (graded.predicted, graded.matched_predictions, graded.found) == (2, 1, 1)
    assert graded.precision == 0.5 and graded.truth == int((truth["kind"] == hit["kind"]).sum())
    bad = tmp_path / "bad.csv"
    bad.write_text("table,key\norders,1\n", encoding="utf-8")
    code, _, err = run("score", str(shop), "-p", str(bad))
    assert code == 2
    expected = "expected columns table, row_key, kind (and optionally column), missing row_key, kind; got table, key"
    assert err == f"error: {bad}: {expected}\n"


def test_open_sandbox_reads_tables_and_duckdb_views(shop: Path) -> None:
    box = sandbox.open_sandbox(shop)
    assert box.tables == ["customers", "orders"] and box.truth == ["defects"]
    assert len(box.to_pandas("orders")) == box.manifest["tables"]["orders"]["rows"]
    assert box.to_arrow("defects").num_rows == box.manifest["tables"]["defects"]["rows"]
    con = box.duckdb()
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (box.manifest["tables"]["orders"]["rows"],)
    orphan = "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) WHERE c.customer_id IS NULL"
    assert con.execute(orphan).fetchone() == (0,)
    with pytest.raises(
        sandbox.SandboxError, match="expected a table of this sandbox .*got 'order' \\(did you mean `orders`"
    ):
        box.to_arrow("order")
    assert isinstance(con, duckdb.DuckDBPyConnection)


@pytest.mark.parametrize("recipe", sorted(sandbox.builtin_recipes()))
def test_verify_rebuild_on_every_builtin_recipe_at_its_default_size(recipe: str, builtins: dict[str, Path]) -> None:
    code, out, _ = run("verify", str(builtins[recipe]), "--rebuild")
    assert code == 0 and out.endswith(" files, rebuilt byte for byte)\n"), out


PLUGIN_TESTS = """
import pytest

def test_one(sandbox_fixture):
    shop = sandbox_fixture("starter", rows=300, seed=7)
    assert shop.manifest["seed"] == 7 and len(shop.to_pandas("orders")) >= 300

def test_two(sandbox_fixture):
    shop = sandbox_fixture("starter", rows=300, seed=7)
    assert shop.duckdb().execute("SELECT count(*) FROM customers").fetchone()[0] > 0

@pytest.mark.sandbox(rows=100, seed=1)
def test_marker(sandbox_fixture):
    shop = sandbox_fixture("starter", rows=300, seed=7)
    assert shop.manifest["seed"] == 1 and shop.manifest["recipe"]["sizing"] == {"rows": 100}
"""


def test_plugin_builds_once_per_session_and_reuses_the_cache_across_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=PLUGIN_TESTS)
    cache = pytester.path / "fixtures"
    first = pytester.runpytest_subprocess("--sandbox-cache-dir", str(cache))
    first.assert_outcomes(passed=3)
    first.stdout.fnmatch_lines([f"sandbox fixtures: 2 built, 0 reused from {cache}"])
    second = pytester.runpytest_subprocess("--sandbox-cache-dir", str(cache))
    second.assert_outcomes(passed=3)
    second.stdout.fnmatch_lines([f"sandbox fixtures: 0 built, 2 reused from {cache}"])
    default = pytester.runpytest_subprocess("-k", "test_one")
    default.stdout.fnmatch_lines(["sandbox fixtures: 1 built, 0 reused from *.pytest_cache/d/sandbox"])


def test_the_plugin_works_without_pytests_cache_and_creates_nothing_unused(pytester: pytest.Pytester) -> None:
    """With the package installed, `-p no:cacheprovider` once failed in every project of the environment
    (INTERNALERROR 'Config' object has no attribute 'cache')."""
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    plain = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    plain.assert_outcomes(passed=1)
    assert not (pytester.path / ".sandbox-fixtures").exists()
    pytester.makepyfile(test_fixtures=PLUGIN_TESTS)
    used = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "test_one")
    used.assert_outcomes(passed=1)
    used.stdout.fnmatch_lines([f"sandbox fixtures: 1 built, 0 reused from {pytester.path / '.sandbox-fixtures'}"])


def test_the_example_fixture_test_passes(pytester: pytest.Pytester) -> None:
    example = ROOT / "examples" / "test_orders_with_a_sandbox.py"
    pytester.makepyfile(test_example=example.read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["sandbox fixtures: 2 built, 0 reused from *"])


def test_score_normalises_row_keys_and_warns_when_nothing_matches(shop: Path, tmp_path: Path) -> None:
    """`{"order_id": 42}` (spaces) or a bare `42` once scored 0 without a word."""
    truth = _truth(shop)
    hit = truth[truth["table"] == "orders"].iloc[0]
    order_id = json.loads(hit["row_key"])["order_id"]
    forms = [f'{{ "order_id": {order_id} }}', str(order_id)]
    predictions = pd.DataFrame({"table": "orders", "row_key": forms, "kind": hit["kind"], "column": hit["column"]})
    predictions.to_csv(tmp_path / "spaced.csv", index=False)
    code, out, err = run("score", str(shop), "-p", str(tmp_path / "spaced.csv"), "--json")
    (graded,) = [k for k in json.loads(out)["kinds"] if k["kind"] == hit["kind"]]
    assert (code, err, graded["predicted"], graded["true_positives"]) == (0, "", 1, 1)  # one key, written twice
    predictions.assign(row_key='{"order":1}').to_csv(tmp_path / "wrong.csv", index=False)
    code, _, err = run("score", str(shop), "-p", str(tmp_path / "wrong.csv"))
    assert code == 0
    assert err == (
        "warning: none of the 1 predictions matched a fault: row_key is the JSON of the table's key columns, "
        'e.g. {"order_id":17} (see truth/defects), and table and kind must be named as there\n'
    )


def test_pack_and_unpack_print_json_for_scripts(shop: Path, tmp_path: Path) -> None:
    code, out, _ = run("pack", str(shop), "-o", str(tmp_path / "s.zip"), "--json")
    packed = json.loads(out)
    assert code == 0 and packed["path"] == str(tmp_path / "s.zip")
    assert packed["sha256"] == hashlib.sha256((tmp_path / "s.zip").read_bytes()).hexdigest()
    assert packed["bytes"] == (tmp_path / "s.zip").stat().st_size
    code, out, _ = run("unpack", str(tmp_path / "s.zip"), "-o", str(tmp_path / "s"), "--json")
    unpacked = json.loads(out)
    on_disk = sorted(str(p.relative_to(tmp_path / "s")) for p in (tmp_path / "s").rglob("*") if p.is_file())
    assert code == 0 and unpacked == {"out": str(tmp_path / "s"), "files": on_disk} and packed["files"] == len(on_disk)


def test_the_ledger_cleaner_example_has_help_and_refuses_other_folders(tmp_path: Path) -> None:
    script = str(ROOT / "examples" / "ledger_cleaner.py")
    done = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("usage: ledger_cleaner.py [-h] books")
    done = subprocess.run([sys.executable, script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.endswith(
        f"error: {tmp_path}: expected a ledger sandbox (tables/invoices and truth/clerks), got none\n"
    )
