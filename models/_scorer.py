"""The scoring bundle: everything needed to turn a raw record into a time-to-work curve, a probability and
a recommendation.

The model is a pair of monthly hazards (``models._hazards``): a booster of the chance of work or studies
in the next 30 days, shifted by the period effect assumed ahead (``models._periods``), and a booster of the
chance of leaving for another reason. Saved as a folder of plain files (boosters as LightGBM text, period
effects as JSON, the feature spec and the policy as YAML) with a manifest of their SHA-256 sums, checked on
load: an altered file is refused. A loaded scorer keeps the sums of the files it read and their digest
(``Scorer.digest``), which a release records in MLflow and the service checks against it: a manifest
recomputed after a change passes the first check, not the second.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import yaml

from models._errors import CheckFailedError
from models._features import model_columns, model_matrix
from models._files import file_digest
from models._hazards import CURVE_MONTHS, HORIZONS, POLICY_MONTHS, cumulative_incidence, step_matrix, step_months
from models._periods import PeriodEffects, month_number
from models._policy import Policy, load_policy
from models._spec import FeatureSpec, load_spec
from models._treeshap import TreeShap

__all__ = ["BundleError", "Scorer", "bundle_digest"]

_FILES = ("booster.txt", "other_booster.txt", "periods.json", "feature_spec.yaml", "policy.yaml")


class BundleError(CheckFailedError, ValueError):
    """A bundle folder that is incomplete or whose files do not match their recorded checksums."""


@dataclass(frozen=True)
class Scorer:
    """The work-or-studies booster, the other-exit booster, the period effects, the feature spec and the
    outcome policy."""

    booster: lgb.Booster
    other: lgb.Booster
    periods: PeriodEffects
    spec: FeatureSpec
    policy: Policy
    # SHA-256 of each file as read by ``load`` (empty for a scorer made in memory, e.g. by training).
    files: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def digest(self) -> str | None:
        """The ``bundle_digest`` of the files this scorer was loaded from; ``None`` when made in memory."""
        return bundle_digest(self.files) if self.files else None

    def raw_score(self, inputs: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The work booster's log-odds of work or studies in the first 30 days, before the period effect,
        for prepared inputs (see ``models.prepare``) or their ``model_matrix``: what ``contributions``
        decompose."""
        matrix = inputs if isinstance(inputs, np.ndarray) else model_matrix(inputs, spec=self.spec)
        # Dense in, so an array out (LightGBM's types also allow a sparse matrix or a list); asarray copies nothing.
        return np.asarray(self.booster.predict(matrix, raw_score=True, num_threads=1))

    def curve(self, inputs: pd.DataFrame | np.ndarray, *, assessed_on: np.ndarray,
              months: int = CURVE_MONTHS, threads: int = 1) -> np.ndarray:
        """P(work or studies within 30, 60, ..., ``30 * months`` days) per record: shape ``(n, months)``.

        Parameters
        ----------
        inputs : pandas.DataFrame or numpy.ndarray
            Prepared inputs or their ``model_matrix``.
        assessed_on : array of datetime64
            Each record's assessment date: it sets the months of the year the steps fall in and the
            period effects assumed ahead (``PeriodEffects.ahead``).
        months : int
        threads : int
            LightGBM's threads (1 in the service, whose workers each score on one core).
        """
        matrix = inputs if isinstance(inputs, np.ndarray) else model_matrix(inputs, spec=self.spec)
        assessed_on = np.asarray(assessed_on, dtype="datetime64[D]")
        if len(assessed_on) != len(matrix):
            raise ValueError(f"{len(assessed_on)} assessment dates for {len(matrix)} records")
        columns = model_columns(self.spec)
        stacked = step_matrix(matrix, assessed_on, days_column=columns.index("days_registered"),
                              month_column=columns.index("assessment_month"), steps=months)
        shift = self.periods.ahead(month_number(assessed_on), step_months(assessed_on, steps=months))
        return cumulative_incidence(self.booster, self.other, stacked, shift, threads=threads)

    def probability(self, inputs: pd.DataFrame | np.ndarray, *, assessed_on: np.ndarray) -> np.ndarray:
        """P(work or studies within the policy's 180 days), the curve's sixth month."""
        return self.curve(inputs, assessed_on=assessed_on, months=POLICY_MONTHS)[:, -1]

    @staticmethod
    def horizons(curve: np.ndarray) -> dict[int, np.ndarray]:
        """The curve's probabilities at the months every assessment reports (``HORIZONS``)."""
        return {m: curve[:, m - 1] for m in HORIZONS if m <= curve.shape[1]}

    def contributions(self, inputs: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """The work booster's own per-feature contributions to ``raw_score`` (SHAP values), plus ``bias``,
        for prepared inputs or their ``model_matrix``.

        Every step of the curve moves the same way as the first month's hazard in each feature but time
        registered and the time of year, and the period effect shifts everyone alike: so the first
        month's contributions say what raises and what lowers the curve.
        """
        matrix = inputs if isinstance(inputs, np.ndarray) else model_matrix(inputs, spec=self.spec)
        index = None if isinstance(inputs, np.ndarray) else inputs.index
        return pd.DataFrame(self.explainer.contributions(matrix), columns=[*model_columns(self.spec), "bias"],
                            index=index)

    @functools.cached_property
    def explainer(self) -> TreeShap:
        """The work booster's exact TreeSHAP (``models._treeshap``): LightGBM's ``pred_contrib`` values, faster;
        built on first use (a few tenths of a second)."""
        return TreeShap(self.booster)

    def explanation_error(self, inputs: pd.DataFrame | np.ndarray, *, threads: int = 2) -> float:
        """The largest difference between ``contributions`` and LightGBM's own ``pred_contrib`` over ``inputs``
        (every record, every column): the audit's gate ``explanations_match_lightgbm`` refuses a bundle
        whose explanations differ by more than its tolerance."""
        matrix = inputs if isinstance(inputs, np.ndarray) else model_matrix(inputs, spec=self.spec)
        return self.explainer.difference(matrix, threads=threads)

    def save(self, folder: str | Path) -> Path:
        """Write the bundle's files and their manifest into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "booster.txt").write_text(self.booster.model_to_string(), encoding="utf-8")
        (folder / "other_booster.txt").write_text(self.other.model_to_string(), encoding="utf-8")
        (folder / "periods.json").write_text(json.dumps(self.periods.to_dict(), indent=1), encoding="utf-8")
        (folder / "feature_spec.yaml").write_text(
            yaml.safe_dump(self.spec.model_dump(mode="json", exclude_defaults=False), allow_unicode=True,
                           sort_keys=False), encoding="utf-8")
        (folder / "policy.yaml").write_text(
            yaml.safe_dump(self.policy.model_dump(mode="json", by_alias=True), allow_unicode=True, sort_keys=False),
            encoding="utf-8")
        manifest = {name: file_digest(folder / name) for name in _FILES}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Scorer:
        """Read a bundle folder, refusing it when a file is missing or altered."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"bundle {folder}: no readable manifest.json ({exc})") from exc
        files = {}
        for name in _FILES:
            path = folder / name
            if not path.is_file():
                raise BundleError(f"bundle {folder}: {name} is missing")
            files[name] = file_digest(path)
            if files[name] != manifest.get(name):
                raise BundleError(f"bundle {folder}: {name} does not match its recorded checksum (altered?)")
        booster = lgb.Booster(model_str=(folder / "booster.txt").read_text(encoding="utf-8"))
        other = lgb.Booster(model_str=(folder / "other_booster.txt").read_text(encoding="utf-8"))
        periods = PeriodEffects.from_dict(json.loads((folder / "periods.json").read_text(encoding="utf-8")))
        spec, policy = load_spec(folder / "feature_spec.yaml"), load_policy(folder / "policy.yaml")
        # Hashed again after parsing: the sums (and the digest reported) are those of what was parsed.
        if any(file_digest(folder / name) != files[name] for name in _FILES):
            raise BundleError(f"bundle {folder}: a file changed while it was loaded")
        return cls(booster=booster, other=other, periods=periods, spec=spec, policy=policy, files=files)


def bundle_digest(files: Mapping[str, str]) -> str:
    """One SHA-256 for a bundle: over its files' ``sha256sum`` lines (``<sha256>  <name>``), sorted by name.

    Parameters
    ----------
    files : mapping of str to str
        File name -> SHA-256 (hex) of its content.

    Returns
    -------
    str
        Hex digest; ``sha256sum booster.txt other_booster.txt periods.json feature_spec.yaml policy.yaml | sha256sum``
        in a bundle folder gives the same value.
    """
    lines = "".join(f"{files[name]}  {name}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
