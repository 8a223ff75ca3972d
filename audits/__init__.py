"""Audits: calibration, fairness and data quality of a model version, and the release gates.

Builds on ``models`` and ``register``; never on ``training`` or ``serving``.
"""
