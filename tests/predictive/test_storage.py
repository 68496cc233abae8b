"""Model files: a safe format that loads only what leadqual wrote."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from leadqual.predictive import TrainedModel, load_model, save_model, train
from leadqual.predictive.errors import IncompatibleModel, NotALeadqualModel
from tests.predictive.synthetic import synthetic_leads


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    leads = synthetic_leads(1200, seed=40)
    return train(leads.table, leads.outcomes)


def test_a_saved_model_predicts_the_same_after_loading(
    model: TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "leads.model"
    new = synthetic_leads(100, seed=41)

    save_model(model, path)
    loaded = load_model(path)

    assert model.trees is not None and loaded.trees is not None
    np.testing.assert_array_equal(
        loaded.predict(new.table).probability, model.predict(new.table).probability
    )
    assert loaded.card == model.card
    assert loaded.predict(new.table).reasons_for == model.predict(new.table).reasons_for


def test_a_pickle_is_refused_without_being_unpickled(
    model: TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))

    with pytest.raises(
        NotALeadqualModel,
        match=r"not a model file leadqual wrote .*pickles are never loaded",
    ):
        load_model(path)


def test_another_programs_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.model"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.skops", b"anything")

    with pytest.raises(NotALeadqualModel, match=r"unexpected contents"):
        load_model(path)


def _rewrite(source: Path, target: Path, member: str, change: bytes) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            data = original.read(name)
            copy.writestr(name, change if name == member else data)


def test_a_model_file_changed_after_writing_is_refused(
    model: TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "leads.model"
    save_model(model, path)
    with zipfile.ZipFile(path) as archive:
        body = json.loads(archive.read("model.json"))
    body["linear_intercept"] += 5
    tampered = tmp_path / "tampered.model"
    _rewrite(path, tampered, "model.json", json.dumps(body, sort_keys=True).encode())

    with pytest.raises(
        NotALeadqualModel, match=r"model.json was changed after it was written"
    ):
        load_model(tampered)


def test_a_model_file_of_another_format_version_is_incompatible(
    model: TrainedModel, tmp_path: Path
) -> None:
    path = tmp_path / "leads.model"
    save_model(model, path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["format"] = 99
    older = tmp_path / "older.model"
    _rewrite(path, older, "manifest.json", json.dumps(manifest).encode())

    with pytest.raises(IncompatibleModel, match=r"format 99"):
        load_model(older)
