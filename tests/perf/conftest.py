"""The SLA tests' world (calendars, promise lines, every role) serves the performance tests."""

from tests.sla.conftest import world  # noqa: F401
