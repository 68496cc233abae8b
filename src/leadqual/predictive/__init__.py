"""Predictive lead scoring from any table of leads and outcomes (pure Python, no Django).

The API the app and the command line use::

    model = train(table, target, prior_logit=..., time_order=..., allow=..., exclude=...)
    predictions = model.predict(table)        # probability, score, band, reasons
    print(model.card.as_text())
    save_model(model, path); model = load_model(path)
    print(evaluate(table, target).as_text())  # model and baselines side by side
"""

from leadqual.predictive.card import Certainty, ModelCard
from leadqual.predictive.evaluation import Evaluation, evaluate
from leadqual.predictive.leakage import LeakFlag, LeakReason
from leadqual.predictive.model import Predictions, Reason, TrainedModel, train
from leadqual.predictive.storage import load_model, save_model
from leadqual.predictive.table import ColumnKind, Table, read_table

__all__ = [
    "Certainty",
    "ColumnKind",
    "Evaluation",
    "LeakFlag",
    "LeakReason",
    "ModelCard",
    "Predictions",
    "Reason",
    "Table",
    "TrainedModel",
    "evaluate",
    "load_model",
    "read_table",
    "save_model",
    "train",
]
