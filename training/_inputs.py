"""What a training run starts from: the register extract and the three configuration files, read once."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from models import FeatureSpec, Policy, load_policy, load_spec
from register import Extract, load_extract, observed_from
from training._config import TrainConfig, load_config

__all__ = ["TrainingInputs", "load_inputs"]

log = logging.getLogger("avstand.train")


@dataclass(frozen=True)
class TrainingInputs:
    """A checked extract with the feature spec, training configuration and outcome policy it is trained with.

    Attributes
    ----------
    data : Path
        The extract's file (recorded in MLflow, and where the synthetic register's truth is looked for).
    extract : register.Extract
    observed_from : datetime.date
        The first day the extract holds the whole stock (``register.observed_from``).
    spec : models.FeatureSpec
    config : TrainConfig
    policy : models.Policy
    """

    data: Path
    extract: Extract
    observed_from: dt.date
    spec: FeatureSpec
    config: TrainConfig
    policy: Policy
    delimiter: str = ","  # what the CSV extract's cells were separated by (recorded with the run)


def load_inputs(*, data: str | Path, as_of: dt.date | None = None, spec_path: str | Path | None = None,
                config_path: str | Path | None = None, policy_path: str | Path | None = None,
                delimiter: str = ",") -> TrainingInputs:
    """Read the configuration files and the extract: the first step of ``train``.

    Raises
    ------
    register.ReadError, register.ExtractError
        The extract cannot be read or breaks the contract.
    models.SpecError, models.PolicyError, training.ConfigError
        A configuration file that cannot be used.
    """
    started = time.perf_counter()
    spec, config, policy = load_spec(spec_path), load_config(config_path), load_policy(policy_path)
    extract = load_extract(data, spec=spec, as_of=as_of, delimiter=delimiter)
    log.info("extract: %d spells, as of %s%s, sha256 %s (%.1f s)", len(extract.frame), extract.as_of,
             " (latest date in the file)" if extract.as_of_inferred else "", extract.sha256[:12],
             time.perf_counter() - started)
    return TrainingInputs(data=Path(data), extract=extract, observed_from=observed_from(extract.frame), spec=spec,
                          config=config, policy=policy, delimiter=delimiter)
