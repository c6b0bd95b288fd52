"""Fixtures of the adapter tests: the submission tests' small catalog, hospitals and windows."""

from tests.submission.conftest import world  # noqa: F401  (re-exported fixture)
