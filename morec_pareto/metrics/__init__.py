"""Ranking-accuracy metrics under full ranking."""
