"""A believable demo data set: owners, catalogue, groups, people of every role, tickets.

Tickets are made through the same operations the API uses, replayed at past
instants with `frozen_now`, so their events and timestamps tell a true story.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from catalog.agreements import cycle, transition
from catalog.agreements.models import IN_FORCE_STATES, AgreementService, AgreementVersion
from catalog.agreements.operations import create_version
from catalog.agreements.queries import local_date, version_facts
from catalog.business_id import check_digit
from catalog.calendars.models import BusinessCalendar
from catalog.gate import Refusal, check_entitlement
from catalog.groups.models import group_members
from catalog.groups.operations import create_group
from catalog.organisations.models import Organisation, organisation_account_managers
from catalog.organisations.operations import create_organisation
from catalog.ownership.operations import record_decision, subscribe, update_subscription
from catalog.ownership.queries import ownership_status_of
from catalog.routing_rules.models import RoutingRuleRow
from catalog.services.models import Service
from catalog.services.operations import create_service
from catalog.suppliers.models import ContractPromise, Supplier, UnderpinningContract
from servicedesk import db
from servicedesk.canned.operations import create_reply
from servicedesk.db import frozen_now, utcnow
from servicedesk.escalations import operations as escalations
from servicedesk.notifications import ticket_mail
from servicedesk.tickets import operations as tickets
from servicedesk.users.models import JOINT_DESK, User
from servicedesk.users.operations import create_user
from servicedesk.users.passwords import hash_password
from sla.calendar import Calendar

PASSWORD = "Demo-salasana-2026"  # noqa: S105  (printed for the local demo only)
HELSINKI = ZoneInfo("Europe/Helsinki")


def business_id(body: str) -> str:
    digit = check_digit(body)
    if digit is None:
        raise ValueError(body)
    return f"{body}-{digit}"


#: (body of the business ID, name, Swedish name, kind, residents)
ORGANISATIONS = [
    ("0157101", "Hämeenkyrön kunta", None, "municipality", 10_312),
    ("0149530", "Valkeakosken kaupunki", None, "municipality", 20_796),
    ("0139882", "Raaseporin kaupunki", "Raseborgs stad", "municipality", 27_341),
    ("0204819", "Kangasalan kaupunki", None, "municipality", 33_402),
    ("0151428", "Oriveden kaupunki", None, "municipality", 9_024),
    (
        "2046113",
        "Ylä-Pirkanmaan koulutuskuntayhtymä",
        "Övre Birkalands utbildningssamkommun",
        "joint_authority",
        None,
    ),
    ("2270486", "Valkeakosken Vesi Oy", None, "municipal_company", None),
]

#: Mail domains of the organisations above, in the same order.
DOMAINS = [
    "hameenkyro",
    "valkeakoski",
    "raasepori",
    "kangasala",
    "orivesi",
    "ypkky",
    "valkeakoskenvesi",
]

#: code, name, provider, is_triage
GROUPS = [
    ("ICT-TRIAGE", "ICT Palvelupiste (triage)", "ICT", True),
    ("ICT-LAHITUKI", "ICT Lähituki ja työasemat", "ICT", False),
    ("ICT-SOVELLUS", "ICT Sovelluspalvelut", "ICT", False),
    ("ICT-INFRA", "ICT Infra ja tietoliikenne", "ICT", False),
    ("ICT-ASIANTUNTIJA", "ICT Asiantuntijapalvelut", "ICT", False),
    ("THH-TRIAGE", "THH Palvelupiste (triage)", "THH", True),
    ("THH-PALKAT", "THH Palkka- ja henkilöstöpalvelut", "THH", False),
    ("THH-TALOUS", "THH Taloushallinnon palvelut", "THH", False),
]

#: code, family, subfamily, provider, fi, sv, en, group code
SERVICES = [
    (
        "EXP-ARKKITEHTUURI",
        "expert",
        None,
        "ICT",
        "Kokonaisarkkitehtuuripalvelu",
        "Helhetsarkitekturtjänst",
        "Enterprise architecture",
        "ICT-ASIANTUNTIJA",
    ),
    (
        "EXP-HANKINTA",
        "expert",
        None,
        "ICT",
        "ICT-hankintojen asiantuntijapalvelu",
        "Sakkunnigtjänst för IKT-upphandling",
        "ICT procurement advisory",
        "ICT-ASIANTUNTIJA",
    ),
    (
        "APP-WILMA",
        "application",
        "sector",
        "ICT",
        "Wilma ja opetuksen hallinto",
        "Wilma och undervisningsadministration",
        "Wilma and school administration",
        "ICT-SOVELLUS",
    ),
    (
        "APP-VAKA",
        "application",
        "sector",
        "ICT",
        "Varhaiskasvatuksen asiakasjärjestelmä",
        "Klientsystem för småbarnspedagogik",
        "Early childhood education system",
        "ICT-SOVELLUS",
    ),
    (
        "APP-ASIANHALLINTA",
        "application",
        "enabling",
        "ICT",
        "Asianhallinta ja arkistointi",
        "Ärendehantering och arkivering",
        "Case management and archiving",
        "ICT-SOVELLUS",
    ),
    (
        "APP-M365",
        "application",
        "enabling",
        "ICT",
        "Microsoft 365 -palvelut",
        "Microsoft 365-tjänster",
        "Microsoft 365 services",
        "ICT-SOVELLUS",
    ),
    (
        "INF-TYOASEMA",
        "infrastructure",
        "user",
        "ICT",
        "Työasemapalvelu",
        "Arbetsstationstjänst",
        "Workstation service",
        "ICT-LAHITUKI",
    ),
    (
        "INF-MOBIILI",
        "infrastructure",
        "user",
        "ICT",
        "Mobiililaitepalvelu",
        "Tjänst för mobila enheter",
        "Mobile device service",
        "ICT-LAHITUKI",
    ),
    (
        "INF-KAPASITEETTI",
        "infrastructure",
        "capacity",
        "ICT",
        "Palvelin- ja tallennuskapasiteetti",
        "Server- och lagringskapacitet",
        "Server and storage capacity",
        "ICT-INFRA",
    ),
    (
        "INF-VERKKO",
        "infrastructure",
        "network",
        "ICT",
        "Tietoliikenne ja lähiverkko",
        "Datakommunikation och lokalnät",
        "Network and LAN",
        "ICT-INFRA",
    ),
    (
        "INF-TULOSTUS",
        "infrastructure",
        "office",
        "ICT",
        "Tulostus- ja monitoimilaitepalvelu",
        "Utskrifts- och multifunktionstjänst",
        "Printing service",
        "ICT-LAHITUKI",
    ),
    ("THH-PALKKA", "expert", None, "THH", "Palkanlaskenta", "Löneräkning", "Payroll", "THH-PALKAT"),
    (
        "THH-HR",
        "application",
        "enabling",
        "THH",
        "Henkilöstöhallinnon järjestelmä",
        "Personaladministrativt system",
        "HR system",
        "THH-PALKAT",
    ),
    (
        "THH-OSTOLASKU",
        "expert",
        None,
        "THH",
        "Ostolaskujen käsittely",
        "Hantering av inköpsfakturor",
        "Purchase invoice processing",
        "THH-TALOUS",
    ),
    (
        "THH-KIRJANPITO",
        "expert",
        None,
        "THH",
        "Kirjanpito ja tilinpäätös",
        "Bokföring och bokslut",
        "Accounting and closing",
        "THH-TALOUS",
    ),
    (
        "EXP-TIETOSUOJA",
        "expert",
        None,
        "ICT",
        "Tietosuojan asiantuntijapalvelu",
        "Sakkunnigtjänst för dataskydd",
        "Data protection advisory",
        "ICT-ASIANTUNTIJA",
    ),
    (
        "EXP-TIETOTURVA",
        "expert",
        None,
        "ICT",
        "Tietoturvan asiantuntijapalvelu",
        "Sakkunnigtjänst för informationssäkerhet",
        "Information security advisory",
        "ICT-ASIANTUNTIJA",
    ),
    (
        "APP-KIRJASTO",
        "application",
        "sector",
        "ICT",
        "Kirjastojärjestelmä",
        "Bibliotekssystem",
        "Library system",
        "ICT-SOVELLUS",
    ),
    (
        "APP-LUPA",
        "application",
        "sector",
        "ICT",
        "Rakennusvalvonnan lupapalvelu",
        "Bygglovstjänst",
        "Building permit service",
        "ICT-SOVELLUS",
    ),
    (
        "APP-PAIKKATIETO",
        "application",
        "sector",
        "ICT",
        "Paikkatietojärjestelmä",
        "Geografiskt informationssystem",
        "Geographic information system",
        "ICT-SOVELLUS",
    ),
    (
        "APP-TILAVARAUS",
        "application",
        "sector",
        "ICT",
        "Tilavarausjärjestelmä",
        "Lokalbokningssystem",
        "Facility booking system",
        "ICT-SOVELLUS",
    ),
    (
        "APP-INTRANET",
        "application",
        "enabling",
        "ICT",
        "Intranet ja verkkosivut",
        "Intranät och webbplatser",
        "Intranet and websites",
        "ICT-SOVELLUS",
    ),
    (
        "APP-TUNNISTUS",
        "application",
        "enabling",
        "ICT",
        "Käyttäjätunnistus ja identiteetinhallinta",
        "Autentisering och identitetshantering",
        "Authentication and identity management",
        "ICT-SOVELLUS",
    ),
    (
        "INF-TUNNUKSET",
        "infrastructure",
        "user",
        "ICT",
        "Käyttäjätunnukset ja oikeudet",
        "Användarkonton och behörigheter",
        "User accounts and access rights",
        "ICT-LAHITUKI",
    ),
    (
        "INF-VARMISTUS",
        "infrastructure",
        "capacity",
        "ICT",
        "Varmuuskopiointi",
        "Säkerhetskopiering",
        "Backup",
        "ICT-INFRA",
    ),
    (
        "INF-PILVI",
        "infrastructure",
        "capacity",
        "ICT",
        "Pilvikapasiteetti",
        "Molnkapacitet",
        "Cloud capacity",
        "ICT-INFRA",
    ),
    (
        "INF-WLAN",
        "infrastructure",
        "network",
        "ICT",
        "Langaton verkko",
        "Trådlöst nät",
        "Wireless network",
        "ICT-INFRA",
    ),
    (
        "INF-ETAYHTEYS",
        "infrastructure",
        "network",
        "ICT",
        "Etäyhteydet (VPN)",
        "Distansförbindelser (VPN)",
        "Remote access (VPN)",
        "ICT-INFRA",
    ),
    (
        "INF-PUHELIN",
        "infrastructure",
        "office",
        "ICT",
        "Puhelin- ja vaihdepalvelu",
        "Telefon- och växeltjänst",
        "Telephony and switchboard",
        "ICT-LAHITUKI",
    ),
    (
        "INF-KOKOUSTILA",
        "infrastructure",
        "office",
        "ICT",
        "Kokoustilojen AV-tekniikka",
        "AV-teknik i mötesrum",
        "Meeting room AV",
        "ICT-LAHITUKI",
    ),
    (
        "THH-MATKA",
        "expert",
        None,
        "THH",
        "Matka- ja kululaskut",
        "Rese- och kostnadsräkningar",
        "Travel and expense claims",
        "THH-TALOUS",
    ),
    (
        "THH-MYYNTI",
        "expert",
        None,
        "THH",
        "Myyntilaskutus ja perintä",
        "Försäljningsfakturering och indrivning",
        "Sales invoicing and collection",
        "THH-TALOUS",
    ),
    (
        "THH-REKRY",
        "application",
        "enabling",
        "THH",
        "Rekrytointijärjestelmä",
        "Rekryteringssystem",
        "Recruitment system",
        "THH-PALKAT",
    ),
]

#: name, spec (the same JSON the API takes)
CALENDARS = [
    (
        "Virka-aika ma-pe 8-16",
        {
            "timezone": "Europe/Helsinki",
            "holidays": "FI",
            "hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    ),
    (
        "Laajennettu ma-pe 7-18",
        {
            "timezone": "Europe/Helsinki",
            "holidays": "FI",
            "hours": {d: [["07:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        },
    ),
    ("Ympäri vuorokauden", {"always": True, "timezone": "Europe/Helsinki"}),
]

#: Share subscriptions per organisation (same order as ORGANISATIONS):
#: (subscribed, paid, registered, note); None = the organisation has not subscribed.
OWNERSHIP = [
    (date(2010, 9, 15), date(2010, 10, 20), date(2010, 11, 2), "perustajaosakas, 1 €/osake"),
    (date(2011, 2, 1), date(2011, 3, 1), date(2011, 3, 15), "3 €/osake"),
    (date(2014, 5, 12), date(2014, 6, 30), date(2014, 8, 1), "6 €/osake"),
    (date(2019, 3, 4), date(2019, 4, 1), date(2019, 4, 20), "yhtiökokouksen alennettu hinta"),
    (date(2026, 10, 1), None, None, "merkitty, maksamatta: ei vielä palveltava"),
    (date(2012, 1, 10), date(2012, 2, 1), date(2012, 2, 20), "kuntayhtymä, 1 osake"),
    (date(2020, 6, 1), date(2020, 6, 15), date(2020, 7, 1), "kuntayhtiö, 1 osake"),
]

#: Services that start later for a customer (the transition plan): org index -> {code: days
#: from the day the demo is loaded}, so a fresh demo always has a transition under way.
PHASED = {
    3: {"APP-VAKA": 21, "THH-PALKKA": 35},
    2: {"APP-LUPA": 14},
}
#: The renewal being negotiated for the year after next: org index -> state (the contact of
#: Hämeenkyrö has a proposal to accept; Valkeakoski's account manager has a draft).
RENEWALS = {0: "proposed", 1: "draft"}

#: Promise lines of every demo agreement: (scope, priority, response, resolution, update, cal)
PROMISES = [
    (None, "P1", 30, 240, 60, 1),
    (None, "P2", 60, 480, 240, 0),
    (None, "P3", 240, 1440, None, 0),
    (None, "P4", 480, 4800, None, 0),
    ("family:infrastructure", "P1", 15, 240, 60, 2),
    ("service:APP-WILMA", "P1", 15, 120, 60, 1),
    ("service:THH-PALKKA", "P2", 60, 240, None, 0),
]

#: name, precedence, group code, conditions
ROUTING_RULES = [
    (
        "Tietoturvapoikkeamat",
        5,
        "ICT-INFRA",
        {"keywords": ["tietoturva", "kalastelu", "haittaohjelma", "phishing"]},
    ),
    ("Wilma-asiat sovellustukeen", 10, "ICT-SOVELLUS", {"keywords": ["wilma"]}),
    (
        "Raaseporin lähituki (ruotsinkielinen)",
        20,
        "ICT-LAHITUKI",
        {"org": 2, "family": "infrastructure"},
    ),
]

#: What people really write, per service code: (title, description, impact, urgency, type)
TICKET_TEXTS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "APP-WILMA": [
        (
            "Wilma ei aukea opettajille",
            "Koulun opettajat eivät pääse Wilmaan aamulla, kirjautuminen pyörii.",
            "high",
            "high",
            "incident",
        ),
        (
            "Uuden opettajan Wilma-tunnukset",
            "Sijaisopettaja aloittaa maanantaina, tarvitsee tunnukset.",
            "low",
            "medium",
            "service_request",
        ),
    ],
    "APP-VAKA": [
        (
            "Päiväkodin läsnäolotiedot eivät päivity",
            "Hoitoaikavaraukset eivät näy henkilökunnalle tabletilla.",
            "medium",
            "high",
            "incident",
        ),
    ],
    "APP-ASIANHALLINTA": [
        (
            "Pöytäkirjan julkaisu epäonnistuu",
            "Kunnanhallituksen pöytäkirja ei siirry verkkosivuille.",
            "medium",
            "high",
            "incident",
        ),
        (
            "Arkistonmuodostussuunnitelman päivitys",
            "Tarvitsemme uudet tehtäväluokat hyvinvointialueuudistuksen jälkeen.",
            "low",
            "low",
            "change_need",
        ),
    ],
    "APP-M365": [
        (
            "Jaettu postilaatikko kirjaamolle",
            "Kirjaamo tarvitsee yhteisen postilaatikon ja oikeudet kolmelle henkilölle.",
            "low",
            "medium",
            "service_request",
        ),
        (
            "Teams-kokous ei näy kalenterissa",
            "Valtuuston kokouskutsu puuttuu jäseniltä.",
            "medium",
            "medium",
            "incident",
        ),
    ],
    "INF-TYOASEMA": [
        (
            "Kannettava ei käynnisty",
            "Näyttö pysyy mustana, virtavalo palaa.",
            "low",
            "high",
            "incident",
        ),
        (
            "Uusi työasema kesätyöntekijälle",
            "Kesätyöntekijä aloittaa 1.6., tarvitaan kannettava ja tunnukset.",
            "low",
            "low",
            "service_request",
        ),
    ],
    "INF-MOBIILI": [
        (
            "Puhelin kadonnut",
            "Kotihoidon työpuhelin kadonnut, pyydän etätyhjennystä.",
            "medium",
            "high",
            "incident",
        ),
    ],
    "INF-KAPASITEETTI": [
        (
            "Levytila loppumassa verkkolevyltä",
            "Teknisen toimen verkkolevy on 95 % täynnä.",
            "medium",
            "medium",
            "incident",
        ),
    ],
    "INF-VERKKO": [
        (
            "Koulun verkko katkeilee",
            "Yläkoulun langaton verkko katkeilee välitunneilla.",
            "high",
            "medium",
            "incident",
        ),
        (
            "Kirjaston vierasverkko alas",
            "Asiakkaat eivät pääse vierasverkkoon.",
            "medium",
            "medium",
            "incident",
        ),
    ],
    "INF-TULOSTUS": [
        (
            "Monitoimilaite ei skannaa sähköpostiin",
            "Skannaus päättyy virheeseen 'SMTP'.",
            "low",
            "medium",
            "incident",
        ),
    ],
    "EXP-ARKKITEHTUURI": [
        (
            "Arkkitehtuurikatselmointi: uusi ajanvaraus",
            "Pyydämme katselmointia ennen hankintapäätöstä.",
            "low",
            "low",
            "service_request",
        ),
    ],
    "EXP-HANKINTA": [
        (
            "Tarjouspyynnön tekniset vaatimukset",
            "Apua vaatimusten kirjoittamiseen kirjastojärjestelmän kilpailutukseen.",
            "low",
            "medium",
            "service_request",
        ),
    ],
    "THH-PALKKA": [
        (
            "Lisätyökorvaus puuttuu palkasta",
            "Maaliskuun lisätyöt eivät näy palkkalaskelmassa.",
            "low",
            "high",
            "incident",
        ),
        (
            "Palkkatodistus lainaa varten",
            "Tarvitsen palkkatodistuksen pankkia varten.",
            "low",
            "medium",
            "service_request",
        ),
    ],
    "THH-HR": [
        (
            "Esihenkilö ei näe tiiminsä lomia",
            "HR-järjestelmän raportti on tyhjä.",
            "medium",
            "medium",
            "incident",
        ),
    ],
    "THH-OSTOLASKU": [
        (
            "Ostolasku jumissa hyväksynnässä",
            "Lasku on ollut hyväksyjällä kolme viikkoa, hyväksyjä on virkavapaalla.",
            "low",
            "medium",
            "incident",
        ),
    ],
    "THH-KIRJANPITO": [
        (
            "Kustannuspaikkojen muutos ensi vuodelle",
            "Uudet kustannuspaikat sivistystoimeen.",
            "low",
            "low",
            "change_need",
        ),
    ],
}

#: How the demo's tickets are spread over the lifecycle.
STATUS_MIX = [
    ("new", 10),
    ("assigned", 10),
    ("in_progress", 10),
    ("escalated_to_supplier", 6),
    ("waiting_for_customer", 10),
    ("resolved", 20),
    ("closed", 28),
    ("cancelled", 6),
]

#: Suppliers: name, contact, service codes they support by default, agent e-mail
SUPPLIERS = [
    (
        "Koulusofta Oy",
        "palvelupyynnot@koulusofta.example",
        ("APP-WILMA", "APP-VAKA"),
        "tuki@koulusofta.example",
    ),
    (
        "Pohjolan Pilvi Oy",
        "servicedesk@pohjolanpilvi.example",
        ("INF-KAPASITEETTI", "INF-PILVI", "INF-VARMISTUS"),
        "paivystys@pohjolanpilvi.example",
    ),
    (
        "Verkkotalo Networks Oy",
        "noc@verkkotalo.example",
        ("INF-VERKKO", "INF-WLAN", "INF-ETAYHTEYS"),
        "noc-agent@verkkotalo.example",
    ),
    (
        "Palkkapiste Oy",
        "asiakastuki@palkkapiste.example",
        ("THH-PALKKA", "THH-HR"),
        "tuki@palkkapiste.example",
    ),
]
#: Underpinning promises of every supplier contract: priority, response, resolution (minutes)
SUPPLIER_PROMISES = [("P1", 30, 120), ("P2", 60, 240), ("P3", 120, 720), ("P4", 480, 2400)]

FIRST_NAMES = [
    "Aino",
    "Eero",
    "Helmi",
    "Juhani",
    "Kaisa",
    "Lauri",
    "Maria",
    "Mikko",
    "Noora",
    "Olli",
    "Pirjo",
    "Sanna",
    "Timo",
    "Ulla",
    "Veikko",
    "Anna-Liisa",
    "Björn",
    "Elin",
    "Johan",
    "Satu",
]
LAST_NAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lindholm",
    "Söderström",
    "Lehtonen",
]


#: `progress(step, steps, what)`: the CLI prints counted steps while the demo loads.
Progress = Callable[[int, int, str], None]


def _quiet(_step: int, _steps: int, _what: str) -> None:
    pass


def load_demo(
    app: Flask,
    tickets_count: int = 320,
    seed: int = 2026,
    progress: Progress = _quiet,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Create the demo data, dated relative to `now` (the real time unless a test says);
    returns the credentials to print."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    rng = random.Random(seed)
    creds: list[dict[str, Any]] = []
    steps = 1 + TICKET_STEPS
    _password_hash.clear()  # hashed afresh (a new salt) for each load, then shared
    today = now.astimezone(HELSINKI).date()
    progress(1, steps, "organisations, catalogue, agreements and people")
    with db.unit_of_work(app) as sess:
        orgs = [
            create_organisation(
                sess, business_id=business_id(body), name=name, name_sv=sv, kind=kind, residents=res
            )
            for body, name, sv, kind, res in ORGANISATIONS
        ]
        groups = {
            code: create_group(
                sess,
                code=code,
                name=name,
                provider=prov,
                is_triage=tri,
                email=f"{code.lower()}@kpk.example",
            )
            for code, name, prov, tri in GROUPS
        }
        services = [
            create_service(
                sess,
                code=code,
                family=fam,
                subfamily=sub,
                provider=prov,
                name_fi=fi,
                name_sv=sv,
                name_en=en,
                default_group_id=groups[grp].id,
            )
            for code, fam, sub, prov, fi, sv, en, grp in SERVICES
        ]
        _ownership(sess, orgs)
        calendars = []
        for name, spec in CALENDARS:
            calendars.append(BusinessCalendar(name=name, spec=Calendar.from_spec(spec).to_spec()))
            sess.add(calendars[-1])
        sess.flush()
        phased = {
            i: {code: today + timedelta(days=days) for code, days in by_code.items()}
            for i, by_code in PHASED.items()
        }
        for i, org in enumerate(orgs):
            if OWNERSHIP[i][2] is not None:
                _agreements(sess, org, services, calendars, phased.get(i, {}), today)
        for name, precedence, code, cond in ROUTING_RULES:
            sess.add(
                RoutingRuleRow(
                    name=name,
                    precedence=precedence,
                    target_group_id=groups[code].id,
                    organisation_id=orgs[cond["org"]].id if "org" in cond else None,
                    family=cond.get("family"),
                    keywords=cond.get("keywords", []),
                    active=True,
                )
            )
        people = _people(sess, rng, orgs, groups, creds)
        _canned_replies(sess, groups)
        people["supplier_agents"] = _suppliers(sess, services, calendars, creds, today)
        sess.flush()
        # The people have had their accounts since before last year's agreement: a past
        # month's per-user charges count them, as a real customer's would.
        since = datetime.combine(date(today.year - 1, 1, 1), time(0), tzinfo=HELSINKI)
        accounts = [o.id for o in sess.identity_map.values() if isinstance(o, User)]
        sess.execute(update(User).where(User.id.in_(accounts)).values(created_at=since))
        with frozen_now(now):  # the plans' events and statuses are as of the demo's day
            _renewals(sess, orgs, today)
            _transition_plans(sess, orgs, phased)
    _tickets(app, rng, services, people, tickets_count, partial_progress(progress, 2, steps), now)
    return creds


#: The tickets are reported in this many counted steps.
TICKET_STEPS = 4


def partial_progress(progress: Progress, first: int, steps: int) -> Callable[[int, int], None]:
    """Ticket `done` of `count`, reported as the steps `first`..`steps` of the whole load."""
    reported: set[int] = set()

    def report(done: int, count: int) -> None:
        step = first + min(TICKET_STEPS - 1, done * TICKET_STEPS // max(count, 1))
        if step not in reported:
            reported.add(step)
            last = min(count, (step - first + 1) * count // TICKET_STEPS)
            progress(step, steps, f"tickets {done + 1}-{last} of {count}")

    return report


#: (group code or None for everyone, locale, title, body)
CANNED_REPLIES = [
    (
        None,
        "fi",
        "Kuittaus",
        "Hei {requester_name},\n\nkiitos ilmoituksesta. Tiketti {ticket_number} "
        "({ticket_title}) on vastaanotettu ja käsittelemme sen mahdollisimman pian.\n\n"
        "Ystävällisin terveisin\n{agent_name}, KPK Palvelupiste",
    ),
    (
        None,
        "en",
        "Acknowledgement",
        "Hello {requester_name},\n\nthank you for your report. Ticket {ticket_number} "
        "({ticket_title}) has been received and we will handle it as soon as possible.\n\n"
        "Kind regards\n{agent_name}, KPK Service Desk",
    ),
    (
        None,
        "fi",
        "Lisätietopyyntö",
        "Hei {requester_name},\n\nvoisitko kertoa tarkemmin, milloin ongelma alkoi ja "
        "näkyykö virheilmoitusta? Tiketti: {ticket_number}.\n\n{agent_name}",
    ),
    (
        "ICT-LAHITUKI",
        "fi",
        "Salasanan vaihto",
        "Hei {requester_name},\n\nsalasanasi on nollattu. Vaihda se kirjautuessasi "
        "(palvelu: {service_name}).\n\n{agent_name}, ICT Lähituki",
    ),
    (
        "ICT-SOVELLUS",
        "fi",
        "Toimittaja selvittää",
        "Hei {requester_name},\n\nolemme pyytäneet järjestelmätoimittajaa selvittämään "
        "asiaa ({service_name}). Palaamme asiaan, kun saamme vastauksen.\n\n{agent_name}",
    ),
    (
        "THH-PALKAT",
        "fi",
        "Palkkakuitti",
        "Hei {requester_name},\n\npalkkakuitti on nähtävissä palkkajärjestelmässä. "
        "Tiketti {ticket_number} suljetaan, ellei muuta kuulu.\n\n{agent_name}, THH Palkat",
    ),
    (
        "THH-TALOUS",
        "en",
        "Invoice forwarded",
        "Hello {requester_name},\n\nthe invoice has been forwarded for approval "
        "({ticket_number}).\n\n{agent_name}, KPK THH Finance",
    ),
]


def _canned_replies(sess: Session, groups: dict[str, Any]) -> None:
    """A handful of canned replies: global ones in Finnish and English, and per group."""
    for code, locale, title, body in CANNED_REPLIES:
        create_reply(
            sess,
            {
                "group_id": groups[code].id if code else None,
                "locale": locale,
                "title": title,
                "body": body,
            },
        )


def _suppliers(
    sess: Session,
    services: list[Service],
    calendars: list[BusinessCalendar],
    creds: list[dict[str, Any]],
    today: date,
) -> dict[int, User]:
    """Suppliers with a contract on office hours, their default services, one agent each."""
    by_code = {s.code: s for s in services}
    agents: dict[int, User] = {}
    for name, contact, codes, agent_email in SUPPLIERS:
        supplier = Supplier(name=name, contact_email=contact)
        sess.add(supplier)
        sess.flush()
        contract = UnderpinningContract(
            supplier_id=supplier.id,
            name=f"{name}: tukisopimus {today.year - 1}-{today.year + 1}",
            valid_from=date(today.year - 1, 1, 1),
            valid_to=date(today.year + 1, 12, 31),
            calendar_id=calendars[0].id,
        )
        contract.promises = [
            ContractPromise(priority=p, response_minutes=r, resolution_minutes=t)
            for p, r, t in SUPPLIER_PROMISES
        ]
        sess.add(contract)
        for code in codes:
            by_code[code].supplier_id = supplier.id
        agents[supplier.id] = _person(
            sess,
            creds,
            agent_email,
            f"{name} tuki",
            "supplier_agent",
            note=name,
            supplier_id=supplier.id,
        )
    return agents


def _ownership(sess: Session, orgs: list[Organisation]) -> None:
    """The register, then the 2018 meeting: its votes cast cannot exceed the votes registered
    on its date (the owners registered by then hold 58 450), and it reprices the 2019
    subscription it reaches, whatever the order the records are entered in."""
    for org, (subscribed, paid, registered, note) in zip(orgs, OWNERSHIP, strict=True):
        sub = subscribe(sess, org, subscribed, note=note)
        update_subscription(sess, sub, {"paid_on": paid, "registered_on": registered})
    record_decision(
        sess,
        decided_on=date(2018, 11, 20),
        price_per_share=Decimal("2.00"),
        votes_for=48_000,
        votes_cast=58_450,
        applies_from=date(2019, 1, 1),
        applies_to=date(2019, 12, 31),
        description="Yhtiökokous: osakkeen hinta 2 € vuoden 2019 merkinnöille",
    )


def _agreements(
    sess: Session,
    org: Organisation,
    services: list[Service],
    calendars: list[BusinessCalendar],
    phased: dict[str, date],
    today: date,
) -> None:
    """Last year's version, this year's and next year's, all signed: a fresh demo is in
    force through next year whatever day it is loaded. Services of the transition plan
    start later (`PHASED`); last year's version has only those that had started."""
    year = today.year
    this_year, next_year = date(year, 1, 1), date(year + 1, 1, 1)
    by_code = {s.code: s for s in services}
    lines = []
    for service in services:
        if (
            service.provider == "THH"
            and org.kind == "municipal_company"
            and service.code != "THH-PALKKA"
        ):
            continue  # the water company buys payroll only from THH
        model = {
            "expert": "per_expert_hour",
            "application": "per_user_month",
            "infrastructure": "per_ticket",
        }[service.family]
        price = {"per_expert_hour": "95.00", "per_user_month": "4.50", "per_ticket": "38.00"}
        lines.append(
            {
                "service_id": service.id,
                "starts_on": phased.get(service.code, this_year),
                "price_model": model,
                "price": Decimal(price[model]),
            }
        )
    promises = []
    for scope, priority, response, resolution, update_minutes, cal in PROMISES:
        line: dict[str, Any] = {
            "priority": priority,
            "response_minutes": response,
            "resolution_minutes": resolution,
            "update_minutes": update_minutes,
            "calendar_id": calendars[cal].id,
        }
        if scope and scope.startswith("family:"):
            line["family"] = scope.split(":")[1]
        elif scope:
            line["service_id"] = by_code[scope.split(":")[1]].id
        promises.append(line)
    earlier = [
        {**line, "starts_on": date(year - 1, 1, 1)}
        for line in lines
        if line["starts_on"] <= this_year
    ]
    covered = {line["service_id"] for line in earlier}
    create_version(
        sess,
        org,
        {
            "valid_from": date(year - 1, 1, 1),
            "valid_to": date(year - 1, 12, 31),
            "renewal_deadline": date(year - 2, 9, 30),
            "invoicing_period": "quarterly",
            "notes": f"Vuoden {year - 1} sopimus",
            "services": earlier,
            "promises": [p for p in promises if p.get("service_id") in (None, *covered)],
        },
    )
    # A service whose go-live falls next year belongs to next year's version only.
    current = [line for line in lines if line["starts_on"] < next_year]
    create_version(
        sess,
        org,
        {
            "valid_from": this_year,
            "valid_to": date(year, 12, 31),
            "renewal_deadline": date(year, 9, 30),
            "invoicing_period": "monthly",
            "notes": f"Vuoden {year} sopimus; vaiheistettu siirtymä",
            "services": current,
            "promises": [
                p
                for p in promises
                if p.get("service_id") in (None, *(x["service_id"] for x in current))
            ],
        },
    )
    create_version(
        sess,
        org,
        {
            "valid_from": next_year,
            "valid_to": date(year + 1, 12, 31),
            "renewal_deadline": date(year + 1, 9, 30),
            "invoicing_period": "monthly",
            "notes": f"Vuoden {year + 1} sopimus",
            "services": [
                {**line, "starts_on": max(line["starts_on"], next_year)} for line in lines
            ],
            "promises": promises,
        },
    )


