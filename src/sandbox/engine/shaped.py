"""A domain's tables shaped to the recipe's names (`domain.tables`, `sandbox.recipe.shapes`): each chunk's
tables renamed, their dropped columns left out and their added columns drawn, after the domain has made and
corrupted them under its own names; the defect log follows (renamed, the dropped columns' defects left out).
What the domain tells the manifest follows too: names, columns, privacy and the references between tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pyarrow as pa

from sandbox.columns import ChunkContext, draw
from sandbox.domains.interface import TableInfo
from sandbox.noise.defects import DefectLog
from sandbox.recipe.model import TableShape


def shaped_infos(infos: list[TableInfo], shapes: tuple[TableShape, ...]) -> list[TableInfo]:
    by_table = {s.table: s for s in shapes}
    names = {s.table: s.name for s in shapes}

    def retarget(references: Mapping[str, str]) -> dict[str, str]:
        out = {}
        for column, target in references.items():
            table, _, key = target.partition(".")
            out[column] = f"{names.get(table, table)}.{key}"
        return out

    out = []
    for info in infos:
        shape = by_table.get(info.name)
        info = dataclasses.replace(info, references=retarget(info.references))
        if shape is not None:
            drop = set(shape.drop)
            columns = {c: d for c, d in info.columns.items() if c not in drop}
            columns.update({c.name: c.description or f"{c.gen} (added by the recipe)" for c in shape.columns})
            privacy = {c: p for c, p in info.privacy.items() if c not in drop}
            privacy.update({c.name: c.privacy for c in shape.columns if c.privacy is not None})
            references = {**info.references, **{c.name: str(c.head) for c in shape.columns if c.gen == "ref"}}
            info = dataclasses.replace(info, name=shape.name, columns=columns, privacy=privacy, references=references)
        out.append(info)
    return out


def shaped_tables(
    tables: dict[str, pa.Table],
    shapes: tuple[TableShape, ...],
    context: ChunkContext,
    log: DefectLog,
) -> dict[str, pa.Table]:
    """The chunk's tables under the recipe's names, with its columns (see the module's text)."""
    by_table = {s.table: s for s in shapes}
    out = {}
    for name, data in tables.items():
        shape = by_table.get(name)
        if shape is None:
            out[name] = data
            continue
        data = data.drop_columns([c for c in shape.drop if c in data.column_names])
        ctx = dataclasses.replace(context, table=shape.name, n=len(data), columns={})
        for column in shape.order:
            spec = next(c for c in shape.columns if c.name == column)
            ctx.columns[column] = draw(spec, ctx)
        for spec in shape.columns:
            data = data.append_column(pa.field(spec.name, ctx.columns[spec.name].type), ctx.columns[spec.name])
        out[shape.name] = data
    log.rename({s.table: s.name for s in shapes}, {s.name: set(s.drop) for s in shapes})
    return out
