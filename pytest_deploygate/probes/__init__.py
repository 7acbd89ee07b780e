"""Probes: all of the gate's I/O, one module per check type."""
