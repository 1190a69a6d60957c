"""Strata's benchmark harness: k6 scenarios, their baselines, and the runner (``python -m bench``).

See docs/performance.md for the method and the latest table.
"""
