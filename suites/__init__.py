"""The built-in suites: one module per declared check type, collected by the plugin."""
