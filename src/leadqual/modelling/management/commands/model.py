"""``leadqual model train|predict|evaluate``: predictive models from CSV/XLSX files."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadqual.core.errors import LeadqualError
from leadqual.predictive import (
    Table,
    evaluate,
    load_model,
    read_table,
    save_model,
    train,
)
from leadqual.predictive.table import (
    Outcomes,
    outcomes_from_column,
    parse_date,
    parse_number,
)

_REASON_COLUMNS = 3


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="CSV or XLSX file, one lead per row")
    parser.add_argument(
        "--target", required=True, help="the column holding the outcome"
    )
    parser.add_argument(
        "--positive",
        help="the target value that means a positive outcome (default: 1, yes, true, "
        "won or ja when the column has two values)",
    )
    parser.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns to leave out",
    )
    parser.add_argument(
        "--allow",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns to use even though the leakage guard flags them",
    )
    parser.add_argument(
        "--time-column",
        help="a date (or number) column: validate on the newest rows instead of "
        "cross-validation",
    )


class Command(BaseCommand):
    help = (
        "Train a predictive model on a CSV/XLSX file of leads and outcomes, predict "
        "new leads with it, or evaluate it beside simple baselines. The leakage guard "
        "leaves out columns that give the outcome away."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        training = actions.add_parser(
            "train", help="train a model and print its model card", add_help=True
        )
        _add_data_arguments(training)
        training.add_argument(
            "--out", type=Path, required=True, help="model file to write"
        )
        predicting = actions.add_parser("predict", help="predict every row of a file")
        predicting.add_argument(
            "model_file", type=Path, help="a file written by model train"
        )
        predicting.add_argument("data", type=Path, help="CSV or XLSX file of new leads")
        predicting.add_argument(
            "--out", type=Path, required=True, help="CSV file to write"
        )
        evaluating = actions.add_parser(
            "evaluate", help="cross-validate the model and baselines, side by side"
        )
        _add_data_arguments(evaluating)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["action"]:
                case "train":
                    self._train(options)
                case "predict":
                    self._predict(options)
                case _:
                    self._evaluate(options)
        except LeadqualError as error:
            raise CommandError(error.message) from None

    def _train(self, options: dict[str, Any]) -> None:
        table, outcomes, time_order = self._read(options)
        model = train(
            table,
            outcomes.outcomes,
            time_order=time_order,
            allow=options["allow"],
            exclude=options["exclude"],
            target_name=f'{options["target"]} = "{outcomes.positive}"',
        )
        out: Path = options["out"]
        save_model(model, out)
        self.stdout.write(model.card.as_text())
        self.stdout.write(f"\nSaved the model to {out}.")

    def _evaluate(self, options: dict[str, Any]) -> None:
        table, outcomes, time_order = self._read(options)
        evaluation = evaluate(
            table,
            outcomes.outcomes,
            time_order=time_order,
            allow=options["allow"],
            exclude=options["exclude"],
            target_name=f'{options["target"]} = "{outcomes.positive}"',
        )
        self.stdout.write(evaluation.as_text())

    def _read(
        self, options: dict[str, Any]
    ) -> tuple[Table, Outcomes, list[float] | None]:
        table = read_table(options["data"])
        outcomes = outcomes_from_column(
            table, options["target"], positive=options["positive"]
        )
        if outcomes.skipped:
            self.stderr.write(
                f"Skipped {outcomes.skipped:,} rows without a value in "
                f'"{options["target"]}".'
            )
        leaving_out = [options["target"]]
        time_order = None
        if options["time_column"]:
            time_order = _moments(table, options["time_column"], outcomes.rows)
            leaving_out.append(options["time_column"])
        return table.take(outcomes.rows).without(leaving_out), outcomes, time_order

    def _predict(self, options: dict[str, Any]) -> None:
        model = load_model(options["model_file"])
        table = read_table(options["data"])
        predictions = model.predict(table)
        id_column = model.id_column if model.id_column in table.cells else None
        header = [id_column or "row", "probability", "score", "band"]
        header += [f"reason_for_{number}" for number in range(1, _REASON_COLUMNS + 1)]
        header += [
            f"reason_against_{number}" for number in range(1, _REASON_COLUMNS + 1)
        ]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        ids = table.column(id_column) if id_column else None
        for row in range(table.n_rows):
            reasons_for = [reason.text for reason in predictions.reasons_for[row]]
            reasons_against = [
                reason.text for reason in predictions.reasons_against[row]
            ]
            writer.writerow(
                [
                    (ids[row] or "") if ids is not None else row + 1,
                    f"{predictions.probability[row]:.4f}",
                    int(predictions.score[row]),
                    predictions.band[row].value,
                    *_padded(reasons_for),
                    *_padded(reasons_against),
                ]
            )
        out: Path = options["out"]
        partial = out.with_name(out.name + ".partial")
        partial.write_text(buffer.getvalue(), encoding="utf-8")
        partial.replace(out)
        self.stdout.write(f"Wrote {table.n_rows:,} predictions to {out}.")


def _padded(reasons: list[str]) -> list[str]:
    return reasons + [""] * (_REASON_COLUMNS - len(reasons))


def _moments(table: Table, name: str, rows: tuple[int, ...]) -> list[float]:
    """The time column as seconds (dates) or numbers; every row needs one."""
    values = table.column(name)
    moments: list[float] = []
    for row in rows:
        value = values[row]
        moment: datetime | float | None = None
        if value is not None:
            moment = parse_date(value) or parse_number(value)
        if moment is None:
            raise CommandError(
                f'Row {row + 2}, column "{name}": {value or "(empty)"!r} is not a date or '
                "number. Give every row a date such as 2026-03-01."
            )
        moments.append(moment.timestamp() if isinstance(moment, datetime) else moment)
    return moments
