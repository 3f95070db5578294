"""Checks: talking to the cluster (kube), probes and the consistency rule, expectation rows."""
