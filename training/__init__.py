"""Training: landmark snapshots of the stock, censoring weights, the LightGBM model and its comparators.

Builds on ``models`` and ``register``; never on ``audits`` or ``serving``.
"""
