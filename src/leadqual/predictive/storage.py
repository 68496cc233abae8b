"""Save and load trained models in a safe format that runs no code when read.

A model file is a ZIP archive with three members:

- ``manifest.json``: the marker, the format version, the scikit-learn version
  and the SHA-256 of the other two members;
- ``model.json``: column encodings, linear weights, blend, calibration, card;
- ``trees.skops``: the gradient-boosted trees in skops' format (empty when the
  model has no trees), loaded with an explicit list of trusted types.

Nothing is unpickled: a pickle, another program's file, or a file changed after
leadqual wrote it is refused with ``NotALeadqualModel``; a file of another
format version or scikit-learn release with ``IncompatibleModel``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any, Final

import numpy as np
import sklearn
import skops.io
from sklearn.ensemble import HistGradientBoostingClassifier

from leadqual.predictive.card import ModelCard
from leadqual.predictive.errors import IncompatibleModel, NotALeadqualModel
from leadqual.predictive.features import ColumnEncoding, Encoder
from leadqual.predictive.model import Platt, TrainedModel
from leadqual.predictive.table import ColumnKind

MODEL_FORMAT: Final = 1  # 1: first format (linear part, trees via skops, Platt, card)
MARKER: Final = "leadqual predictive model"
_MEMBERS: Final = ("manifest.json", "model.json", "trees.skops")
# The only non-default types a HistGradientBoostingClassifier holds; anything
# else in trees.skops is refused.
_TRUSTED_TREE_TYPES: Final = frozenset(
    {
        "functools.partial",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.utils.validation.check_array",
    }
)
_NOT_OURS = (
    "{path} is not a model file leadqual wrote ({why}). leadqual loads only files "
    "written by `leadqual model train` or save_model; train the model again."
)


def save_model(model: TrainedModel, path: Path) -> None:
    """Write ``model`` to ``path`` (replacing it whole: never half-written)."""
    body = json.dumps(_model_data(model), allow_nan=False, sort_keys=True).encode()
    trees = b"" if model.trees is None else skops.io.dumps(model.trees)
    manifest = {
        "marker": MARKER,
        "format": MODEL_FORMAT,
        "scikit_learn": sklearn.__version__,
        "sha256": {"model.json": _digest(body), "trees.skops": _digest(trees)},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, sort_keys=True))
        archive.writestr("model.json", body)
        archive.writestr("trees.skops", trees)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)


def load_model(path: Path) -> TrainedModel:
    """Read a model file written by ``save_model``; refuse anything else."""
    if not path.is_file():
        raise NotALeadqualModel(f"There is no model file {path}. Check the path.")
    if not zipfile.is_zipfile(path):
        raise NotALeadqualModel(
            _NOT_OURS.format(
                path=path, why="not a leadqual archive; pickles are never loaded"
            )
        )
    with zipfile.ZipFile(path) as archive:
        if sorted(archive.namelist()) != sorted(_MEMBERS):
            raise NotALeadqualModel(
                _NOT_OURS.format(path=path, why="unexpected contents")
            )
        members = {name: archive.read(name) for name in _MEMBERS}
    try:
        manifest = json.loads(members["manifest.json"])
    except ValueError as error:
        raise NotALeadqualModel(
            _NOT_OURS.format(path=path, why="unreadable manifest")
        ) from error
    if not isinstance(manifest, dict) or manifest.get("marker") != MARKER:
        raise NotALeadqualModel(_NOT_OURS.format(path=path, why="no leadqual marker"))
    if manifest.get("format") != MODEL_FORMAT:
        raise IncompatibleModel(
            f"{path} has model format {manifest.get('format')!r}; this leadqual reads "
            f"format {MODEL_FORMAT}. Train the model again with this version."
        )
    if _release(str(manifest.get("scikit_learn"))) != _release(sklearn.__version__):
        raise IncompatibleModel(
            f"{path} was written with scikit-learn {manifest.get('scikit_learn')}; "
            f"this installation has {sklearn.__version__}. Train the model again."
        )
    digests = manifest.get("sha256", {})
    for name in ("model.json", "trees.skops"):
        if digests.get(name) != _digest(members[name]):
            raise NotALeadqualModel(
                _NOT_OURS.format(
                    path=path, why=f"{name} was changed after it was written"
                )
            )
    return _model_from(
        json.loads(members["model.json"]), _trees_from(members["trees.skops"], path)
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _release(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _trees_from(data: bytes, path: Path) -> HistGradientBoostingClassifier | None:
    if not data:
        return None
    untrusted = set(skops.io.get_untrusted_types(data=data))
    if not untrusted <= _TRUSTED_TREE_TYPES:
        raise NotALeadqualModel(
            _NOT_OURS.format(
                path=path,
                why="the trees hold types leadqual does not write: "
                + ", ".join(sorted(untrusted - _TRUSTED_TREE_TYPES)),
            )
        )
    trees = skops.io.loads(data, trusted=sorted(untrusted))
    if not isinstance(trees, HistGradientBoostingClassifier):
        raise NotALeadqualModel(
            _NOT_OURS.format(path=path, why="the trees are not trees")
        )
    return trees


def _model_data(model: TrainedModel) -> dict[str, Any]:
    return {
        "columns": [
            {
                "name": encoding.name,
                "kind": encoding.kind.value,
                "levels": list(encoding.levels),
                "mean": encoding.mean,
                "std": encoding.std,
                "bin_edges": list(encoding.bin_edges),
                "has_missing": encoding.has_missing,
            }
            for encoding in model.encoder.columns
        ],
        "id_column": model.id_column,
        "linear_weights": model.linear_weights.tolist(),
        "linear_intercept": model.linear_intercept,
        "penalty": model.penalty,
        "linear_share": model.linear_share,
        "effect_centre": model.effect_centre.tolist(),
        "calibration": [model.calibration.slope, model.calibration.intercept],
        "prior_calibration": [
            model.prior_calibration.slope,
            model.prior_calibration.intercept,
        ],
        "base_logit": model.base_logit,
        "uses_prior": model.uses_prior,
        "fell_back_to_prior": model.fell_back_to_prior,
        "card": model.card.as_dict(),
    }


def _model_from(
    data: dict[str, Any], trees: HistGradientBoostingClassifier | None
) -> TrainedModel:
    encodings = [
        ColumnEncoding(
            name=item["name"],
            kind=ColumnKind(item["kind"]),
            levels=tuple(item["levels"]),
            mean=float(item["mean"]),
            std=float(item["std"]),
            bin_edges=tuple(float(edge) for edge in item["bin_edges"]),
            has_missing=bool(item["has_missing"]),
        )
        for item in data["columns"]
    ]
    encoder = Encoder.of(encodings)
    return TrainedModel(
        encoder=encoder,
        kinds={encoding.name: encoding.kind for encoding in encodings},
        id_column=data["id_column"],
        linear_weights=np.array(data["linear_weights"], dtype=np.float64),
        linear_intercept=float(data["linear_intercept"]),
        penalty=float(data["penalty"]),
        trees=trees,
        linear_share=float(data["linear_share"]),
        effect_centre=np.array(data["effect_centre"], dtype=np.float64),
        calibration=Platt(*data["calibration"]),
        prior_calibration=Platt(*data["prior_calibration"]),
        base_logit=float(data["base_logit"]),
        uses_prior=bool(data["uses_prior"]),
        fell_back_to_prior=bool(data["fell_back_to_prior"]),
        card=ModelCard.from_dict(data["card"]),
    )