#: A service's transition plan, in days before its go-live: (kind, name, days before,
#: done?). The second phased customer's training is late, so the plan shows all three states.
TRANSITION_STEPS = [
    ("data_migration", "Tietojen siirto vanhasta järjestelmästä", 21),
    ("training", "Pääkäyttäjien koulutus", 7),
    ("go_live", "Käyttöönotto", 0),
]


def _transition_plans(
    sess: Session, orgs: list[Organisation], phased: dict[int, dict[str, date]]
) -> None:
    """The plan of each phased service, in the version whose line starts on its go-live: the
    steps already past are done, except a late training (`TRANSITION_STEPS`)."""
    today = local_date(utcnow())
    for i, starts in phased.items():
        org = orgs[i]
        manager = _manager_of(sess, org)
        for code, go_live in starts.items():
            line = sess.scalars(
                select(AgreementService)
                .join(AgreementVersion)
                .join(Service, Service.id == AgreementService.service_id)
                .where(
                    AgreementVersion.organisation_id == org.id,
                    AgreementVersion.state.in_(IN_FORCE_STATES),
                    Service.code == code,
                    AgreementService.starts_on == go_live,
                )
            ).first()
            if line is None:
                continue
            steps = []
            for kind, name, before in TRANSITION_STEPS:
                planned = go_live - timedelta(days=before)
                late = kind == "training" and code == "APP-LUPA"
                if late:
                    planned = today - timedelta(days=2)
                done = planned <= today and kind != "go_live" and not late
                steps.append(
                    {
                        "kind": kind,
                        "name": name,
                        "planned_on": planned,
                        "done_on": planned if done else None,
                    }
                )
            transition.set_plan(sess, manager, line, steps)


