"""The audit's verdict as a typed object: read from the findings, written to and read back from a version's
tags the same; an override recorded as audit.json has always recorded it."""

from __future__ import annotations

import pytest

from audits import Override, Verdict


@pytest.mark.parametrize(("failed", "not_judged"), [((), ()), (("calibration_by_group",), ()),
                                                    (("data_drift", "auc"), ("calibration_by_registration_time",))])
def test_the_verdict_survives_the_round_trip_through_tags(failed, not_judged):
    findings = {"meta": {"version": 3, "verdict": "fail" if failed else "pass", "failed_gates": list(failed),
                         "not_judged_gates": list(not_judged)}}
    verdict = Verdict.of(findings)
    assert verdict.passed is not bool(failed) and verdict.failed_gates == failed
    tags = verdict.to_tags()
    assert tags["audit.failed_gates"] == (",".join(failed) or "none")
    assert Verdict.from_tags(3, tags | {"audit.report": "r.html"}) == verdict


def test_a_version_never_audited_has_no_verdict():
    assert Verdict.from_tags(1, {"release.status": "refused"}) is None


def test_an_override_is_recorded_with_its_reason_and_user():
    assert Override(reason="pilot in one county", user="release-manager").to_dict() == {
        "reason": "pilot in one county", "user": "release-manager"}
