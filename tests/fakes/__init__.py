"""Loopback fakes of external services, for the tests."""
