"""Synthetic lead tables with a known truth, built in the test process (seeded)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from leadqual.predictive import Table

SECTORS = ("software", "retail", "health", "logistics", "education")
SECTOR_EFFECT = {
    "software": 1.2,
    "retail": -0.6,
    "health": 0.4,
    "logistics": -0.2,
    "education": -1.0,
}


@dataclass(frozen=True)
class Leads:
    table: Table
    outcomes: list[bool]
    truth_logit: npt.NDArray[np.float64]
    columns: dict[str, list[object]]


def synthetic_leads(rows: int, *, seed: int = 0) -> Leads:
    """Leads whose conversion depends on sector, employees and budget (not on region)."""
    rng = np.random.default_rng(seed)
    sectors = rng.choice(SECTORS, size=rows, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    employees = np.round(np.exp(rng.normal(3, 1.2, size=rows))).astype(int) + 1
    budget = np.round(rng.lognormal(9, 1, size=rows), -2)
    budget_known = rng.random(rows) > 0.2
    truth = (
        np.array([SECTOR_EFFECT[sector] for sector in sectors])
        + 0.5 * (np.log(employees) - 3)
        + 0.6 * np.where(budget_known, np.log(budget) - 9, -0.5)
        - 0.5
    )
    outcomes = rng.random(rows) < 1 / (1 + np.exp(-truth))
    start = date(2025, 1, 1)
    columns: dict[str, list[object]] = {
        "Lead ID": [f"L{index:06d}" for index in range(rows)],
        "Sector": [str(sector) for sector in sectors],
        "Employees": [int(value) for value in employees],
        "Budget": [
            float(value) if known else "n/a"
            for value, known in zip(budget, budget_known, strict=True)
        ],
        "Region": [
            str(value) for value in rng.choice(["north", "south", "east", "west"], rows)
        ],
        "Source": [
            str(value)
            for value in rng.choice(["Select", "web", "event", "referral"], rows)
        ],
        "Signed up": [
            (start + timedelta(days=int(day))).isoformat()
            for day in rng.integers(0, 365, rows)
        ],
        "Newsletter": ["No"] * rows,
    }
    return Leads(
        Table.from_columns(columns), [bool(value) for value in outcomes], truth, columns
    )


def logit(probability: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    clipped = np.clip(probability, 1e-9, 1 - 1e-9)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def correlation(left: npt.ArrayLike, right: npt.ArrayLike) -> float:
    value = float(
        np.corrcoef(np.asarray(left, dtype=float), np.asarray(right, dtype=float))[0, 1]
    )
    return 0.0 if math.isnan(value) else value
