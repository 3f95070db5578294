"""Upstream conformance suites run on the implementations built here: the
Gateway API conformance suite and SIG Network's Ingress controller
conformance features. Results are :mod:`harness.conformance.model` records."""
