"""Serving: the BentoML scoring service, its assessment log and batch scoring of the stock.

Builds on ``models``; never on ``training`` or ``audits``.
"""
