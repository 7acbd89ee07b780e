"""Declared check types: one module per type with its spec model (a ``CheckSpec``
subclass) and what its probe observes. They are registered in ``pytest_deploygate.registry``."""