def _manager_of(sess: Session, org: Organisation) -> User:
    manager = sess.scalars(
        select(User)
        .join(organisation_account_managers, organisation_account_managers.c.user_id == User.id)
        .where(organisation_account_managers.c.organisation_id == org.id)
    ).first()
    assert manager is not None
    return manager


def _renewals(sess: Session, orgs: list[Organisation], today: date) -> None:
    """The cycle under way: older versions superseded by the ones after them, and the
    renewal for the year after next drafted or proposed (`RENEWALS`) by the account manager."""
    admin = sess.scalars(select(User).where(User.role == "admin")).first()
    assert admin is not None
    for org in orgs:
        versions = list(
            sess.scalars(
                select(AgreementVersion)
                .where(AgreementVersion.organisation_id == org.id)
                .order_by(AgreementVersion.valid_from)
            )
        )
        for older, newer in pairwise(versions):
            older.state = "superseded"
            cycle.record(sess, older, admin, "superseded", by_version=newer.version_no)
    for i, state in RENEWALS.items():
        org = orgs[i]
        manager = _manager_of(sess, org)
        in_force = sess.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.organisation_id == org.id)
            .order_by(AgreementVersion.valid_from.desc())
        ).first()
        assert in_force is not None
        draft = cycle.new_draft(sess, manager, in_force)
        draft.notes = f"Vuoden {draft.valid_from.year} sopimus: hintojen tarkistus"
        for line in draft.services:
            if line.price_model == "per_ticket":
                line.price = Decimal("39.50")
        for promise in draft.promises:
            if promise.priority == "P2" and promise.service_id is None and promise.family is None:
                promise.resolution_minutes = 420
        cycle.edited(sess, manager, draft, ["services", "promises", "notes"])
        if state == "proposed":
            cycle.propose(sess, manager, draft)
    sess.flush()


