"""Release: the stage between training and serving. Train -> audit -> promote -> export, promotion of
audited versions, rollback, the alias's recorded history and the list of versions.

Builds on ``training``, ``audits`` and ``models`` through their public interfaces; ``serving`` reads
what it exports (BentoML's model store) and never imports it.
"""

from release._errors import ReleaseError
from release._export import export_production
from release._history import Move, current_production, moves
from release._promote import PromotionResult, promote_version, rollback
from release._release import ReleaseResult, release
from release._versions import VersionRow, list_versions

__all__ = [
    "Move",
    "PromotionResult",
    "ReleaseError",
    "ReleaseResult",
    "VersionRow",
    "current_production",
    "export_production",
    "list_versions",
    "moves",
    "promote_version",
    "release",
    "rollback",
]
