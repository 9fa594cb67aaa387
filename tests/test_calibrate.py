"""`sandbox calibrate`: a recipe fitted from an export made here with numpy (five related tables, 12,500 rows,
mixed types, free text), then built and read back with DuckDB: keys resolve, the fitted statistics come back,
and no personal or id value of the export is in the recipe."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sandbox
from sandbox.calibrate import calibrate
from sandbox.cli import cli

POLICY = """\
version: 1
columns:
  full_name: {class: person_name, policy: fake}
  email: {class: email, policy: pseudonymise}
  phone: {class: phone, policy: mask}
  city: {class: location, policy: generalise}
  body: {class: free_text, policy: redact}
"""
FIRST = ["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Keller", "Haddad", "Rossi", "Byrne"]
WORDS = "the parcel arrived late but the kettle works well and boils fast though the lid rattles".split()


def make_export(root: Path, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Customers, products, orders, order lines and reviews as CSV, with the relations a shop has."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    n_c, n_p, n_o, n_l, n_r = 2000, 300, 4000, 5000, 1200
    names = [f"{FIRST[i % 10]} {LAST[(i * 7) % 10]}{i}" for i in range(n_c)]
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_c + 1),
            "full_name": names,
            "email": [f"user{i}.{LAST[i % 10].lower()}@mailbox{i % 7}.net" for i in range(n_c)],
            "phone": [f"+44 7700 {900000 + i:06d}" for i in range(n_c)],
            "city": rng.choice(["Leeds", "Lyon", "Porto", "Graz", "Turku"], n_c),
            "segment": rng.choice(["new", "regular", "vip"], n_c, p=[0.6, 0.3, 0.1]),
            "signup_at": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 700 * 86400, n_c), "s"),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": np.arange(100, 100 + n_p),
            "sku": [f"SKU-{i:06d}" for i in range(100, 100 + n_p)],
            "category": rng.choice(["books", "garden", "kitchen", "toys"], n_p),
            "price": np.round(rng.lognormal(3.2, 0.7, n_p), 2),
        }
    )
    popular = rng.zipf(1.6, n_o) % n_c
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n_o + 1),
            "customer_id": popular + 1,
            "ordered_at": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n_o), "s"),
            "status": rng.choice(["delivered", "shipped", "cancelled", "returned"], n_o, p=[0.8, 0.1, 0.06, 0.04]),
            "items": rng.poisson(1.4, n_o) + 1,
        }
    )
    lines = pd.DataFrame(
        {
            "line_id": np.arange(1, n_l + 1),
            "order_id": rng.integers(1, n_o + 1, n_l),
            "product_id": rng.integers(100, 100 + n_p, n_l),
            "quantity": rng.integers(1, 5, n_l),
            "unit_price": np.round(rng.normal(40, 12, n_l).clip(1), 2),
        }
    )
    reviews = pd.DataFrame(
        {
            "review_id": np.arange(1, n_r + 1),
            "product_id": rng.integers(100, 100 + n_p, n_r),
            "customer_id": rng.integers(1, n_c + 1, n_r),
            "rating": rng.choice([1, 2, 3, 4, 5], n_r, p=[0.05, 0.05, 0.15, 0.35, 0.4]),
            "body": [" ".join(rng.choice(WORDS, rng.integers(4, 14))) + f" - {names[i % n_c]}" for i in range(n_r)],
        }
    )
    frames = {"customers": customers, "products": products, "orders": orders, "order_lines": lines, "reviews": reviews}
    for name, frame in frames.items():
        frame.to_csv(root / f"{name}.csv", index=False)
    (root / "policy.yaml").write_text(POLICY)
    return frames


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame], str]:
    root = tmp_path_factory.mktemp("export")
    frames = make_export(root / "in")
    text = calibrate(sorted((root / "in").glob("*.csv")), root / "in" / "policy.yaml", seed=5)
    (root / "recipe.yaml").write_text(text)
    sandbox.build(root / "recipe.yaml", root / "out")
    return root, frames, text


def test_the_recipe_holds_no_personal_or_id_value_of_the_export(fitted: tuple[Path, dict, str]) -> None:
    _, frames, text = fitted
    personal = [*frames["customers"]["full_name"], *frames["customers"]["email"], *frames["customers"]["phone"]]
    personal += [*frames["customers"]["city"], *frames["products"]["sku"]]
    words = set(re.findall(r"[\w.@+-]+", text))
    assert not [v for v in personal if v in text], "a personal or id value is in the recipe"
    assert not {LAST[0] + "0", "user0.okafor@mailbox0.net", "SKU-000100"} & words


def test_keys_resolve_and_tables_keep_their_sizes(fitted: tuple[Path, dict, str]) -> None:
    root, frames, text = fitted
    recipe = yaml.safe_load(text)["tables"]
    assert list(recipe)[:2] == ["customers", "orders"] or recipe["orders"]["columns"]["customer_id"]["ref"]
    assert recipe["orders"]["columns"]["customer_id"]["ref"] == "customers.customer_id"
    assert recipe["order_lines"]["columns"]["product_id"]["ref"] == "products.product_id"
    # customers order Zipf-style in the export; lines pick orders uniformly
    assert recipe["orders"]["columns"]["customer_id"]["skew"] > 0.5
    assert recipe["order_lines"]["columns"]["order_id"]["skew"] == 0
    con = duckdb.connect()
    for name, frame in frames.items():
        con.execute(f"create view {name} as select * from '{root}/out/tables/{name}/*.parquet'")
        assert con.execute(f"select count(*) from {name}").fetchone()[0] == len(frame)
    orphans = con.execute("""select count(*) from order_lines l left join orders o using (order_id)
                             where o.order_id is null""").fetchone()[0]
    assert orphans == 0
    assert con.execute("select count(*) from reviews r anti join products using (product_id)").fetchone()[0] == 0


def test_the_built_sandbox_looks_like_the_export(fitted: tuple[Path, dict, str]) -> None:
    root, frames, _ = fitted
    con = duckdb.connect()
    got = con.execute(f"""select avg((status = 'delivered')::int), avg(items), min(ordered_at), max(ordered_at)
                          from '{root}/out/tables/orders/*.parquet'""").fetchone()
    orders = frames["orders"]
    assert got[0] == pytest.approx((orders["status"] == "delivered").mean(), abs=0.03)
    assert got[1] == pytest.approx(orders["items"].mean(), rel=0.05)
    assert str(got[2])[:7] == "2024-01" and str(got[3])[:7] == "2024-12"
    price = con.execute(f"select median(price) from '{root}/out/tables/products/*.parquet'").fetchone()[0]
    assert float(price) == pytest.approx(frames["products"]["price"].median(), rel=0.2)
    ratings = dict(con.execute(f"select rating, avg(1) over () from '{root}/out/tables/reviews/*.parquet'").fetchall())
    assert set(ratings) == {1, 2, 3, 4, 5}


def test_the_cli_writes_the_recipe_and_refuses_an_unnamed_personal_column(tmp_path: Path) -> None:
    make_export(tmp_path / "in")
    inputs = [str(p) for p in sorted((tmp_path / "in").glob("*.csv"))]
    ok = CliRunner().invoke(
        cli, ["calibrate", *inputs, "--policy", str(tmp_path / "in/policy.yaml"), "--out", str(tmp_path / "r.yaml")]
    )
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "r.yaml").read_text().startswith("# Calibrated by `sandbox calibrate`")
    again = CliRunner().invoke(
        cli, ["calibrate", *inputs, "--policy", str(tmp_path / "in/policy.yaml"), "--out", str(tmp_path / "r.yaml")]
    )
    assert again.exit_code == 2 and "--overwrite" in again.output
    (tmp_path / "thin.yaml").write_text("version: 1\ncolumns:\n  body: {class: free_text, policy: redact}\n")
    refused = CliRunner().invoke(
        cli, ["calibrate", *inputs, "--policy", str(tmp_path / "thin.yaml"), "--out", str(tmp_path / "x.yaml")]
    )
    assert refused.exit_code == 2, refused.output
    assert "customers.email (email)" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(
    ("name", "csv"),
    [
        ("empty", ""),
        ("header_only", "a,b\n"),
        ("all_null", "id,x\n1,\n2,\n3,\n"),
        ("one_row", "id,amount,kind\n1,9.5,red\n"),
        ("many_categories", "id,code\n" + "".join(f"{i},c{i * 7919 % 10007}x\n" for i in range(1, 10_001))),
    ],
)
def test_awkward_exports_give_a_recipe_or_a_clear_exit_2(tmp_path: Path, name: str, csv: str) -> None:
    (tmp_path / f"{name}.csv").write_text(csv)
    (tmp_path / "p.yaml").write_text("version: 1\n")
    out = tmp_path / "r.yaml"
    result = CliRunner().invoke(
        cli, ["calibrate", str(tmp_path / f"{name}.csv"), "--policy", str(tmp_path / "p.yaml"), "--out", str(out)]
    )
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 0:
        sandbox.build(out, tmp_path / "built")
    else:
        assert result.exit_code == 2 and f"{name}.csv" in result.output, result.output
        assert not out.exists()


def test_a_clickstream_export_gives_back_the_funnel_it_was_made_with(tmp_path: Path) -> None:
    """The ecommerce recipe's sandbox, its tables only (no truth), drafted a policy and calibrated: the fitted
    knobs are within 10% of the ones it was built with."""
    sandbox.build("ecommerce", tmp_path / "shop", seed=3)
    policy = CliRunner().invoke(cli, ["anonymise", str(tmp_path / "shop"), "--suggest-policy"])
    assert policy.exit_code == 0, policy.output
    (tmp_path / "policy.yaml").write_text(policy.output)
    recipe = yaml.safe_load(calibrate([tmp_path / "shop"], tmp_path / "policy.yaml"))
    assert recipe["domain"]["generator"] == "clickstream" and "tables" not in recipe
    made = {"conversion_rate": 0.025, "cart_abandonment": 0.70, "bot_share": 0.02, "bounce_rate": 0.457}
    made |= {"mobile_share": 0.58, "tablet_share": 0.07, "duplicate_event_rate": 0.004, "late_event_rate": 0.006}
    made |= {"missing_product_rate": 0.01, "days": 365}
    got = recipe["domain"]["knobs"]
    assert {k: got[k] for k in made} == pytest.approx(made, rel=0.1)
    assert recipe["domain"]["rows"] == 40_000 and got["start"] == "2025-01-01"
    monday, saturday = got["weekday_profile"][0], got["weekday_profile"][5]
    assert monday > 1 > saturday  # Olist's weekdays, as the recipe's default profile has them
    assert (got["anonymous_share"], got["sessions_per_customer"], got["products"]) == (0.35, 4.0, 2000)
    # the device multipliers (0.7, 1.4, 1.0) as the domain uses them: scaled to the device mix's mean
    mean = 0.7 * 0.58 + 1.4 * 0.35 + 1.0 * 0.07
    devices = {f"{d}_conversion": m / mean for d, m in (("mobile", 0.7), ("desktop", 1.4), ("tablet", 1.0))}
    assert {k: got[k] for k in devices} == pytest.approx(devices, rel=0.1)


@pytest.mark.slow
def test_calibrated_sandboxes_score_like_gaussian_copula_and_fit_faster() -> None:
    """Issue #26's bar, with SDV (the `learn` extra) in the same run: SDMetrics quality >= 0.8 per table and
    within 0.05 of GaussianCopula's or better."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "calibrate_quality", Path(__file__).parents[1] / "bench/calibrate_quality.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [r for r in bench.run() if r["epsilon"] is None]  # the private runs are reported, not held to this
    assert {r["export"] for r in rows} == {"shop", "wine", "breast_cancer", "diabetes"}
    for r in rows:
        assert r["calibrate"] >= 0.8 and r["calibrate"] >= r["gaussian_copula"] - 0.05, r
    # the times are measured by the script and reported in the README, not asserted (speed is not a test)


