"""The structural stage of validation: a recipe (or policy) against its JSON Schema, each error translated into
one located issue in the recipe's own words."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from sandbox.columns import GENERATORS
from sandbox.core.suggest import did_you_mean
from sandbox.errors import Issue
from sandbox.recipe.loader import Source
from sandbox.recipe.schema import COMMON_COLUMN_PROPERTIES

_RANGE_WORDS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "an integer",
    float: "a number",
    type(None): "nothing (null)",
}


def _describe(value: Any) -> str:
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    return f"{kind} {value!r}" if value is not None else kind


def structural_issues(source: Source, schema: Mapping[str, Any]) -> list[Issue]:
    validator = Draft202012Validator(schema)
    seen: set[str] = set()
    issues = []
    for error in validator.iter_errors(source.data):
        for issue in _translate(error, (), source, validator):
            if issue.format() not in seen:
                seen.add(issue.format())
                issues.append(issue)
    return issues


def _translate(
    error: ValidationError, prefix: tuple[Any, ...], source: Source, validator: Draft202012Validator
) -> Iterator[Issue]:
    path = (*prefix, *error.absolute_path)
    instance: Any = error.instance
    expected: Any = error.validator_value
    kind = str(error.validator)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if kind == "oneOf" and isinstance(instance, dict) and len(path) == 4 and path[2] == "columns":
        yield from _column_issues(instance, path, source, validator)
    elif kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                listed = ", ".join(allowed) if len(allowed) <= 12 else "see `sandbox schema`"
                yield source.issue(
                    "unknown-key",
                    (*path, key),
                    f"expected one of: {listed}; got `{key}`",
                    did_you_mean(key, allowed),
                    key=True,
                )
    elif kind == "required":
        for key in expected:
            if key not in instance:
                yield source.issue("missing-key", path, f"expected key `{key}`", key=bool(path))
    elif kind == "type":
        yield source.issue("bad-type", path, f"expected {_type_words(expected)}, got {_describe(instance)}")
    elif kind == "enum" and not expected:
        yield source.issue("bad-choice", path, f"expected a registered name (none are installed), got {instance!r}")
    elif kind == "enum":
        yield source.issue(
            "bad-choice",
            path,
            f"expected one of {'|'.join(map(str, expected))}, got {instance!r}",
            did_you_mean(instance, expected),
        )
    elif kind == "const":
        yield source.issue("bad-choice", path, f"expected {expected!r}, got {instance!r}")
    elif kind in _RANGE_WORDS:
        yield source.issue("bad-range", path, f"expected a value {_RANGE_WORDS[kind]} {expected}, got {instance}")
    elif kind in ("minItems", "maxItems"):
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        want = f"exactly {lo}" if lo == hi else (f"at least {lo}" if kind == "minItems" else f"at most {hi}")
        yield source.issue("bad-range", path, f"expected {want} items, got {len(instance)}")
    elif kind == "minProperties":
        yield source.issue("missing-key", path, f"expected at least {expected} entry", key=True)
    elif kind == "pattern":
        what = schema.get("x-expected") or "a name of at most 64 letters, digits, _ and -, starting with a letter"
        parent = _get(source.data, path)
        at_key = isinstance(parent, dict) and isinstance(instance, str) and instance in parent
        where = (*path, instance) if at_key else path
        yield source.issue("bad-type", where, f"expected {what}, got {instance!r}", key=at_key)
    elif kind == "anyOf":
        options = " or ".join(_type_words(s.get("type", "value")) for s in expected)
        yield source.issue("bad-type", path, f"expected {options}, got {_describe(instance)}")
    else:
        yield source.issue("bad-type", path, f"expected {error.message}")


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _type_words(expected: Any) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true/false",
        "null": "null",
    }
    if isinstance(expected, list):
        return " or ".join(names.get(str(e), str(e)) for e in expected)
    return names.get(expected, str(expected))


def _column_issues(
    instance: dict, path: tuple[Any, ...], source: Source, validator: Draft202012Validator
) -> Iterator[Issue]:
    gens = [k for k in instance if k in GENERATORS]
    if len(gens) == 1:
        root: dict[str, Any] = dict(validator.schema)  # type: ignore[arg-type]
        variant = validator.evolve(schema={**root, **root["$defs"][f"column_{gens[0]}"]})
        for error in variant.iter_errors(instance):
            yield from _translate(error, path, source, validator)
        return
    if len(gens) > 1:
        yield source.issue("bad-type", path, f"expected exactly one generator key, got {len(gens)}: " + ", ".join(gens))
        return
    # an option of some generator (clip, round, type...) is not the typo: the generator key is
    options = {p.name for gen in GENERATORS.values() for p in gen.params}
    unknown = [k for k in instance if k not in COMMON_COLUMN_PROPERTIES and k not in options]
    for key in unknown:
        yield source.issue(
            "unknown-key",
            (*path, key),
            f"expected a generator key, got `{key}`",
            did_you_mean(key, list(GENERATORS)),
            key=True,
        )
    if not unknown:
        yield source.issue("missing-key", path, "expected a generator key: " + ", ".join(sorted(GENERATORS)), key=True)
