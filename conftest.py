"""The repository's own test setup. Never imported by the package.

pytester is enabled with ``-p pytester`` in pyproject.toml, not with ``pytest_plugins``
here: in an editable install this file sits above the built-in suites, and pytest
refuses ``pytest_plugins`` in a conftest that is not at the rootdir of a run.
"""
