"""`leadqual model train|predict|evaluate` on real files."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.predictive.synthetic import synthetic_leads
from tests.subprocesses import LEADQUAL, subprocess_env


def _write_leads(
    path: Path, rows: int, *, seed: int, with_outcome: bool = True
) -> None:
    leads = synthetic_leads(rows, seed=seed)
    columns = dict(leads.columns)
    if with_outcome:
        columns["Won"] = ["yes" if won else "no" for won in leads.outcomes]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(zip(*columns.values(), strict=True))


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("model", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_train_prints_the_card_and_predict_writes_one_row_per_lead(
    tmp_path: Path,
) -> None:
    _write_leads(tmp_path / "history.csv", 600, seed=50)
    _write_leads(tmp_path / "new.csv", 25, seed=51, with_outcome=False)

    card = _run(
        "train",
        str(tmp_path / "history.csv"),
        "--target",
        "Won",
        "--out",
        str(tmp_path / "leads.model"),
    )
    said = _run(
        "predict",
        str(tmp_path / "leads.model"),
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "scored.csv"),
    )

    assert 'Model card: predicts Won = "yes"' in card
    assert "Rows used: 600" in card
    assert "Lead ID: an identifier" in card
    assert said.strip().startswith("Wrote 25 predictions to")
    with (tmp_path / "scored.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "Lead ID",
        "probability",
        "score",
        "band",
        "reason_for_1",
        "reason_for_2",
        "reason_for_3",
        "reason_against_1",
        "reason_against_2",
        "reason_against_3",
    ]
    assert [row["Lead ID"] for row in rows] == [f"L{index:06d}" for index in range(25)]
    assert all(0 < float(row["probability"]) < 1 for row in rows)
    assert all(
        int(row["score"]) == round(100 * float(row["probability"])) for row in rows
    )
    assert {row["band"] for row in rows} <= {"cold", "warm", "hot"}
    assert any(": " in row["reason_for_1"] for row in rows)


def test_predict_numbers_rows_when_the_data_has_no_identifier(tmp_path: Path) -> None:
    _write_leads(tmp_path / "history.csv", 300, seed=52)
    _run(
        "train",
        str(tmp_path / "history.csv"),
        "--target",
        "Won",
        "--exclude",
        "Lead ID",
        "--out",
        str(tmp_path / "m.model"),
    )
    _write_leads(tmp_path / "new.csv", 3, seed=53, with_outcome=False)

    _run(
        "predict",
        str(tmp_path / "m.model"),
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "p.csv"),
    )

    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8")))
    assert [row["row"] for row in rows] == ["1", "2", "3"]


def test_evaluate_prints_model_and_baselines_in_one_table(tmp_path: Path) -> None:
    _write_leads(tmp_path / "history.csv", 400, seed=54)

    report = _run(
        "evaluate",
        str(tmp_path / "history.csv"),
        "--target",
        "Won",
        "--time-column",
        "Signed up",
    )

    assert "Validation: time split" in report
    header = next(line for line in report.splitlines() if "ROC-AUC" in line)
    assert header.split() == [
        "model",
        "ROC-AUC",
        "PR-AUC",
        "lift@10%",
        "Brier",
        "log",
        "loss",
    ]
    for name in ("leadqual model", "naive Bayes", "logistic regression"):
        assert any(line.startswith(name) for line in report.splitlines())
    assert "Calibration: predicted / observed" in report


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--target", "Nope"], 'There is no column "Nope". The columns are: "Lead ID"'),
        (["--target", "Sector"], 'Column "Sector" has 5 different values'),
        (
            ["--target", "Won", "--positive", "maybe"],
            'Column "Won" has no value "maybe"',
        ),
        (
            ["--target", "Newsletter", "--positive", "No"],
            "Every row has the same outcome",
        ),
        (["--target", "Won", "--exclude", "Budgett"], 'There is no column "Budgett"'),
    ],
)
def test_bad_arguments_get_one_clear_line(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    _write_leads(tmp_path / "history.csv", 100, seed=55)
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        _run(
            "train",
            str(tmp_path / "history.csv"),
            *arguments,
            "--out",
            str(tmp_path / "m.model"),
        )
    assert not (tmp_path / "m.model").exists()


def test_too_few_rows_and_a_missing_file_are_explained(tmp_path: Path) -> None:
    _write_leads(tmp_path / "tiny.csv", 12, seed=56)
    with pytest.raises(
        CommandError, match=r"Only 12 rows with an outcome; at least 20"
    ):
        _run(
            "train",
            str(tmp_path / "tiny.csv"),
            "--target",
            "Won",
            "--out",
            str(tmp_path / "m.model"),
        )
    with pytest.raises(CommandError, match=r"There is no file .*missing.csv"):
        _run("evaluate", str(tmp_path / "missing.csv"), "--target", "Won")


def test_predict_refuses_a_file_leadqual_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "evil.model").write_bytes(b"\x80\x04\x95not a model")
    _write_leads(tmp_path / "new.csv", 3, seed=57, with_outcome=False)
    with pytest.raises(CommandError, match=r"not a model file leadqual wrote"):
        _run(
            "predict",
            str(tmp_path / "evil.model"),
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "p.csv"),
        )


def test_the_leadqual_console_script_trains_a_model(tmp_path: Path) -> None:
    _write_leads(tmp_path / "history.csv", 200, seed=58)

    result = subprocess.run(
        [
            str(LEADQUAL),
            "model",
            "train",
            str(tmp_path / "history.csv"),
            "--target",
            "Won",
            "--out",
            str(tmp_path / "m.model"),
        ],
        env=subprocess_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Model card: predicts Won" in result.stdout
    assert (tmp_path / "m.model").is_file()


def test_a_time_column_value_that_is_not_a_date_is_reported_with_its_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.csv"
    _write_leads(path, 60, seed=59)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2025-", "sometime-", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r'Row 4, column "Signed up": .*sometime'):
        _run("evaluate", str(path), "--target", "Won", "--time-column", "Signed up")
