"""Plain-text listings of the building blocks, generated from their declarations."""

from __future__ import annotations

import yaml

from sandbox.api import builtin_recipes
from sandbox.columns import GENERATORS
from sandbox.domains.registry import domain_names, get_domain
from sandbox.noise.kinds import KINDS


def describe_recipes() -> str:
    lines = []
    for name, path in sorted(builtin_recipes().items()):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        lines.append(f"{name:<12} {data.get('description', '')}")
    return "\n".join(lines)


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
        domain = get_domain(name)
        lines = [f"{name}: {domain.description} (domain.rows counts {domain.unit})"]
        lines += [f"  {k.help_line()}" for k in domain.knobs]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
