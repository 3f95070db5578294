# Registers the harness as a pytest plugin for the suites and its own tests.
pytest_plugins = ["harness.pytest.plugin"]
