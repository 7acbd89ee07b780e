"""The built-in ``demo`` target: bundled services, a bundled config, faults to inject."""
