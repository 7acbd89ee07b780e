"""pytest-deploygate: deployment checks as pytest tests, ending in one verdict."""

__version__ = "0.1.0"
