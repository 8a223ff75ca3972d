"""The registered model as MLflow users meet it: a signature and input example, descriptions, and
``predict`` on records as the project's own Parquet extract gives them (dates as ``datetime.date``)."""

from __future__ import annotations

import datetime as dt

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from models import RecordError, load_spec


@pytest.fixture(scope="module")
def model(trained_store):
    mlflow.set_tracking_uri(trained_store["env"]["MLFLOW_TRACKING_URI"])
    return mlflow.pyfunc.load_model("models:/avstand/1")


@pytest.fixture(scope="module")
def records(trained_store) -> pd.DataFrame:
    """Records straight from the extract's Parquet file: ``registered_on`` arrives as ``datetime.date``."""
    extract = pd.read_parquet(trained_store["folder"] / "register.parquet").head(400)
    out = extract.drop(columns=["person_id", "exited_on", "exit_reason"]).assign(assessed_on=dt.date(2026, 6, 30))
    assert isinstance(out["registered_on"].iloc[0], dt.date)
    return out.loc[out["registered_on"] <= dt.date(2026, 6, 30)].reset_index(drop=True)


def test_the_model_shows_its_signature_and_input_example(trained_store, model, tmp_path):
    spec = load_spec()
    signature = model.metadata.signature
    assert signature.inputs.input_names() == [*spec.model_features, "registered_on", "assessed_on"]
    assert signature.outputs.input_names()[:2] == ["probability", "probability_3_months"]
    path = mlflow.artifacts.download_artifacts("models:/avstand/1", dst_path=str(tmp_path))
    example = mlflow.models.Model.load(path).load_input_example(path)
    assert list(example.columns) == signature.inputs.input_names() and len(example) == 1
    assert len(model.predict(example)) == 1  # the example passes the model's own checks
    assert "Failed to infer model signature" not in trained_store["stderr"]


def test_the_registered_model_and_its_version_have_descriptions(trained_store):
    client = MlflowClient(tracking_uri=trained_store["env"]["MLFLOW_TRACKING_URI"])
    assert "work or studies within 6 months" in client.get_registered_model("avstand").description
    description = client.get_model_version("avstand", "1").description
    assert "as of 2026-06-30" in description and "test assessments" in description


def test_predict_takes_dates_as_date_objects_timestamps_or_text_alike(model, records):
    as_dates = model.predict(records)
    as_timestamps = model.predict(records.assign(registered_on=pd.to_datetime(records["registered_on"]),
                                                 assessed_on=pd.Timestamp("2026-06-30")))
    as_text = model.predict(records.assign(registered_on=records["registered_on"].astype(str),
                                           assessed_on="2026-06-30"))
    assert len(as_dates) == len(records) > 300
    for other in (as_timestamps, as_text):
        assert np.array_equal(as_dates["probability"].to_numpy(), other["probability"].to_numpy())
    assert as_dates["level"].map(lambda v: v is None or v in ("A", "B", "C")).all()  # None, never NaN


@pytest.mark.parametrize(("value", "shown"), [
    (pd.Timestamp("2026-06-30 12:00"), "Timestamp('2026-06-30 12:00:00')"),
    (pd.Timestamp("2026-06-30", tz="Europe/Stockholm"), "tz='Europe/Stockholm'"),
    ("30/06/2026", "'30/06/2026'"),
])
def test_predict_refuses_a_date_that_is_ambiguous_or_wrong_naming_row_column_value_and_rule(model, records, value,
                                                                                            shown):
    with pytest.raises(RecordError) as refused:
        model.predict(records.assign(assessed_on=value))
    message = str(refused.value)
    assert message.startswith("row 0, column assessed_on: ") and shown in message
    assert "a date written YYYY-MM-DD (or a date object, or a timestamp at midnight" in message
