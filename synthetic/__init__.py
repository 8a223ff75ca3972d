"""A synthetic register that behaves like the Swedish one, with its truth known.

Exits to work, studies, other and unknown are competing risks; job chances fall with time registered
through true state dependence and through dynamic selection on an unobserved, gamma-distributed frailty.
:func:`true_probability` gives, for anyone still registered on an assessment date, the probability of
work or studies within 180 days with the frailty integrated out.
"""

from synthetic._assessments import simulate_assessments, simulate_decisions
from synthetic._faults import feed_error
from synthetic._later import seen_on
from synthetic._metadata import metadata_path, read_params, write_metadata
from synthetic._params import SimulationParams
from synthetic._register import simulate_register
from synthetic._truth import true_curve, true_probability
from synthetic._worlds import ReleasedWorld, released_world

__all__ = [
    "ReleasedWorld",
    "SimulationParams",
    "feed_error",
    "metadata_path",
    "read_params",
    "released_world",
    "seen_on",
    "simulate_assessments",
    "simulate_decisions",
    "simulate_register",
    "true_curve",
    "true_probability",
    "write_metadata",
]
