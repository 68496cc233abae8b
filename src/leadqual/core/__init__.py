"""The domain core: plain Python, no Django, no network.

Scoring, banding, explanations, SLA arithmetic and KPI maths live here as
functions over frozen dataclasses, so they can be tested, benchmarked and
replayed (backtests) without a database.
"""
