"""The check that keeps a learned model only when it beats the rules with confidence."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from leadqual.modelling.training import auc_gain_low


def _leads(count: int, *, seed: int) -> tuple[list[bool], np.ndarray]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=count)
    outcomes = (signal + rng.normal(size=count) > 0.5).tolist()
    return outcomes, signal


def test_a_model_that_ranks_clearly_better_passes() -> None:
    outcomes, signal = _leads(400, seed=1)
    noise = np.random.default_rng(2).normal(size=400)

    low = auc_gain_low(outcomes, signal, signal + 3 * noise)

    assert low is not None and low > 0.1


def test_the_same_ranking_gains_nothing() -> None:
    outcomes, signal = _leads(200, seed=3)

    assert auc_gain_low(outcomes, signal, 10 * signal + 5) == 0.0


def test_a_lucky_edge_on_few_leads_is_not_enough() -> None:
    """On 24 leads the model's AUC is above the rules', yet the two rank
    alike: most of the gain is luck, and the check does not pass."""
    outcomes, signal = _leads(24, seed=4)
    rules = signal + np.random.default_rng(6).normal(scale=0.6, size=24)
    model = signal + np.random.default_rng(5).normal(scale=0.6, size=24)
    assert roc_auc_score(outcomes, model) > roc_auc_score(outcomes, rules)

    low = auc_gain_low(outcomes, model, rules)

    assert low is not None and low <= 0


def test_without_both_outcomes_there_is_no_check() -> None:
    assert auc_gain_low([True] * 10, np.arange(10.0), np.arange(10.0)) is None


def test_the_check_is_seeded() -> None:
    outcomes, signal = _leads(100, seed=7)
    rules = signal + np.random.default_rng(8).normal(size=100)

    assert auc_gain_low(outcomes, signal, rules) == auc_gain_low(
        outcomes, signal, rules
    )
