"""Validation: located errors for every bad recipe, JSON output, the JSON Schema itself."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from sandbox.cli import cli
from sandbox.errors import RecipeError
from sandbox.output.manifest_schema import manifest_schema
from sandbox.recipe.schema import recipe_schema
from sandbox.recipe.validate import load, load_file
from tests.conftest import ROOT, run

INVALID = sorted((ROOT / "tests/recipes/invalid").glob("*.yaml"))
VALID = (
    sorted((ROOT / "recipes").glob("*.yaml"))
    + sorted(p for p in (ROOT / "examples").rglob("*.yaml") if "weather_domain" not in p.parts)  # its own test
    + [ROOT / "bench/generic10.yaml"]
)


def expected_line(path: Path) -> str:
    last = path.read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert last.startswith("# expect: "), f"{path.name} needs a trailing '# expect: LINE:COL: ...' comment"
    return f"{path}:{last.removeprefix('# expect: ')}"


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 25


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_recipe_fails_with_its_expected_line(path: Path) -> None:
    with pytest.raises(RecipeError) as caught:
        load_file(path)
    assert caught.value.issues[0].format() == expected_line(path)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_cli_validate_exits_2_with_the_same_line(path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == expected_line(path)


def test_all_issues_reported_at_once_sorted_by_line() -> None:
    with pytest.raises(RecipeError) as caught:
        load_file(ROOT / "tests/recipes/invalid/multiple-issues.yaml")
    lines = [i.line for i in caught.value.issues]
    # the semantic issue (weights) is reported beside the two structural ones, not after they are fixed
    assert lines == [3, 9, 10] and caught.value.issues[1].message == "expected weights summing to 1, got 1.1"


def test_a_typo_in_a_generator_is_one_issue_beside_the_semantic_ones(write_recipe) -> None:  # type: ignore[no-untyped-def]
    """`lognormale` once hid the weights error and cascaded into unknown-key errors for `clip` and `type`."""
    recipe = write_recipe(
        "version: 1\nname: shop\ntables:\n  s:\n    rows: 10\n    columns:\n      id: {sequence: 1}\n"
        "      device: {choice: [a, b, c], weights: [0.5, 0.3, 0.1]}\n"
        "      price: {lognormale: {mean: 3.2, sigma: 0.7}, clip: [1, 10], type: 'decimal(12,2)'}\n"
        "      buyer: {ref: s.id}\n"
    )
    with pytest.raises(RecipeError) as caught:
        load_file(recipe)
    assert [i.format() for i in caught.value.issues] == [
        f"{recipe}:8:44: bad-range: tables.s.columns.device.weights: expected weights summing to 1, got 0.9",
        f"{recipe}:9:15: unknown-key: tables.s.columns.price.lognormale: expected a generator key, got `lognormale` "
        "(did you mean `lognormal`?)",
    ]


def test_validate_json_lists_issue_objects() -> None:
    path = ROOT / "tests/recipes/invalid/weights-do-not-sum.yaml"
    result = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["issues"] == [
        {
            "code": "bad-range",
            "path": "tables.sessions.columns.device.weights",
            "message": "expected weights summing to 1, got 0.9",
            "file": str(path),
            "line": 8,
            "col": 60,
            "hint": None,
        }
    ]


def test_semantic_issues_are_all_collected() -> None:
    text = """\
version: 1
name: two
tables:
  t:
    rows: 10
    columns:
      id: {sequence: 1}
      a: {choice: [x, y], weights: [0.1, 0.1]}
      b: {ref: nowhere.id}
"""
    with pytest.raises(RecipeError) as caught:
        load(text, "two.yaml")
    assert [(i.code, i.line) for i in caught.value.issues] == [("bad-range", 8), ("bad-ref", 9)]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_every_shipped_recipe_is_valid_against_the_json_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # dates as the strings a user typed
    jsonschema.Draft202012Validator(recipe_schema()).validate(data)
    load_file(path)


@pytest.mark.parametrize(("which", "generate"), [("recipe", recipe_schema), ("manifest", manifest_schema)])
def test_committed_schema_files_are_current(which: str, generate: object) -> None:
    committed = json.loads((ROOT / f"schemas/{which}.schema.json").read_text(encoding="utf-8"))
    assert committed == generate(), f"run `make schemas` to refresh schemas/{which}.schema.json"  # type: ignore[operator]


def test_schemas_are_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(recipe_schema())
    jsonschema.Draft202012Validator.check_schema(manifest_schema())


def test_yaml_numbers_in_exponent_form_are_numbers() -> None:
    recipe = load("version: 1\nname: e\ntables:\n  t:\n    rows: 1e3\n    columns: {id: {sequence: 1}}\n", "e.yaml")
    assert recipe.tables[0].rows == 1000


def test_recipes_folder_holds_every_builtin() -> None:
    """`recipes/` (what `make sandbox` builds) is the package's built-in recipes, not a copy or a dead link."""
    import sandbox

    assert sorted(p.stem for p in (ROOT / "recipes").glob("*.yaml")) == sorted(sandbox.builtin_recipes())


def test_a_binary_recipe_is_a_located_usage_error_and_nothing_is_written(tmp_path: Path) -> None:
    """Binary garbage (NUL bytes) once gave exit 3, 'internal error: ReaderError'."""
    recipe = tmp_path / "garbage.yaml"
    recipe.write_bytes(b"version: 1\nname: x\n\x00\x00\x01binary")
    for argv in (["validate", str(recipe)], ["build", str(recipe), "--out", str(tmp_path / "out")]):
        code, out, err = run(*argv)
        assert code == 2
        assert err.splitlines()[0] == (
            f"{recipe}:3:1: yaml-syntax: <root>: expected YAML text, got the control character 0x0000 (a binary file?)"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.yaml"]


def test_sequence_ids_past_int64_are_a_located_error(write_recipe) -> None:  # type: ignore[no-untyped-def]
    """Found by the fuzz test: `sequence: 9223372036854775808` crashed the build with OverflowError."""
    recipe = write_recipe(
        "version: 1\nname: x\ntables:\n  t:\n    rows: 10\n    columns:\n      id: {sequence: 9223372036854775800}\n"
    )
    with pytest.raises(RecipeError) as caught:
        load_file(recipe)
    assert [i.format() for i in caught.value.issues] == [
        f"{recipe}:7:22: bad-range: tables.t.columns.id.sequence: expected ids within int64 "
        "(-9223372036854775808..9223372036854775807), got up to 9223372036854775809"
    ]
