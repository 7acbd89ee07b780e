"""Judging: pure functions that compare what a probe observed with what a check expects."""
