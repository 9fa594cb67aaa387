"""`sandbox report`: one self-contained HTML page (PNG plots as data URIs) explaining a sandbox.

Sections: what it is, recipe conformance, null rates, the domain's own views (funnel, sensor week, error
rates by clerk), and a distribution plot per numeric, time and categorical column. Columns with a PII class
or any scan finding are not plotted. Needs the `report` extra (matplotlib).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.core.plots import pyplot
from sandbox.explain.card import personal_columns
from sandbox.explain.conformance import conformance, help_for, knob_help, recipe_of
from sandbox.output.opened import Sandbox, open_sandbox, sample_column

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REPORT = "report.html"
#: Categorical columns with more distinct values than this (in the sample) are text, not plotted.
MAX_CATEGORIES = 50
_TOP = 12
_COLOUR = "#3b6ea5"
_GRID = 4
#: Headless Chromium on a closed network, for screenshots and checks of report.html (tests, docs/).
HEADLESS_CHROMIUM = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
)


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    pyplot().close(fig)
    return buffer.getvalue()


def report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of the sandbox at `folder` to `out` (default FOLDER/report.html); returns its path."""
    pyplot()
    box = open_sandbox(folder)
    target = Path(out) if out is not None else box.path / REPORT
    sections = [_overview(box), _conformance(box), _nulls(box), *_domain_views(box), *_distributions(box)]
    page = _PAGE.format(title=html.escape(_title(box)), body="\n".join(s for s in sections if s))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target


def _title(box: Sandbox) -> str:
    recipe = box.manifest.get("recipe")
    return f"Sandbox report: {recipe['name']}" if recipe else "Sandbox report: an anonymised export"


def _img(title: str, fig: Figure) -> str:
    data = base64.b64encode(png(fig)).decode("ascii")
    caption = html.escape(title)
    image = f'<img alt="{caption}" src="data:image/png;base64,{data}">'
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


def _overview(box: Sandbox) -> str:
    m = box.manifest
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{t['role']}</td><td class=n>{t['rows']:,}</td>"
        f"<td class=n>{len(t['files'])}</td><td>{html.escape(t['description'])}</td></tr>"
        for n, t in m["tables"].items()
    )
    recipe = m.get("recipe")
    made = (
        f"recipe <b>{html.escape(recipe['name'])}</b>, seed {m['seed']}, sandbox {m['tool']['version']}"
        if recipe
        else f"anonymised export, sandbox {m['tool']['version']}"
    )
    return (
        f"<h1>{html.escape(_title(box))}</h1><p>{made}. <span id=image-check></span></p>"
        "<table><tr><th>table</th><th>role</th><th>rows</th><th>files</th><th>description</th></tr>"
        f"{rows}</table>"
    )


def _conformance(box: Sandbox) -> str:
    checks = conformance(box.path, box.manifest)
    if not checks:
        return ""
    model = recipe_of(box.manifest)
    helps = knob_help(model) if model else {}
    rows = "".join(
        f"<tr class={'ok' if c.ok else 'bad'}><td><code>{html.escape(c.knob)}</code></td>"
        f"<td>{html.escape(help_for(helps, c.knob))}</td><td class=n>{c.target:g}</td><td class=n>{c.realised:.6g}</td>"
        f"<td class=n>{c.tolerance:.3g}</td><td>{html.escape(c.over)}</td><td>{'yes' if c.ok else 'NO'}</td></tr>"
        for c in checks
    )
    inside = sum(c.ok for c in checks)
    return (
        f"<h2>Recipe conformance</h2><p>{inside} of {len(checks)} knobs within max(10% of the knob, "
        "4 standard errors).</p><table><tr><th>knob</th><th>what it sets</th><th>target</th><th>realised</th>"
        f"<th>tolerance</th><th>over</th><th>ok</th></tr>{rows}</table>"
    )


