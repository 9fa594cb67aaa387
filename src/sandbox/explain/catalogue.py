"""Plain-text listings of the building blocks, generated from their declarations."""

from __future__ import annotations

from typing import Any

from sandbox.columns import GENERATORS
from sandbox.domains.registry import domain_names, find_domain
from sandbox.noise.kinds import KINDS
from sandbox.recipe.builtin import builtin_recipes, load_recipe


def recipe_summaries() -> list[dict[str, Any]]:
    """Each built-in recipe: name, description, what `--rows` counts and how many the recipe builds."""
    out = []
    for name, path in sorted(builtin_recipes().items()):
        recipe = load_recipe(path)
        primary = recipe.primary_name()
        if primary == "domain" and recipe.domain:
            counts, rows = find_domain(recipe.domain.generator).unit, recipe.domain.rows
        else:
            table = next((t for t in recipe.tables if t.name == primary), None)
            counts, rows = str(primary), table.rows if table else 0
        out.append(
            {"name": name, "description": recipe.description, "rows_counts": counts, "rows": rows, "path": str(path)}
        )
    return out


def describe_recipes() -> str:
    return "\n".join(
        f"{s['name']:<12} {s['description']}\n{'':<12} --rows counts {s['rows_counts']} ({s['rows']:,} by default)"
        for s in recipe_summaries()
    )


def describe_generators() -> str:
    blocks = []
    for name in sorted(GENERATORS):
        gen = GENERATORS[name]
        lines = [f"{name}: {gen.summary}", f"  {name}: {gen.head.label or gen.head.description}"]
        lines += [f"  {p.help_line()}" for p in gen.params]
        if gen.example:
            lines.append(f"  example: {gen.example}")
        blocks.append("\n".join(lines))
    blocks.append("every column also takes: null_rate, unique, description, pii {class, policy}, noise [...]")
    return "\n\n".join(blocks)


def describe_noise() -> str:
    lines = ["noise kinds (column: `noise: [{kind: ocr, rate: 0.01}]`; rows: the table's `noise:`):"]
    lines += [f"  {k.name:<10} {k.applies_to:<9} {k.description}" for k in KINDS.values()]
    return "\n".join(lines)


def describe_domains() -> str:
    names = domain_names()
    if not names:
        return "no domain generators are registered"
    blocks = []
    for name in names:
        domain = find_domain(name)
        lines = [f"{name}: {domain.description} (domain.rows counts {domain.unit})"]
        lines += [f"  {k.help_line()}" for k in domain.knobs]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
