"""Benchmark: monitoring's operating characteristics on independent simulated releases.

How often does a healthy service raise an alarm, and how often is a planted fault caught, by the right
check and by no other? Each replicate is a release simulated with its own seed, size and release day
(``synthetic.released_world``): the register as seen on the release day and 12 months later, the
release's test set scored by the truth (a sound model), then 12 days of 1,000 assessments of the stock
spread over the six months after the release and a caseworker decision on each (5 % overridden, evenly).

- ``healthy``: all of it, monitored with the extract 12 months on (every check judged);
- ``healthy day``: each day monitored alone (``--from D --to D``: the fast loop's daily run);
- ``feed birth_region`` / ``feed disability``: a day's 1,000 records with 14 % wrong values (2020's
  feed error), that day monitored alone (each of the 12 days in turn): the ``feed`` check must alarm (the
  ``inputs`` check may: it is about the feed too, and its share is shown);
- ``downturn``: the same release in a world whose labour market falls to 0.55 from two months after the
  release (the model cannot know): ``realised_calibration`` must alarm (``early_exits`` too: the turn);
- ``downturn, 4 months on``: the same world, the extract taken four months after the release, the
  assessments of its first 90 days: no 180-day window has closed, ``early_exits`` must alarm;
- ``registration-blind``: a model blind to time registered, calibrated overall: ``realised_calibration``
  must alarm, in the long-registered bands;
- ``overrides nobody`` / ``overrides one group``: caseworkers who never override, or who override 15 % of
  those born outside Europe and 3 % of everyone else: ``override_rate_low`` / ``override_rate_group``.

Usage: python benchmarks/monitor_alarms.py [--replicates N]. Targets: healthy runs alarmed at most 5 % of
the time per check; each fault caught at least 95 % of the time, other checks silent as on healthy runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import defaultdict

import numpy as np

from models import load_policy, load_spec
from monitoring import CHECKS, InputReference, evaluate, load_thresholds
from synthetic import SimulationParams, released_world, simulate_assessments, simulate_decisions

_SIZES = (40_000, 80_000, 60_000)
_RELEASES = (dt.date(2026, 6, 30), dt.date(2025, 12, 31), dt.date(2024, 9, 30))


def replicate(k: int) -> dict[str, list[dict[str, str]]]:
    """Every scenario of replicate ``k``: per monitored run, the status of each check."""
    persons, released = _SIZES[k % len(_SIZES)], _RELEASES[k % len(_RELEASES)]
    seed = 1000 + k
    spec, policy, thresholds = load_spec(), load_policy(), load_thresholds()
    month_later = (released.replace(day=1) + dt.timedelta(days=62)).replace(day=1).strftime("%Y-%m")
    worlds = {"default": released_world(persons=persons, seed=seed, released_on=released),
              "downturn": released_world(persons=persons, seed=seed, released_on=released,
                                         params=SimulationParams().with_downturn(since=month_later, level=0.55)),
              "downturn early": released_world(persons=persons, seed=seed, released_on=released, months_after=4,
                                               params=SimulationParams().with_downturn(since=month_later,
                                                                                       level=0.55))}
    days = [released + dt.timedelta(days=d) for d in range(1, 181, 15)]
    out: dict[str, list[dict[str, str]]] = defaultdict(list)

    def run(name: str, world, assessments, decisions=None, only_day=None) -> None:
        reference = InputReference.from_test_set(world.test_set, spec=spec, policy=policy)
        if decisions is None:
            decisions = simulate_decisions(assessments, rate=0.05, seed=seed)
        if only_day is not None:
            assessments = assessments.loc[assessments["assessed_on"] == only_day.isoformat()]
        result = evaluate(assessments=assessments, decisions=decisions, extract=world.later, as_of=world.extract_on,
                          spec=spec, reference=reference, thresholds=thresholds)
        status = {c["check"]: c["status"] for c in result["checks"]}
        if name == "registration-blind":
            bands = {a["detail"].split(",")[0] for a in result["alarms"] if a["check"] == "realised_calibration"}
            status["long bands"] = "alarm" if any("12-24" in b or "24+" in b for b in bands) else "ok"
        out[name].append(status)

    default = worlds["default"]
    healthy = simulate_assessments(default.later, days=days, per_day=1000, seed=seed)
    run("healthy", default, healthy)
    for day in days:
        run("healthy day", default, healthy, only_day=day)
    for feature in ("birth_region", "disability"):
        faulty = simulate_assessments(default.later, days=days, per_day=1000, seed=seed + 1,
                                      feed_error_in=feature, feed_error_on=days)
        for day in days:  # each day's volume faulty, monitored alone
            run(f"feed {feature}", default, faulty, only_day=day)
    down = worlds["downturn"]
    run("downturn", down, simulate_assessments(down.later, days=days, per_day=1000, seed=seed))
    early = worlds["downturn early"]
    first_days = [released + dt.timedelta(days=d) for d in range(1, 91, 7)]
    run("downturn, 4 months on", early, simulate_assessments(early.later, days=first_days, per_day=1000, seed=seed))
    blind = simulate_assessments(default.later, days=days, per_day=1000, seed=seed, blind=True)
    run("registration-blind", default, blind)
    run("overrides nobody", default, healthy, simulate_decisions(healthy, rate=0.0, seed=seed))
    one_group = simulate_decisions(healthy, rate=0.03, seed=seed, only=("birth_region", "outside_europe"),
                                   only_rate=0.15)
    run("overrides one group", default, healthy, one_group)
    return out


_EXPECTED = {"healthy": None, "healthy day": None, "feed birth_region": "feed", "feed disability": "feed",
             "downturn": "realised_calibration", "downturn, 4 months on": "early_exits",
             "registration-blind": "realised_calibration",
             "overrides nobody": "override_rate_low", "overrides one group": "override_rate_group"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=6)
    args = parser.parse_args()
    started = time.perf_counter()
    runs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for k in range(args.replicates):
        for name, statuses in replicate(k).items():
            runs[name].extend(statuses)
        print(f"replicate {k + 1} of {args.replicates} done ({time.perf_counter() - started:.0f} s)", flush=True)
    checks = list(CHECKS)
    print(f"\n{'scenario':<22} {'runs':>5} {'expected':<22} {'caught':>7}   other checks alarmed (share of runs)")
    for name, statuses in runs.items():
        expected = _EXPECTED[name]
        caught = np.mean([s[expected] == "alarm" for s in statuses]) if expected else float("nan")
        others = {c: np.mean([s[c] == "alarm" for s in statuses]) for c in checks if c != expected}
        extra = ", ".join(f"{c} {v:.0%}" for c, v in others.items() if v) or "none"
        if name == "registration-blind":
            extra += f"; long-registered bands flagged {np.mean([s['long bands'] == 'alarm' for s in statuses]):.0%}"
        print(f"{name:<22} {len(statuses):>5} {expected or '-':<22} {'-' if expected is None else f'{caught:.0%}':>7}"
              f"   {extra}")
    print(f"\n{args.replicates} replicates in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
