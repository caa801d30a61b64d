import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.routing import (
    RouteKind,
    RoutingDecision,
    RoutingError,
    RoutingRule,
    TicketFacts,
    decide_route,
)

TRIAGE = 900
ACCOUNT_MANAGER = 77


def facts(**kw):
    values = {
        "organisation_id": 1,
        "service_id": 10,
        "family": "application_services",
        "provider": "ICT",
        "ticket_type": "incident",
        "text": "Tulostin ei toimi",
        "service_default_group_id": 100,
    }
    values.update(kw)
    return TicketFacts(**values)


def rule(id=1, precedence=10, target=200, **kw):
    return RoutingRule(
        id=id,
        name=kw.pop("name", f"rule {id}"),
        precedence=precedence,
        target_group_id=target,
        **kw,
    )


def route(ticket, rules=(), triage=TRIAGE, account_manager=None):
    return decide_route(ticket, rules, triage, account_manager)


def test_ticket_without_rules_goes_to_the_service_default_group():
    decision = route(facts())
    assert decision == RoutingDecision(
        kind=RouteKind.SERVICE_DEFAULT,
        group_id=100,
        account_manager_id=None,
        rule_id=None,
        reason="default group of service 10",
    )


def test_matching_rule_overrides_the_default_and_names_itself():
    wilma = rule(id=4, name="Koulujen Wilma-tuki", keywords=("wilma",), target=300)
    decision = route(facts(text="Wilma ei aukea"), [wilma])
    assert decision.kind is RouteKind.RULE
    assert decision.group_id == 300
    assert decision.rule_id == 4
    assert decision.reason == 'rule #4 "Koulujen Wilma-tuki" (keywords: wilma)'


def test_lower_precedence_number_wins():
    late = rule(id=1, precedence=20, target=201)
    early = rule(id=2, precedence=5, target=202)
    assert route(facts(), [late, early]).rule_id == 2


def test_precedence_tie_is_broken_by_lower_id():
    b = rule(id=8, precedence=5, target=208)
    a = rule(id=3, precedence=5, target=203)
    assert route(facts(), [b, a]).rule_id == 3


def test_inactive_rule_is_skipped():
    inactive = rule(id=1, precedence=1, target=201, active=False)
    active = rule(id=2, precedence=9, target=202)
    assert route(facts(), [inactive, active]).rule_id == 2
    assert route(facts(), [inactive]).kind is RouteKind.SERVICE_DEFAULT


def test_non_matching_rule_falls_through_to_the_default():
    other_org = rule(organisation_id=2)
    assert route(facts(), [other_org]).kind is RouteKind.SERVICE_DEFAULT


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ("organisation_id", 1, 2),
        ("service_id", 10, 11),
        ("family", "application_services", "infrastructure_services"),
        ("provider", "ICT", "THH"),
        ("ticket_type", "incident", "service_request"),
    ],
)
def test_each_condition_must_hold(condition, matching, other):
    assert rule(**{condition: matching}).matches(facts())
    assert not rule(**{condition: other}).matches(facts())


def test_rule_without_conditions_matches_everything():
    catch_all = rule(id=9, name="Kaikki")
    assert catch_all.matches(facts())
    assert route(facts(), [catch_all]).reason == 'rule #9 "Kaikki" (no conditions)'


def test_all_conditions_must_hold_together():
    both = rule(organisation_id=1, provider="THH")
    assert not both.matches(facts())


def test_service_condition_does_not_match_an_unclassified_ticket():
    assert not rule(service_id=10).matches(facts(service_id=None, service_default_group_id=None))


@pytest.mark.parametrize(
    "text",
    [
        "wilma ei aukea",
        "WILMA ei aukea",
        "Ongelma: Wilma.",
        "Wilma-tunnus lukittu",
        "Wilma:n viestit eivät näy",
        "rivi 1\nwilma\nrivi 3",
    ],
)
def test_keyword_matches_whole_word_case_insensitively(text):
    assert rule(keywords=("Wilma",)).matches(facts(text=text))