#: Every demo user shares one password; argon2 hashes it once (~150 ms), not once per user.
_password_hash: list[str] = []


def _demo_user(sess: Session, **kw: Any) -> User:
    """A user with the demo password, hashed once for the whole data set."""
    if not _password_hash:
        _password_hash.append(hash_password(PASSWORD))
    user = create_user(sess, **kw)
    user.password_hash = _password_hash[0]
    return user


def _person(
    sess: Session,
    creds: list[dict[str, Any]],
    email: str,
    name: str,
    role: str,
    note: str = "",
    **kw: Any,
) -> User:
    user = _demo_user(sess, email=email, name=name, role=role, **kw)
    creds.append({"role": role, "email": email, "password": PASSWORD, "note": note})
    return user


def _people(
    sess: Session,
    rng: random.Random,
    orgs: list[Organisation],
    groups: dict[str, Any],
    creds: list[dict[str, Any]],
) -> dict[str, Any]:
    _person(sess, creds, "admin@kpk.example", "Pääkäyttäjä Ylläpito", "admin")
    agents: dict[str, list[User]] = {"ICT": [], "THH": []}
    staff = [
        ("ICT", "ICT-TRIAGE"),
        ("ICT", "ICT-LAHITUKI"),
        ("ICT", "ICT-SOVELLUS"),
        ("ICT", "ICT-INFRA"),
        ("ICT", "ICT-ASIANTUNTIJA"),
        ("THH", "THH-TRIAGE"),
        ("THH", "THH-PALKAT"),
        ("THH", "THH-TALOUS"),
    ]
    for i, (provider, code) in enumerate(staff, start=1):
        first, last = FIRST_NAMES[i], LAST_NAMES[i]
        joint = code == "ICT-TRIAGE"  # the joint first line: triages ICT and THH alike
        agent = _person(
            sess,
            creds,
            f"{first.lower()}.{last.lower()}@kpk.example".replace("ä", "a").replace("ö", "o"),
            f"{first} {last}",
            "agent",
            note=f"{code} + THH-TRIAGE (joint desk)" if joint else code,
            provider=provider,
            desk=JOINT_DESK if joint else None,
        )
        agents[provider].append(agent)
        sess.execute(insert(group_members), [{"group_id": groups[code].id, "user_id": agent.id}])
        if joint:
            sess.execute(
                insert(group_members), [{"group_id": groups["THH-TRIAGE"].id, "user_id": agent.id}]
            )
        if code.endswith("TRIAGE"):  # the desk's first line also helps the second
            for other in (c for p, c in staff if p == provider and not c.endswith("TRIAGE")):
                sess.execute(
                    insert(group_members), [{"group_id": groups[other].id, "user_id": agent.id}]
                )
    managers = [
        _person(
            sess,
            creds,
            "riikka.asiakasvastaava@kpk.example",
            "Riikka Rantanen",
            "account_manager",
            note="Hämeenkyrö, Valkeakoski, Orivesi, Vesi Oy",
        ),
        _person(
            sess,
            creds,
            "stefan.kundansvarig@kpk.example",
            "Stefan Holmström",
            "account_manager",
            note="Raasepori, Kangasala, koulutuskuntayhtymä",
        ),
    ]
    for i, org in enumerate(orgs):
        manager = managers[0] if i in (0, 1, 4, 6) else managers[1]
        sess.execute(
            insert(organisation_account_managers),
            [{"organisation_id": org.id, "user_id": manager.id}],
        )
    customers: dict[int, list[User]] = {}
    for org, slug in zip(orgs, DOMAINS, strict=True):
        contact = _person(
            sess,
            creds,
            f"yhteyshenkilo@{slug}.example",
            f"Yhteyshenkilö {org.name}",
            "customer_contact",
            note=org.name,
            organisation_id=org.id,
        )
        users = [contact]
        for _ in range(3):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{len(creds)}@{slug}.example".lower()
            email = email.replace("ä", "a").replace("ö", "o")
            users.append(
                _demo_user(
                    sess,
                    email=email,
                    name=f"{first} {last}",
                    role="end_user",
                    organisation_id=org.id,
                )
            )
        creds.append(
            {
                "role": "end_user",
                "email": users[1].email,
                "password": PASSWORD,
                "note": f"{org.name} (and others like it)",
            }
        )
        customers[org.id] = users
    return {"agents": agents, "customers": customers, "managers": managers, "groups": groups}


