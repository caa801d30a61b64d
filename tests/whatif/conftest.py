"""The what-if tests use the SLA tests' world (an agreement with real promise lines)."""

from tests.sla.conftest import world  # noqa: F401 (the fixture)