def _nulls(box: Sandbox) -> str:
    rates = [
        (f"{name}.{c['name']}", c["nulls"] / t["rows"])
        for name, t in box.manifest["tables"].items()
        for c in t["columns"]
        if t["rows"] and c["nulls"]
    ]
    if not rates:
        return "<h2>Null rates</h2><p>No column has nulls.</p>"
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rates) + 1))
    labels, values = zip(*rates, strict=True)
    ax.barh(labels[::-1], np.array(values[::-1]) * 100, color=_COLOUR)
    ax.set_xlabel("null rate (%)")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return "<h2>Null rates</h2>" + _img("Share of nulls per column (columns without nulls left out)", fig)


def _domain_views(box: Sandbox) -> Iterator[str]:
    model = recipe_of(box.manifest)
    if model is None or model.domain is None or not any(box.manifest["tables"][t]["rows"] for t in box.tables):
        return  # nothing to show of an empty build
    from sandbox.domains.registry import find_domain

    views = find_domain(model.domain.reference).views(box)
    if views:
        yield f"<h2>Views of the {html.escape(model.domain.generator)} domain</h2>"
        for title, fig in views:
            yield _img(title, fig)


def _distributions(box: Sandbox) -> Iterator[str]:
    flagged = personal_columns(box.manifest)
    yield (
        "<h2>Column distributions</h2><p>An evenly spaced sample of at most 200,000 values per column; columns "
        "with a PII class or a scan finding, and text with many distinct values, are not plotted.</p>"
    )
    for name, table in box.manifest["tables"].items():
        plotted = []
        for column in table["columns"]:
            if column["name"] in flagged.get(name, {}):
                continue
            values = sample_column(box.path, table, column["name"])
            if values is not None and len(values) and _plottable(values):
                plotted.append((column["name"], values))
        if plotted:
            yield _img(f"{name}: {len(plotted)} columns", _grid(name, plotted))


def _plottable(values: pa.Array) -> bool:
    if _categorical(values.type):
        return len(pc.unique(values)) <= MAX_CATEGORIES
    return True


def _categorical(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind)


def _grid(table: str, columns: list[tuple[str, pa.Array]]) -> Figure:
    plt = pyplot()
    rows = -(-len(columns) // _GRID)
    fig, axes = plt.subplots(rows, _GRID, figsize=(3.4 * _GRID, 2.5 * rows), squeeze=False)
    for ax, (name, values) in zip(axes.flat, columns, strict=False):
        _plot(ax, values)
        ax.set_title(f"{table}.{name}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(columns) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _plot(ax: Axes, values: pa.Array) -> None:
    kind = values.type
    if _categorical(kind):
        counts = pc.value_counts(values).to_pylist()
        top = sorted(counts, key=lambda d: -d["counts"])[:_TOP]
        ax.barh([str(d["values"])[:18] for d in top][::-1], [d["counts"] for d in top][::-1], color=_COLOUR)
        return
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        unit = "D" if pa.types.is_date(kind) else "us"
        numbers = values.cast(pa.int32() if pa.types.is_date32(kind) else pa.int64()).to_numpy()
        counts, edges = np.histogram(numbers, bins=40)
        ax.stairs(counts, edges.astype(np.int64).astype(f"datetime64[{unit}]"), fill=True, color=_COLOUR)
        ax.tick_params(axis="x", labelrotation=30)
        return
    numbers = np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    distinct = np.unique(numbers)
    if len(distinct) <= 30:
        counts = np.array([np.count_nonzero(numbers == v) for v in distinct])
        ax.bar([f"{v:g}" for v in distinct], counts, color=_COLOUR)
        ax.tick_params(axis="x", labelrotation=90)
        return
    ax.hist(numbers, bins=40, color=_COLOUR)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1280px; color: #222; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.bad td {{ background: #fde2e1; }}
figure {{ margin: 1em 0 2em; }} figure img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 12px; }}
#image-check {{ color: #777; font-size: 12px; }}
</style></head>
<body data-images="" data-broken="">
{body}
<script>
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  const broken = images.filter((i) => !(i.complete && i.naturalWidth > 0)).length;
  document.body.dataset.images = images.length;
  document.body.dataset.broken = broken;
  document.getElementById("image-check").textContent =
    broken ? broken + " of " + images.length + " images failed to load" : images.length + " images loaded";
}});
</script>
</body></html>
"""