@pytest.mark.parametrize("text", ["wilmanen", "ewilma", "wilma2", "wilma_x", "Vilma ei pääse"])
def test_keyword_does_not_match_inside_another_word(text):
    assert not rule(keywords=("wilma",)).matches(facts(text=text))


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        # Finnish case endings
        ("Wilma", "En pääse kirjautumaan Wilmaan aamulla."),
        ("Wilma", "Wilmassa ei näy huomisen lukujärjestystä."),
        ("Wilma", "Viestit Wilmasta eivät tule sähköpostiin."),
        ("tietoturva", "Tietoturvan vuoksi tunnukset lukittiin."),
        ("tietoturva", "Epäilen tietoturvaongelmaa: outo linkki sähköpostissa."),
        ("tulostin", "Kolmannen kerroksen tulostimen paperi on jumissa."),
        ("palkka", "Marraskuun palkan maksupäivä puuttuu."),
        ("lasku", "Laskut eivät siirry kiertoon."),
        ("Päätös", "Päätöstä ei tullut ajoissa."),
        ("sähköposti", "Sähköpostiin ei tule viestejä."),
        # Swedish definite forms
        ("skrivare", "Skrivaren på andra våningen skriver inte ut."),
        ("lösenord", "Jag har glömt lösenordet till Wilma."),
        ("lön", "Lönen för november har inte kommit."),
    ],
)
def test_a_word_keyword_matches_its_inflected_forms_and_compounds(keyword, text):
    assert rule(keywords=(keyword,)).matches(facts(text=text))


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("tös", "päätös"),  # "ä" inside the text makes no false word boundary around "tös"
        ("lasku", "Laskettelurinteen hissi"),  # a different word that shares letters
        ("palkka", "Palkinto jaettiin"),
        ("vpn", "vpnx-yhteys"),
    ],
)
def test_a_word_keyword_does_not_match_unrelated_words(keyword, text):
    assert not rule(keywords=(keyword,)).matches(facts(text=text))


def test_the_reason_names_the_keyword_as_the_rule_has_it():
    r = rule(id=7, name="Tietoturva", keywords=("tietoturva",))
    decision = route(facts(text="Tietoturvaongelma: outo liite"), [r])
    assert decision.reason == 'rule #7 "Tietoturva" (keywords: tietoturva)'


def test_keyword_matches_decomposed_finnish_letters():
    decomposed = "pa\u0308a\u0308to\u0308s puuttuu"
    assert rule(keywords=("päätös",)).matches(facts(text=decomposed))


def test_any_one_keyword_matches_and_the_reason_names_the_matched_ones():
    r = rule(id=5, name="Opetus", keywords=("wilma", "primus", "peda.net"))
    decision = route(facts(text="Primus ja peda.net jumissa"), [r])
    assert decision.reason == 'rule #5 "Opetus" (keywords: primus, peda.net)'
    assert not r.matches(facts(text="pedaxnet"))


def test_keyword_phrase_matches_across_any_whitespace():
    assert rule(keywords=("office 365",)).matches(facts(text="Office\n  365 kaatuu"))


def test_reason_lists_every_condition_of_the_rule():
    r = rule(
        id=4,
        name="Koulujen Wilma-tuki",
        organisation_id=1,
        service_id=10,
        family="application_services",
        provider="ICT",
        ticket_type="incident",
        keywords=("wilma",),
    )
    assert route(facts(text="wilma"), [r]).reason == (
        'rule #4 "Koulujen Wilma-tuki" (organisation: 1, service: 10, '
        "family: application_services, provider: ICT, type: incident, keywords: wilma)"
    )


def test_keywords_given_as_one_string_are_refused():
    with pytest.raises(TypeError):
        rule(keywords="wilma")


def test_blank_keyword_is_refused():
    with pytest.raises(ValueError):
        rule(keywords=("wilma", " "))


