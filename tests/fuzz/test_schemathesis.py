"""Every operation of the OpenAPI document, fuzzed by schemathesis as an admin and as an end
user: no server error, no response outside its documented schema, no undocumented status code
or content type. Fixed seed (derandomize), a bounded number of examples per operation.

All checks run but one: `positive_data_acceptance` expects every schema-valid request to
succeed, and a JSON Schema cannot say everything the API checks (a business ID's check digit, a
cursor the API gave out, an agreement's dates in order, an id that exists): those answer a
documented 400/404/409/422 with the reason.

The fuzzer revokes tokens and deactivates users like any client may; when the role's own token
stops working (401), the role signs in again, so the rest of the run still tests that role.

FUZZ_EXAMPLES sets the examples per operation and generation mode (default 10); the figures of
a run are printed (`pytest -s tests/fuzz`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from sqlalchemy import update

from tests.api.helpers import file_ticket
from tests.conftest import Factory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
load_all_checks()
EXCLUDED = [CHECKS.get_one("positive_data_acceptance")]


class SignedIn:
    """The role's Authorization header, renewed whenever the fuzzer has revoked it."""

    def __init__(self, app: Flask, make: Factory, user: Any) -> None:
        self.client, self.make, self.user = app.test_client(), make, user
        self.headers = make.auth(user)
        self.renewals = 0

    def renew_if_revoked(self) -> None:
        """A 401 may be the fuzzer leaving the token out (negative mode): renew only if the
        token itself no longer works."""
        from servicedesk.users.models import User

        if self.client.get("/api/v1/me", headers=self.headers).status_code != 401:
            return

        self.make.sess.execute(update(User).where(User.id == self.user.id).values(active=True))
        self.make.sess.commit()
        self.headers = self.make.auth(self.user)
        self.renewals += 1


@dataclass
class Report:
    """What a run did: cases per operation, statuses seen, failures by kind."""

    role: str
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def record(self, label: str, failure: Failure) -> None:
        kind = type(failure).__name__
        self.failures[kind] += 1
        key = f"{kind} {label}"
        self.examples.setdefault(key, f"{failure.title}: {failure.message}"[:600])

    def summary(self, seconds: float) -> str:
        lines = [
            f"{self.role}: {self.cases} cases in {seconds:.1f} s; statuses "
            + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())),
            f"failures: {dict(self.failures) or 0}",
        ]
        lines += [f"  {key}: {text}" for key, text in sorted(self.examples.items())]
        return "\n".join(lines)


def fuzz(app: Flask, signed_in: SignedIn, role: str, ids: dict[str, int]) -> Report:
    """Run every operation in both generation modes; collect the failures, do not stop."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    report = Report(role)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            _fuzz_operation(operation, mode, signed_in, report, ids)
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    signed_in: SignedIn,
    report: Report,
    ids: dict[str, int],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), known=st.booleans())
    def run(case: Any, known: bool) -> None:
        if known and mode is GenerationMode.POSITIVE:
            # Half the valid cases name records that exist, so they get past the 404.
            for name in case.path_parameters:
                if name in ids:
                    case.path_parameters[name] = ids[name]
        headers = signed_in.headers
        response = case.call(headers=headers)
        report.cases += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, headers=headers, excluded_checks=EXCLUDED)
        except FailureGroup as group:
            for failure in group.exceptions:
                report.record(operation.label, failure)
        except Failure as failure:
            report.record(operation.label, failure)
        if response.status_code == 401:
            signed_in.renew_if_revoked()

    run()


def seed(app: Flask, make: Factory) -> tuple[dict[str, Any], dict[str, int]]:
    """A small world for the fuzzer to find: a desk, a customer, a ticket; and their ids."""
    agent = make.user("agent", provider="ICT")
    make.group("ICT", members=(agent,), is_triage=True)
    group = make.group("ICT", members=(agent,))
    service = make.service("ICT", group=group)
    org = make.org()
    end_user = make.user("end_user", org=org)
    ticket = file_ticket(app.test_client(), make.auth(end_user), service_id=service.id)
    ids = {
        "org_id": org.id,
        "user_id": end_user.id,
        "group_id": group.id,
        "service_id": service.id,
        "ticket_id": ticket.get_json()["id"],
    }
    return {"admin": make.user("admin"), "end_user": end_user}, ids


@pytest.mark.parametrize("role", ["admin", "end_user"])
def test_the_api_keeps_to_its_openapi_document(app: Flask, make: Factory, role: str) -> None:
    users, ids = seed(app, make)
    started = time.monotonic()
    signed_in = SignedIn(app, make, users[role])
    report = fuzz(app, signed_in, role, ids)
    seconds = time.monotonic() - started
    print(f"\n{report.summary(seconds)}\nsigned in again: {signed_in.renewals} times")
    assert report.cases >= EXAMPLES
    assert not report.failures, report.summary(time.monotonic() - started)