def _office_instant(rng: random.Random, days_back: int, now: datetime) -> datetime:
    """A believable moment of receipt: mostly weekday office hours, sometimes not."""
    day = (now - timedelta(days=days_back)).astimezone(HELSINKI).date()
    hour = rng.choice([7, 8, 8, 9, 9, 10, 10, 11, 12, 13, 13, 14, 15, 16, 19, 22])
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=HELSINKI)
    return min(local.astimezone(UTC), now - timedelta(minutes=5))


def _tickets(
    app: Flask,
    rng: random.Random,
    services: list[Service],
    people: dict[str, Any],
    count: int,
    report: Callable[[int, int], None],
    now: datetime,
) -> None:
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    customers = [u for users in people["customers"].values() for u in users]
    plan = []
    for i in range(count):
        status = statuses[i % len(statuses)]
        received = _office_instant(rng, rng.randrange(0, 60 if status != "new" else 3), now)
        plan.append((received, i, status))
    entitled: dict[tuple[Any, ...], Any] = {}
    with db.unit_of_work(app) as sess:
        # History: its mails were delivered when it happened (status sent, at the event's
        # instant), so the first `servicedesk run` sends nothing old.
        ticket_mail.record_as_delivered(sess)
        ticketed = [s for s in services if s.code in TICKET_TEXTS]
        for done, (received, i, status) in enumerate(sorted(plan)):  # numbers: order of receipt
            report(done, count)
            service = sess.merge(ticketed[i % len(ticketed)], load=False)
            title, text, impact, urgency, kind = rng.choice(TICKET_TEXTS[service.code])
            requester = sess.merge(
                _entitled_requester(sess, rng, customers, service, received, entitled),
                load=False,
            )
            _replay(
                sess,
                rng,
                requester,
                people,
                service,
                status,
                received,
                now,
                {
                    "type": kind,
                    "title": title,
                    "description": text,
                    "service_id": service.id,
                    "impact": impact,
                    "urgency": urgency,
                },
            )
        _scheduler_history(app, sess, now)


