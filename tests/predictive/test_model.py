"""Training and predicting: outputs, calibration, reasons, the prior, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from leadqual.core.bands import Band
from leadqual.predictive import Table, train
from leadqual.predictive.errors import TooFewRows, UnknownColumn, UnusableTarget
from leadqual.predictive.model import fit_platt
from tests.predictive.synthetic import correlation, logit, synthetic_leads


def test_predictions_carry_probability_score_band_and_readable_reasons() -> None:
    leads = synthetic_leads(800, seed=10)
    model = train(leads.table, leads.outcomes)
    new = synthetic_leads(50, seed=11)

    predictions = model.predict(new.table)

    assert predictions.probability.shape == (50,)
    assert ((predictions.probability > 0) & (predictions.probability < 1)).all()
    assert (predictions.score == np.rint(100 * predictions.probability)).all()
    assert {Band(band) for band in predictions.band} <= set(Band)
    assert all(len(reasons) <= 3 for reasons in predictions.reasons_for)
    assert all(len(reasons) <= 3 for reasons in predictions.reasons_against)
    reasons = [reason for row in predictions.reasons_for for reason in row]
    assert reasons and all(reason.effect > 0 for reason in reasons)
    assert {reason.column for reason in reasons} <= {
        "Sector",
        "Employees",
        "Budget",
        "Region",
        "Source",
        "Signed up",
    }
    first = reasons[0]
    assert first.text == f"{first.column}: {first.value}"


def test_the_model_ranks_new_leads_by_the_truth_and_is_calibrated() -> None:
    leads = synthetic_leads(3000, seed=12)
    model = train(leads.table, leads.outcomes)
    new = synthetic_leads(3000, seed=13)

    probability = model.predict(new.table).probability

    outcomes = np.array(new.outcomes)
    assert roc_auc_score(outcomes, probability) > 0.72
    assert abs(probability.mean() - outcomes.mean()) < 0.03
    top = probability >= np.quantile(probability, 0.8)
    assert abs(probability[top].mean() - outcomes[top].mean()) < 0.06


def test_identifiers_constants_and_placeholders_are_handled_on_the_card() -> None:
    leads = synthetic_leads(400, seed=14)
    card = train(leads.table, leads.outcomes).card

    used = {item.column: item.kind for item in card.features}
    not_used = {item.column: item.why for item in card.dropped}
    assert "Lead ID" in not_used and "identifier" in not_used["Lead ID"]
    assert "Newsletter" in not_used and "same value" in not_used["Newsletter"]
    assert used["Budget"] == "numeric"
    assert used["Signed up"] == "date"
    assert card.rows_used == 400


def test_rare_categories_are_bucketed_and_unseen_values_still_predict() -> None:
    leads = synthetic_leads(500, seed=15)
    sectors = list(leads.columns["Sector"])
    sectors[0] = "shipbuilding"  # seen once: bucketed with other rare values
    model = train(
        Table.from_columns(leads.columns | {"Sector": sectors}), leads.outcomes
    )
    sector = next(
        encoding for encoding in model.encoder.columns if encoding.name == "Sector"
    )
    new = Table.from_columns(
        {name: values[:2] for name, values in leads.columns.items()}
        | {"Sector": ["space travel", "retail"]}
    )

    predictions = model.predict(new)

    assert "shipbuilding" not in sector.levels
    assert predictions.probability.shape == (2,)


def test_with_thirty_outcomes_the_prediction_stays_near_the_prior() -> None:
    """Tens of outcomes shrink toward the rules' prior, not toward a flat base rate."""
    leads = synthetic_leads(3000, seed=20)
    rng = np.random.default_rng(20)
    # The rules believe in region, which the truth ignores.
    prior = np.array(
        [1.5 if region == "north" else -0.8 for region in leads.columns["Region"]]
    )
    small = rng.choice(3000, size=30, replace=False).tolist()

    model = train(
        leads.table.take(small),
        [leads.outcomes[i] for i in small],
        prior_logit=prior[small],
    )
    predicted = logit(model.predict(leads.table, prior_logit=prior).probability)

    assert correlation(predicted, prior) > 0.9
    assert model.card.certainty == "very_little_data"


def test_with_three_thousand_outcomes_the_data_moves_the_prediction_off_the_prior() -> (
    None
):
    leads = synthetic_leads(3000, seed=20)
    prior = np.array(
        [1.5 if region == "north" else -0.8 for region in leads.columns["Region"]]
    )
    model = train(leads.table, leads.outcomes, prior_logit=prior)
    new = synthetic_leads(2000, seed=21)
    new_prior = np.array(
        [1.5 if region == "north" else -0.8 for region in new.columns["Region"]]
    )

    predicted = logit(model.predict(new.table, prior_logit=new_prior).probability)

    assert correlation(predicted, new.truth_logit) > 0.8
    assert correlation(predicted, new_prior) < 0.5
    assert not model.card.fell_back_to_prior


def test_when_the_columns_carry_nothing_the_model_falls_back_to_the_calibrated_prior() -> (
    None
):
    rng = np.random.default_rng(30)
    rows = 400
    prior = rng.normal(0, 1.5, rows)
    outcomes = (rng.random(rows) < 1 / (1 + np.exp(-prior))).tolist()
    noise = Table.from_columns(
        {
            f"Noise {index}": rng.choice(["a", "b", "c", "d"], rows).tolist()
            for index in range(8)
        }
    )

    model = train(noise, outcomes, prior_logit=prior)

    assert model.card.fell_back_to_prior
    assert "calibrated prior alone" in model.card.as_text()
    probability = model.predict(noise, prior_logit=prior).probability
    assert correlation(logit(probability), prior) > 0.999


def test_a_model_trained_with_a_prior_needs_one_to_predict() -> None:
    leads = synthetic_leads(200, seed=31)
    model = train(leads.table, leads.outcomes, prior_logit=np.zeros(200))
    with pytest.raises(UnusableTarget, match=r"pass prior_logit"):
        model.predict(leads.table)


def test_a_time_order_validates_on_the_newest_rows() -> None:
    leads = synthetic_leads(500, seed=32)
    model = train(leads.table, leads.outcomes, time_order=list(range(500)))

    assert model.card.validation.startswith(
        "time split: trained on the oldest 400 rows"
    )
    assert model.card.model_scores.rows == 100


def test_an_outcome_of_one_class_is_refused() -> None:
    leads = synthetic_leads(100, seed=33)
    with pytest.raises(UnusableTarget, match=r"same outcome"):
        train(leads.table, [True] * 100)


def test_too_few_rows_are_refused() -> None:
    leads = synthetic_leads(10, seed=34)
    with pytest.raises(TooFewRows, match=r"at least 20"):
        train(leads.table, leads.outcomes)


def test_predicting_data_without_a_training_column_names_it() -> None:
    leads = synthetic_leads(200, seed=35)
    model = train(leads.table, leads.outcomes)
    with pytest.raises(UnknownColumn, match=r'lacks columns .*"Sector"'):
        model.predict(leads.table.without(["Sector"]))


def test_calibration_never_turns_a_ranking_upside_down() -> None:
    # Log-odds that rank the outcomes backwards, as noise on a small held-out
    # set can: the calibration flattens them instead of inverting them.
    rng = np.random.default_rng(3)
    log_odds = rng.normal(size=200)
    outcomes = rng.random(200) < 1 / (1 + np.exp(3 * log_odds))

    calibration = fit_platt(log_odds, outcomes)

    assert calibration.slope >= 0.0
    assert np.all(np.diff(calibration.apply(np.sort(log_odds))) >= 0.0)