def test_keywords_given_as_a_list_become_a_tuple():
    assert rule(keywords=["wilma"]).keywords == ("wilma",)


def test_unclassified_ticket_goes_to_the_provider_triage_group():
    ticket = facts(service_id=None, family=None, service_default_group_id=None, provider="THH")
    decision = route(ticket)
    assert decision.kind is RouteKind.TRIAGE
    assert decision.group_id == TRIAGE
    assert decision.reason == "unclassified ticket (no service): triage group of provider THH"


def test_rule_can_route_an_unclassified_ticket():
    ticket = facts(service_id=None, family=None, service_default_group_id=None)
    assert route(ticket, [rule(keywords=("tulostin",))]).kind is RouteKind.RULE


def test_service_without_default_group_goes_to_triage():
    decision = route(facts(service_default_group_id=None))
    assert decision.kind is RouteKind.TRIAGE
    assert decision.reason == "service 10 has no default group: triage group of provider ICT"


def test_no_triage_group_is_a_routing_error():
    ticket = facts(service_id=None, family=None, service_default_group_id=None)
    with pytest.raises(RoutingError, match="no triage group"):
        route(ticket, triage=None)


def test_routing_error_is_a_value_error():
    assert issubclass(RoutingError, ValueError)


def test_default_group_without_service_is_refused():
    with pytest.raises(ValueError):
        facts(service_id=None, service_default_group_id=100)


@pytest.mark.parametrize("ticket_type", ["change_need", "feedback"])
def test_change_need_and_feedback_go_to_the_account_manager(ticket_type):
    decision = route(
        facts(ticket_type=ticket_type), [rule(precedence=0)], account_manager=ACCOUNT_MANAGER
    )
    assert decision.kind is RouteKind.ACCOUNT_MANAGER
    assert decision.group_id is None
    assert decision.account_manager_id == ACCOUNT_MANAGER
    assert decision.rule_id is None
    assert "account manager" in decision.reason


def test_change_need_without_account_manager_follows_rules():
    decision = route(facts(ticket_type="change_need"), [rule(id=3, name="Kehitys")])
    assert decision.kind is RouteKind.RULE
    assert decision.reason == (
        'change need, but the organisation has no account manager: rule #3 "Kehitys" '
        "(no conditions)"
    )


def test_change_need_without_account_manager_or_rule_goes_to_the_service_default():
    decision = route(facts(ticket_type="change_need"))
    assert decision.kind is RouteKind.SERVICE_DEFAULT
    assert decision.group_id == 100


def test_incident_ignores_the_account_manager():
    decision = route(facts(), account_manager=ACCOUNT_MANAGER)
    assert decision.kind is RouteKind.SERVICE_DEFAULT


rules_strategy = st.lists(
    st.builds(
        RoutingRule,
        id=st.integers(1, 50),
        name=st.just("r"),
        precedence=st.integers(0, 5),
        target_group_id=st.integers(1, 1000),
        organisation_id=st.none() | st.integers(1, 3),
        provider=st.none() | st.sampled_from(["ICT", "THH"]),
        ticket_type=st.none() | st.sampled_from(["incident", "service_request"]),
        active=st.booleans(),
    ),
    max_size=8,
)


@given(rules_strategy, st.integers(1, 3), st.sampled_from(["ICT", "THH"]))
def test_decision_is_the_first_matching_active_rule_in_any_input_order(rules, org, provider):
    ticket = facts(organisation_id=org, provider=provider)
    decision = route(ticket, rules)
    winners = sorted(
        (r for r in rules if r.active and r.matches(ticket)), key=lambda r: (r.precedence, r.id)
    )
    if winners:
        assert decision.rule_id == winners[0].id
        assert decision.group_id == winners[0].target_group_id
    else:
        assert decision.kind is RouteKind.SERVICE_DEFAULT
    assert route(ticket, list(reversed(rules))).rule_id == decision.rule_id
