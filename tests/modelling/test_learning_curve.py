"""Acceptance (#14): on the demo data the predictive model is never worse than
the rules on held-out leads, and it gets better with more outcomes.

The demo plan (3,000 leads over 180 days, fixed seed and clock) is replayed
without look-ahead (tests/demo_histories.py). The newest 500 reviewed leads
are the fixed held-out set; the model learns, as the app does
(``train_and_validate``), from the 30, 100, 300 and 1,000 reviewed leads
judged just before them, and is scored on the held-out set beside the rules'
score on the same leads.

"Never below the rules" is checked on more windows than the curve's: the
same sizes ending 100, 200 and 300 reviewed leads earlier. With 100 outcomes
ending 200 earlier, a model whose AUC on its 25 newer leads only just beat
the rules' ranked the held-out leads worse (0.602 against 0.634); the check
now keeps a model only when it is better in 90% of resamples.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources

import pytest

from leadqual.core.model_file import parse_scoring_model
from leadqual.demo.generator import plan_demo_data
from leadqual.modelling.training import (
    Examples,
    build_examples,
    train_and_validate,
    validate,
)
from tests.demo_histories import plan_histories

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HELD_OUT = 500
SIZES = (30, 100, 300, 1_000)
# (outcomes, how many reviewed leads earlier the window ends). Thirty
# outcomes ending 100 or 200 earlier hold fewer than 5 conversions: the app
# refuses to train on them (TooFewRows), so they are not here.
WINDOWS = (
    (30, 0), (30, 300),
    (100, 0), (100, 100), (100, 200), (100, 300),
    (300, 0), (300, 100), (300, 200), (300, 300),
    (1_000, 0), (1_000, 200),
)  # fmt: skip
# AUCs on 500 leads wobble by about this much between neighbouring sizes.
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def examples() -> Examples:
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    model = parse_scoring_model(source, version=1)
    plan = plan_demo_data(seed=1, now=NOW, leads=3_000, model=model)
    return build_examples(plan_histories(plan), model)


@pytest.fixture(scope="module")
def held_out(examples: Examples) -> Examples:
    return examples.part(len(examples) - HELD_OUT)


@pytest.fixture(scope="module")
def pool(examples: Examples) -> Examples:
    pool = examples.part(0, len(examples) - HELD_OUT)
    assert len(pool) >= max(SIZES) + max(earlier for _size, earlier in WINDOWS)
    return pool


AucsOf = Callable[[int, int], tuple[float, float]]


@pytest.fixture(scope="module")
def aucs(pool: Examples, held_out: Examples) -> AucsOf:
    """(model AUC, rules AUC) on the held-out set, for the model trained on
    ``size`` reviewed leads ending ``earlier`` leads before the held-out set;
    each window is trained once."""

    @functools.cache
    def of(size: int, earlier: int) -> tuple[float, float]:
        end = len(pool) - earlier
        trained = train_and_validate(pool.part(end - size, end), seed=0)
        checked = validate(trained.model, held_out)
        assert checked.model_auc is not None and checked.rules_auc is not None
        return checked.model_auc, checked.rules_auc

    return of


@pytest.fixture(scope="module")
def curve(aucs: AucsOf) -> dict[int, tuple[float, float]]:
    """(model AUC, rules AUC) on the held-out set, per number of outcomes."""
    return {size: aucs(size, 0) for size in SIZES}


def test_the_held_out_set_is_separate_and_newer(
    pool: Examples, held_out: Examples
) -> None:
    assert set(held_out.lead_ids).isdisjoint(pool.lead_ids)
    assert pool.decided_at[-1] <= held_out.decided_at[0]
    assert 0 < held_out.conversions < HELD_OUT


@pytest.mark.parametrize(("size", "earlier"), WINDOWS)
def test_the_model_is_never_below_the_rules_on_held_out_leads(
    aucs: AucsOf, size: int, earlier: int
) -> None:
    model_auc, rules_auc = aucs(size, earlier)
    assert model_auc >= rules_auc - 1e-9


def test_the_model_gets_better_with_more_outcomes(
    curve: dict[int, tuple[float, float]],
) -> None:
    aucs = [curve[size][0] for size in SIZES]
    assert aucs[-1] > aucs[0]
    for smaller, larger in itertools.pairwise(aucs):
        assert larger >= smaller - TOLERANCE
