"""The escalation tests' world (a customer with promises, two suppliers, every role)."""

from tests.escalations.conftest import api, world  # noqa: F401
