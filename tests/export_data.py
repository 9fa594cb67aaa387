"""A test export made with numpy alone (not the recipes' generators): planted correlations and categories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

POLICY = """\
version: 1
columns:
  email: {class: email, policy: pseudonymise}
"""


def customers(rows: int = 20_000, seed: int = 1) -> pd.DataFrame:
    """income ~ age (r ~ 0.6), spend ~ income, plan depends on region; an email column (personal data)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(42, 12, rows).clip(18, 90).round()
    income = (20_000 + 900 * age + rng.normal(0, 9_000, rows)).clip(5_000).round(2)
    region = rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1])
    premium = np.where(region == "north", 0.5, 0.15)
    plan = np.where(rng.random(rows) < premium, "premium", rng.choice(["basic", "standard"], rows))
    spend = (income * 0.02 * np.where(plan == "premium", 1.6, 1.0) + rng.gamma(2, 40, rows)).round(2)
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, rows + 1),
            "email": [f"person{i}.{j}@mailhost{j % 7}.de" for i, j in enumerate(rng.integers(0, 10**6, rows))],
            "age": age.astype(int),
            "income": income,
            "region": region,
            "plan": plan,
            "monthly_spend": spend,
            "churned": rng.random(rows) < 0.1 + 0.2 * (plan == "basic"),
        }
    )


def orders(parents: pd.DataFrame, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per = rng.poisson(2, len(parents))
    owner = np.repeat(parents["customer_id"].to_numpy(), per)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, len(owner) + 1),
            "customer_id": owner,
            "amount": rng.lognormal(3.5, 0.6, len(owner)).round(2),
            "channel": rng.choice(["web", "app", "store"], len(owner), p=[0.5, 0.3, 0.2]),
        }
    )


def write(folder: Path, rows: int = 20_000, with_orders: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    people = customers(rows)
    paths = [folder / "customers.csv"]
    people.to_csv(paths[0], index=False)
    if with_orders:
        paths.append(folder / "orders.csv")
        orders(people.drop(columns="email")).to_csv(paths[1], index=False)
    (folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return paths


if __name__ == "__main__":  # python -m tests.export_data FOLDER [ROWS]: the README's examples use it
    import sys

    write(Path(sys.argv[1]), rows=int(sys.argv[2]) if len(sys.argv) > 2 else 2_000, with_orders=True)
