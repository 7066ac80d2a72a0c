"""Readers of real data sets (RecBole atomic files, raw MovieLens, generic tables) into `Interactions`."""
from morec_pareto.data.readers.movielens import load_movielens
from morec_pareto.data.readers.recbole import load_recbole
from morec_pareto.data.readers.tables import load_table

__all__ = ["load_movielens", "load_recbole", "load_table"]
