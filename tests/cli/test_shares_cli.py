"""`servicedesk shares ...`: the owners' register from the command line.

The CLI builds its own app from the environment, so each test points DATABASE_URL at its own
SQLite file and runs `db upgrade` first; the suite's shared database is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servicedesk.cli import main


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = "sqlite:///" + str(tmp_path / "shares.sqlite3")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SERVICEDESK_MODE", "test")
    monkeypatch.setenv("MAIL_FILE", str(tmp_path / "mail.log"))
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output == "database is at head\n"
    return url


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def add_organisation(business_id: str, kind: str = "municipality", residents: Any = 2500) -> None:
    """There is no CLI command for organisations: add one through the app's own operation."""
    from catalog.organisations.operations import create_organisation
    from servicedesk import db
    from servicedesk.app import create_app

    app = create_app()
    try:
        with db.unit_of_work(app) as sess:
            create_organisation(
                sess, business_id=business_id, name="Raasepori", kind=kind, residents=residents
            )
    finally:
        db.engine_of(app).dispose()


def ownership_of(business_id: str) -> tuple[str, int]:
    from catalog.business_id import normalise_business_id
    from catalog.organisations.models import Organisation
    from catalog.ownership.queries import ownership_status_of, votes_of
    from servicedesk import db
    from servicedesk.app import create_app
    from servicedesk.db import utcnow

    app = create_app()
    try:
        with db.unit_of_work(app) as sess:
            org = (
                sess.query(Organisation)
                .filter_by(business_id=normalise_business_id(business_id))
                .one()
            )
            today = utcnow().date()
            return ownership_status_of(sess, org.id, today).value, votes_of(sess, org.id, today)
    finally:
        db.engine_of(app).dispose()


BID = "0201256-6"


def test_an_organisation_becomes_an_owner_by_subscribing_paying_and_registering(cli_db):
    add_organisation(BID)
    shown = run("shares", "show", BID, "--on", "2011-01-01")
    assert shown.exit_code == 0, shown.output
    assert shown.output == f"Raasepori ({BID}) on 2011-01-01: not_owner, 0 votes\n"

    subscribed = run("shares", "subscribe", BID, "--on", "2010-11-01", "--note", "Perustaminen")
    assert subscribed.exit_code == 0, subscribed.output
    assert subscribed.output == "subscription 1: 2500 shares at 3.00 €\n"
    assert ownership_of(BID) == ("unregistered", 0)

    paid = run("shares", "pay", "1", "--on", "2010-12-15")
    assert paid.exit_code == 0, paid.output
    assert paid.output == "subscription 1: paid_on 2010-12-15\n"
    assert ownership_of(BID) == ("unregistered", 0)

    registered = run("shares", "register", "1", "--on", "2011-01-10")
    assert registered.exit_code == 0, registered.output
    assert registered.output == "subscription 1: registered_on 2011-01-10\n"
    assert ownership_of(BID) == ("owner", 2500)

    shown = run("shares", "show", BID, "--on", "2011-02-01")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        f"Raasepori ({BID}) on 2011-02-01: owner, 2500 votes",
        "  #1 2010-11-01 2500 x 3.00 € = 7500.00 €  paid 2010-12-15  registered 2011-01-10"
        "  redeemed -",
    ]
    # before the registration date the same register says: no votes yet
    before = run("shares", "show", BID, "--on", "2011-01-09")
    assert (
        before.output.splitlines()[0] == f"Raasepori ({BID}) on 2011-01-09: unregistered, 0 votes"
    )


def test_a_redeemed_owner_is_no_owner_any_more(cli_db):
    add_organisation(BID)
    run("shares", "subscribe", BID, "--on", "2012-01-01")
    run("shares", "pay", "1", "--on", "2012-02-01")
    run("shares", "register", "1", "--on", "2012-03-01")
    redeemed = run("shares", "redeem", "1", "--on", "2020-01-01")
    assert redeemed.exit_code == 0, redeemed.output
    assert redeemed.output == "subscription 1: redeemed_on 2020-01-01\n"
    assert ownership_of(BID) == ("not_owner", 0)
    shown = run("shares", "show", BID, "--on", "2019-12-31")
    assert shown.output.splitlines()[0] == f"Raasepori ({BID}) on 2019-12-31: owner, 2500 votes"


