"""Renderers of the one GateResult: terminal, verdict JSON, JUnit properties, HTML."""
