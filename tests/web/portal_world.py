"""The portal tests' world: one entitled organisation with two end users, a customer contact
and an account manager; a stranger in another organisation; the desk's agent (API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalog.organisations.models import organisation_account_managers
from tests.web.conftest import PASSWORD


@dataclass
class PortalWorld:
    make: Any
    client: Any
    agent: Any
    service: Any
    org: Any
    user: Any
    colleague: Any
    contact: Any
    manager: Any
    stranger: Any

    def file(self, who: Any, **fields: Any) -> dict[str, Any]:
        """A ticket filed through the API, as `who`."""
        body = {
            "title": "Tulostin ei tulosta",
            "description": "Paperi juuttuu.",
            "service_id": self.service.id,
            **fields,
        }
        resp = self.client.post("/api/v1/tickets", json=body, headers=self.make.auth(who))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def desk_reply(
        self,
        ticket_id: int,
        status: str | None = None,
        internal: bool = False,
        body: str = "Korjattu.",
    ) -> None:
        """The desk answers (and moves the status) through the API."""
        data: dict[str, Any] = {"body": body, "internal": internal}
        if status:
            data["status"] = status
        resp = self.client.post(
            f"/api/v1/tickets/{ticket_id}/comments", json=data, headers=self.make.auth(self.agent)
        )
        assert resp.status_code == 201, resp.get_json()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        resp = self.client.get(f"/api/v1/tickets/{ticket_id}", headers=self.make.auth(self.agent))
        assert resp.status_code == 200
        return resp.get_json()


def build(make: Any, client: Any, desk: dict[str, Any], locale: str = "en") -> PortalWorld:
    org = desk["org"]

    def person(role: str, name: str, **kw: Any) -> Any:
        made = make.user(role, password=PASSWORD, locale=kw.pop("locale", locale), **kw)
        made.name = name
        make.sess.commit()
        return made

    user = person("end_user", "Maija Meikäläinen", org=org)
    colleague = person("end_user", "Kalle Kollega", org=org)
    contact = person("customer_contact", "Paula Palvelukeskusvastaava", org=org)
    stranger = person("end_user", "Sami Muukalainen")
    manager = person("account_manager", "Åsa Ansvarig", locale="sv")
    make.sess.execute(
        organisation_account_managers.insert().values(organisation_id=org.id, user_id=manager.id)
    )
    make.sess.commit()
    return PortalWorld(
        make,
        client,
        desk["agent"],
        desk["service"],
        org,
        user,
        colleague,
        contact,
        manager,
        stranger,
    )