@pytest.mark.parametrize(
    ("subscribed_on", "price"),
    [("2010-10-31", "1.00"), ("2011-03-31", "3.00"), ("2011-04-01", "6.00")],
)
def test_the_cli_subscribes_at_the_price_of_the_day(cli_db, subscribed_on, price):
    add_organisation(BID)
    result = run("shares", "subscribe", BID, "--on", subscribed_on)
    assert result.exit_code == 0, result.output
    assert result.output == f"subscription 1: 2500 shares at {price} €\n"


def test_a_joint_authority_subscribes_one_share_from_the_cli(cli_db):
    add_organisation(BID, kind="joint_authority", residents=None)
    result = run("shares", "subscribe", BID, "--on", "2011-04-01")
    assert result.exit_code == 0, result.output
    assert result.output == "subscription 1: 1 shares at 6.00 €\n"


def test_registering_before_paying_is_refused_and_nothing_changes(cli_db):
    add_organisation(BID)
    run("shares", "subscribe", BID, "--on", "2015-01-01")
    result = run("shares", "register", "1", "--on", "2015-03-01")
    assert result.exit_code == 1
    assert "shares are registered only after they are paid" in result.output
    assert ownership_of(BID) == ("unregistered", 0)


def test_an_unknown_subscription_or_organisation_is_an_error(cli_db):
    add_organisation(BID)
    result = run("shares", "pay", "99", "--on", "2015-01-01")
    assert result.exit_code == 1
    assert "No subscription 99." in result.output
    result = run("shares", "show", "0000000-0")
    assert result.exit_code == 1
    assert "No organisation with business ID 0000000-0." in result.output


def test_a_bad_business_id_is_refused_by_the_cli(cli_db):
    result = run("shares", "subscribe", "0201256-5", "--on", "2015-01-01")
    assert result.exit_code == 1
    assert "has a wrong check digit: expected 6, got 5" in result.output


def test_a_second_subscription_is_refused_by_the_cli_and_the_register_keeps_one(cli_db):
    add_organisation(BID, residents=700)
    assert run("shares", "subscribe", BID, "--on", "2015-01-01").exit_code == 0
    run("shares", "pay", "1", "--on", "2015-02-01")
    run("shares", "register", "1", "--on", "2015-03-01")
    again = run("shares", "subscribe", BID, "--on", "2016-01-01")
    assert again.exit_code == 1
    assert "already holds 700 shares for 700 residents" in again.output
    assert ownership_of(BID) == ("owner", 700)


def test_a_joint_authority_gets_no_second_share_from_the_cli(cli_db):
    add_organisation(BID, kind="joint_authority", residents=None)
    assert run("shares", "subscribe", BID, "--on", "2011-04-01").exit_code == 0
    again = run("shares", "subscribe", BID, "--on", "2012-04-01")
    assert again.exit_code == 1
    assert "holds one share, and it has it" in again.output


def test_the_cli_redeems_an_organisation_that_stopped_being_a_municipal_actor(cli_db):
    add_organisation(BID)
    run("shares", "subscribe", BID, "--on", "2012-01-01")
    run("shares", "pay", "1", "--on", "2012-02-01")
    run("shares", "register", "1", "--on", "2012-03-01")
    redeemed = run(
        "shares", "redeem-organisation", BID, "--on", "2020-01-01", "--reason", "yhtiöitetty"
    )
    assert redeemed.exit_code == 0, redeemed.output
    assert redeemed.output == f"Raasepori ({BID}): 2500 shares redeemed on 2020-01-01\n"
    assert ownership_of(BID) == ("not_owner", 0)
    shown = run("shares", "show", BID, "--on", "2019-12-31")
    assert shown.output.splitlines()[0] == f"Raasepori ({BID}) on 2019-12-31: owner, 2500 votes"
    again = run("shares", "redeem-organisation", BID, "--on", "2021-01-01", "--reason", "x")
    assert again.exit_code == 1
    assert "holds no shares to redeem on 2021-01-01" in again.output
