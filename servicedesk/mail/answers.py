"""The one polite automatic answer to refused incoming mail, in fi, sv and en.

Pure. The reason is said in words the sender can act on; a sender we do not know gets
all three languages (Finland is bilingual, and we cannot know which they read).
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("fi", "sv", "en")

_SUBJECT = {
    "fi": "Viestiäsi ei kirjattu tukipyynnöksi",
    "sv": "Ditt meddelande registrerades inte som ett ärende",
    "en": "Your message was not filed as a ticket",
}

_GREETING = {
    "fi": "Hei,\n\nkiitos viestistäsi. Sitä ei kirjattu palvelupisteen tukipyynnöksi:",
    "sv": "Hej,\n\ntack för ditt meddelande. Det registrerades inte som ett ärende i "
    "servicedisken:",
    "en": "Hello,\n\nthank you for your message. It was not filed as a service desk ticket:",
}

_REASONS: dict[str, dict[str, str]] = {
    "unknown_sender": {
        "fi": "lähettäjän osoite ei ole palvelupisteen käyttäjän osoite. Pyydä organisaatiosi "
        "palvelukeskusvastaavaa lisäämään sinut käyttäjäksi, tai käytä työsähköpostiosoitettasi.",
        "sv": "avsändarens adress hör inte till någon användare av servicedisken. Be din "
        "organisations kontaktperson att lägga till dig som användare, eller använd din "
        "arbetsadress.",
        "en": "the sender's address is not the address of a service desk user. Ask your "
        "organisation's customer contact to add you as a user, or write from your work address.",
    },
    "not_customer": {
        "fi": "tällä osoitteella ei voi kirjata tukipyyntöjä sähköpostilla.",
        "sv": "med den här adressen kan man inte registrera ärenden per e-post.",
        "en": "this address cannot file tickets by e-mail.",
    },
    "not_owner": {
        "fi": "organisaatiosi ei ole palvelukeskuksen omistaja, joten palvelukeskus ei voi "
        "palvella sitä.",
        "sv": "din organisation är inte delägare i servicecentret, och servicecentret kan "
        "därför inte betjäna den.",
        "en": "your organisation is not an owner of the service centre, which serves only "
        "its owners.",
    },
    "shares_not_registered": {
        "fi": "organisaatiosi osakkeita ei ole vielä rekisteröity (maksettu).",
        "sv": "din organisations aktier är ännu inte registrerade (betalda).",
        "en": "your organisation's shares are not registered (paid) yet.",
    },
    "no_agreement": {
        "fi": "organisaatiollasi ei ole voimassa olevaa palvelusopimusta.",
        "sv": "din organisation har inget gällande serviceavtal.",
        "en": "your organisation has no service agreement in force.",
    },
    "service_not_in_agreement": {
        "fi": "palvelu ei kuulu organisaatiosi palvelusopimukseen.",
        "sv": "tjänsten ingår inte i din organisations serviceavtal.",
        "en": "the service is not in your organisation's agreement.",
    },
    "service_not_started": {
        "fi": "palvelu ei ole vielä alkanut organisaatiossasi.",
        "sv": "tjänsten har ännu inte börjat i din organisation.",
        "en": "the service has not started for your organisation yet.",
    },
}

_CLOSING = {
    "fi": "Tämä on automaattinen vastaus; siihen ei tarvitse vastata.\n\nKPK Palvelupiste",
    "sv": "Detta är ett automatiskt svar; du behöver inte svara på det.\n\nKPK Servicedisken",
    "en": "This is an automatic answer; there is no need to reply.\n\nKPK Service Desk",
}


@dataclass(frozen=True)
class Answer:
    subject: str
    body: str


def known_reason(reason: str) -> str:
    return reason if reason in _REASONS else "not_customer"


def answer(reason: str, locale: str | None, original_subject: str) -> Answer:
    """The answer to a refused message: in `locale`, or in all three without one."""
    langs = [locale] if locale in LANGUAGES else list(LANGUAGES)
    why = _REASONS[known_reason(reason)]
    parts = [f"{_GREETING[lang]}\n{why[lang]}\n\n{_CLOSING[lang]}" for lang in langs]
    subject = " / ".join(_SUBJECT[lang] for lang in langs)
    if original_subject:
        subject = f"{subject}: {original_subject}"
    return Answer(subject=subject, body="\n\n----------\n\n".join(parts) + "\n")
