"""The pytest plugin: options, the run's cluster, fixtures, verdicts recorded per test, the reports."""