def test_epsilon_releases_only_private_statistics_and_records_every_spend(tmp_path: Path) -> None:
    """`--epsilon 1`: the recipe builds, its header lists each statistic's share of the budget (at most 1 in all),
    the manifest keeps it, and no correlation, Zipf skew, id shape or exact count is released."""
    frames = make_export(tmp_path / "in")
    inputs = [str(p) for p in sorted((tmp_path / "in").glob("*.csv"))]
    args = ["calibrate", *inputs, "--policy", str(tmp_path / "in/policy.yaml"), "--out", str(tmp_path / "dp.yaml")]
    result = CliRunner().invoke(cli, [*args, "--epsilon", "1"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "dp.yaml").read_text()
    spends = [float(m) for m in re.findall(r"^#   \S+: .*, epsilon ([\d.e-]+)$", text, re.M)]
    assert "# Differentially private (OpenDP): epsilon 1 in all" in text and len(spends) > 30
    assert 0.5 < sum(spends) <= 1.0 + 1e-9
    total = re.search(r"; ([\d.]+) spent", text)
    assert total is not None and float(total.group(1)) == pytest.approx(sum(spends), rel=1e-3)
    recipe = yaml.safe_load(text)
    assert "correlations" not in text and "template" not in text and "(noisy)" in text
    assert all(c.get("skew", 0) == 0 for t in recipe["tables"].values() for c in t["columns"].values())
    assert [v for v in [*frames["customers"]["email"], *frames["products"]["sku"]] if v in text] == []
    sandbox.build(tmp_path / "dp.yaml", tmp_path / "out")
    manifest = yaml.safe_load((tmp_path / "out" / "manifest.json").read_text())
    assert "epsilon 1 in all" in manifest["recipe"]["text"]
    bad = CliRunner().invoke(cli, [*args, "--epsilon", "0", "--overwrite"])
    assert bad.exit_code == 2 and "--epsilon: expected a number above 0, got 0.0" in bad.output


def test_a_sensor_export_gives_back_the_plant_it_was_made_with(tmp_path: Path) -> None:
    """The iot recipe's sandbox, tables only: dropouts, gaps, spikes and duplicates within 10% of the knobs it
    was built with; outages against the truth the export does not carry."""
    sandbox.build("iot", tmp_path / "plant", seed=4)
    policy = CliRunner().invoke(cli, ["anonymise", str(tmp_path / "plant"), "--suggest-policy"])
    (tmp_path / "policy.yaml").write_text(policy.output)
    recipe = yaml.safe_load(calibrate([tmp_path / "plant"], tmp_path / "policy.yaml"))
    assert recipe["domain"]["generator"] == "sensors" and recipe["domain"]["rows"] == 40
    got = recipe["domain"]["knobs"]
    made = {"dropout_rate": 0.02, "mean_gap_samples": 6.0, "spike_rate": 0.0005, "duplicate_rate": 0.001}
    assert {k: got[k] for k in made} == pytest.approx(made, rel=0.1)
    assert (got["start"], got["days"]) == ("2025-03-01", 7)
    truth = duckdb.connect().execute(f"""select count(*) / 5, median(epoch(end_ts - start_ts)) / 3600
                                         from '{tmp_path}/plant/truth/defects/*.parquet' where kind = 'outage'""")
    outages, hours = truth.fetchone()
    assert abs(got["outages_per_device_month"] * 40 * 7 / 30 - outages) <= 3
    assert got["outage_median_hours"] == pytest.approx(hours, rel=0.25)


def test_a_mapped_export_with_its_own_names_gives_the_same_knobs(tmp_path: Path) -> None:
    """The ecommerce sandbox with its sessions table called `visits` and two columns renamed: unmapped it is
    fitted column by column; with `--map` it gives the knobs the domain's own names give, and the recipe
    records the mapping. A mapping to a name the export lacks, or one that leaves the shape short, is exit 2."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    sandbox.build("ecommerce", tmp_path / "shop", seed=3, rows=4000)
    renames = {"sessions": ("visits", {"started_at": "visit_start"}), "events": ("events", {"ts": "hit_time"})}
    (tmp_path / "web").mkdir()
    for table in ("sessions", "events", "orders", "customers", "products"):
        data = ds.dataset(tmp_path / "shop/tables" / table).to_table()
        name, columns = renames.get(table, (table, {}))
        pq.write_table(
            data.rename_columns([columns.get(c, c) for c in data.column_names]), tmp_path / f"web/{name}.parquet"
        )
    policy = CliRunner().invoke(cli, ["anonymise", str(tmp_path / "web"), "--suggest-policy"])
    (tmp_path / "policy.yaml").write_text(policy.output)
    plain = yaml.safe_load(calibrate([tmp_path / "web"], tmp_path / "policy.yaml"))
    assert "domain" not in plain and "visits" in plain["tables"]
    names = {"sessions": "visits", "sessions.started_at": "visit_start", "events.ts": "hit_time"}
    text = calibrate([tmp_path / "web"], tmp_path / "policy.yaml", names=names)
    mapped = yaml.safe_load(text)
    (tmp_path / "shop-policy.yaml").write_text(
        CliRunner().invoke(cli, ["anonymise", str(tmp_path / "shop"), "--suggest-policy"]).output
    )
    direct = yaml.safe_load(calibrate([tmp_path / "shop"], tmp_path / "shop-policy.yaml"))
    assert mapped["domain"] == direct["domain"] and "tables" not in mapped
    assert "# Mapped onto the domain's names (--map): sessions = visits, sessions.started_at = visit_start" in text
    base = ["calibrate", str(tmp_path / "web"), "-p", str(tmp_path / "policy.yaml"), "-o", str(tmp_path / "r.yaml")]
    for args, message in [
        (["--map", "sessions=visitors"], "--map sessions=visitors: the export has no table visitors (it has "),
        (["--map", "sessions=visits", "--map", "sessions.started_at=start"], "table visits has no column start"),
        (["--map", "sessions=visits"], "it still lacks sessions.started_at, events.ts"),
        (["--map", "sessions"], "--map: expected DOMAIN=EXPORT such as sessions=visits"),
    ]:
        result = CliRunner().invoke(cli, [*base, *args])
        assert result.exit_code == 2 and message in result.output, result.output
        assert not (tmp_path / "r.yaml").exists()


LEDGER = {
    "typo_rate": 0.0026,
    "transposition_rate": 0.0012,
    "decimal_shift_rate": 0.0012,
    "missing_field_rate": 0.002,
    "correction_rate": 0.2,
    "ocr_share": 0.25,
    "suppliers": 300,
}


def test_an_invoice_export_gives_back_the_error_rates_it_was_made_with(tmp_path: Path) -> None:
    """A ledger built at twice the published keying rates and poor scans, its tables only (no truth): the error
    rates come back from what the errors leave (amounts that do not parse or add up, empty fields, gaps,
    second entries) through simulation, within 10% of the knobs; duplicates and skipped lines, read off
    directly, within 15% of the rates the truth realised."""
    knobs = {**LEDGER, "ocr_quality": "poor", "duplicate_rate": 0.01, "skipped_line_rate": 0.006, "clerks": 20}
    recipe = {
        "version": 1,
        "name": "made",
        "seed": 4,
        "domain": {"generator": "ledger", "rows": 40_000, "knobs": knobs},
    }
    (tmp_path / "made.yaml").write_text(yaml.safe_dump(recipe))
    sandbox.build(tmp_path / "made.yaml", tmp_path / "books")
    policy = CliRunner().invoke(cli, ["anonymise", str(tmp_path / "books"), "--suggest-policy"])
    (tmp_path / "policy.yaml").write_text(policy.output)
    fitted = yaml.safe_load(calibrate([tmp_path / "books"], tmp_path / "policy.yaml"))
    assert fitted["domain"]["generator"] == "ledger" and "tables" not in fitted
    got = fitted["domain"]["knobs"]
    assert fitted["domain"]["rows"] == pytest.approx(40_000, rel=0.01)
    assert (got["clerks"], got["ocr_quality"]) == (20, "poor")
    assert {k: got[k] for k in LEDGER} == pytest.approx(LEDGER, rel=0.1)
    lines = f"'{tmp_path}/books/truth/invoice_lines/*.parquet'"
    truth = duckdb.connect().execute(f"""select count(*) filter (kind = 'duplicate_record') / 40000,
        count(*) filter (kind = 'skipped_line') / (select count(*) from {lines})
        from '{tmp_path}/books/truth/defects/*.parquet'""")
    duplicates, skipped = truth.fetchone()
    assert (got["duplicate_rate"], got["skipped_line_rate"]) == pytest.approx((duplicates, skipped), rel=0.15)