def _scheduler_history(app: Flask, sess: Session, now: datetime) -> None:
    """What the scheduler would have done by now, done in the history's transaction: every
    SLA warning and breach recorded (at its true instant) and the tickets past their grace
    period closed, their mails delivered with the rest of the history."""
    from sla.jobs import auto_close, sweep

    with frozen_now(now):
        auto_close(sess, app.config["SETTINGS"].resolved_grace_business_days, now)
        while (told := sweep(sess, now)).warnings or told.breaches:  # a batch at a time
            pass


def _entitled_requester(
    sess: Session,
    rng: random.Random,
    customers: list[User],
    service: Service,
    received: datetime,
    entitled: dict[tuple[Any, ...], Any],
) -> User:
    """A requester whose organisation the gate lets in for this service (the demo also has
    an organisation with unpaid shares and services that start next year).

    The gate answers per local day, so `entitled` remembers its answers by day: the same
    answers, asked once (what `entitlement_for` asks, with each organisation's agreements
    read once)."""
    for _ in range(200):
        candidate = rng.choice(customers)
        org_id, day = candidate.organisation_id, local_date(received)
        key = (org_id, service.id, day)
        if key not in entitled:
            if ("facts", org_id) not in entitled:  # agreements do not change while loading
                entitled[("facts", org_id)] = version_facts(sess, org_id)
            result = check_entitlement(
                ownership_status_of(sess, org_id, day),
                entitled[("facts", org_id)],
                service.id,
                day,
                service_label=service.code,
            )
            entitled[key] = not isinstance(result, Refusal)
        if entitled[key]:
            return candidate
    raise RuntimeError(f"no demo organisation is entitled to {service.code}")


