"""The repository's own test setup. Never imported by the package."""

pytest_plugins = ["pytester"]
