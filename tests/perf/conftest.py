"""The escalation tests' world (a customer with promises, two suppliers, every role).

The write-path tests import the SLA tests' `world` in their own modules instead."""

from tests.escalations.conftest import api, world  # noqa: F401