def _replay(
    sess: Session,
    rng: random.Random,
    requester: User,
    people: dict[str, Any],
    service: Service,
    status: str,
    received: datetime,
    now: datetime,
    data: dict[str, Any],
) -> None:
    step = received
    span = (now - received) / 6

    def later(quick: bool = False) -> datetime:
        """The next moment of the story: minutes later for the desk's first moves."""
        nonlocal step
        gap = timedelta(minutes=rng.randint(3, 150)) if quick else span * rng.uniform(0.3, 1.0)
        step = min(step + gap, now)
        return step

    with frozen_now(received):
        ticket, _ = tickets.create_ticket(sess, requester, data)
    if status == "new":
        return
    agents = [sess.merge(a, load=False) for a in people["agents"][service.provider]]
    agent = next((a for a in agents if _in_group(sess, a, ticket.group_id)), agents[0])
    with frozen_now(later(quick=True)):
        if ticket.group_id is not None:
            tickets.update_ticket(sess, agent, ticket, {"assignee_id": agent.id})
    if status == "assigned":
        return
    if status == "cancelled" and rng.random() < 0.5:  # the requester withdrew it
        with frozen_now(later()):
            tickets.update_ticket(sess, requester, ticket, {"status": "cancelled"})
        return
    with frozen_now(later(quick=True)):
        tickets.add_comment(sess, agent, ticket, "Kiitos ilmoituksesta, selvitämme asiaa.", False)
        if ticket.status != "in_progress":
            tickets.update_ticket(sess, agent, ticket, {"status": "in_progress"})
    if status == "in_progress":
        return
    supplier_id = service.supplier_id
    if supplier_id is not None and (status == "escalated_to_supplier" or rng.random() < 0.25):
        with frozen_now(later()):
            leg, _ = escalations.escalate(
                sess,
                agent,
                ticket,
                None,
                "Pyydämme selvittämään: asiakkaalla toistuva virhe, lokit liitteenä.",
            )
        supplier_agent = sess.merge(people["supplier_agents"][supplier_id], load=False)
        with frozen_now(later(quick=True)):
            # A supplier agent's comment goes to the leg's thread: the desk reads it, the
            # customer does not.
            tickets.add_comment(
                sess, supplier_agent, ticket, "Otettu käsittelyyn, palaamme asiaan.", False
            )
        if status == "escalated_to_supplier":
            return
        with frozen_now(later()):
            tickets.add_supplier_message(
                sess, agent, ticket, leg, "Asiakas kysyy aikataulua: milloin korjaus on tulossa?"
            )
            fix = tickets.add_comment(
                sess,
                supplier_agent,
                ticket,
                "Korjaus asennettu tuotantoon. Työ 3 h, hinta 450 e laskutetaan KPK:lta.",
                False,
            )
            escalations.mark_done(sess, supplier_agent, ticket, leg)
            # The desk tells the customer what matters to them, not the supplier's invoice.
            tickets.publish_supplier_message(
                sess,
                agent,
                ticket,
                fix,
                "Järjestelmätoimittaja on asentanut korjauksen. Kokeilisitko uudelleen?",
            )
    elif status == "escalated_to_supplier":
        return  # no supplier for this service: it stays in progress at the desk
    if status == "cancelled":
        with frozen_now(later()):
            tickets.update_ticket(sess, agent, ticket, {"status": "cancelled"})
        return
    if status == "waiting_for_customer" or rng.random() < 0.3:
        with frozen_now(later()):
            tickets.add_comment(
                sess,
                agent,
                ticket,
                "Voisitko kertoa tarkemmin, milloin ongelma alkoi ja näkyykö virheilmoitusta?",
                False,
            )
            tickets.update_ticket(sess, agent, ticket, {"status": "waiting_for_customer"})
        if status == "waiting_for_customer":
            return
        with frozen_now(later()):
            tickets.add_comment(sess, requester, ticket, "Alkoi eilen aamulla, ei virhettä.", False)
    with frozen_now(later()):
        tickets.add_comment(sess, agent, ticket, "Tarkistettu lokit: välimuisti tyhjennetty.", True)
        tickets.update_ticket(sess, agent, ticket, {"status": "resolved"})
    if status == "closed":
        with frozen_now(later()):
            tickets.update_ticket(sess, requester, ticket, {"status": "closed"})


def _in_group(sess: Session, user: User, group_id: int | None) -> bool:
    if group_id is None:
        return False
    from sqlalchemy import select

    return (
        sess.scalar(
            select(group_members.c.user_id).where(
                group_members.c.group_id == group_id, group_members.c.user_id == user.id
            )
        )
        is not None
    )
