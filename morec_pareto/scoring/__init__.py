"""Scoring stage: the score tables the search ranks from (one model, conditioned levels or retrained levels)."""
