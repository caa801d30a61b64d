"""Where a new ticket goes, and why.

Every decision carries the rule (or fallback) that made it, so an agent or a customer asking "why
did this land with us?" gets an answer from the ticket history rather than from guesswork.

Order of precedence:
1. change needs and feedback go to the organisation's account manager, who feeds them into the
   customer's development planning; without an account manager they are routed like any ticket;
2. the first matching active routing rule, by (precedence, id);
3. the service's default resolver group;
4. the provider's triage group (always the case for an unclassified ticket, one without service).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import snowballstemmer

#: Ticket types that belong to the account manager rather than to a resolver group.
ACCOUNT_MANAGER_TYPES = frozenset({"change_need", "feedback"})

_TYPE_LABELS = {
    "incident": "incident",
    "service_request": "service request",
    "change_need": "change need",
    "feedback": "feedback",
}


class RoutingError(ValueError):
    """No group can take the ticket: a configuration gap an admin must close."""


@dataclass(frozen=True)
class TicketFacts:
    """What routing may look at; nothing else about the ticket influences where it goes."""

    organisation_id: int
    service_id: int | None
    family: str | None
    provider: str  # "ICT" | "THH"
    ticket_type: str  # "incident" | "service_request" | "change_need" | "feedback"
    text: str  # title + description, for keyword matching
    service_default_group_id: int | None = None

    def __post_init__(self) -> None:
        if self.service_id is None and self.service_default_group_id is not None:
            raise ValueError("a ticket without a service cannot have a service default group")


def _fold(text: str) -> str:
    # NFC first, so a decomposed "a" + combining diaeresis compares equal to a typed "ä".
    return unicodedata.normalize("NFC", text).casefold()


@lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Whole word: no word character (Unicode letters incl. åäö, digits, _) directly before or after.
    # Lookarounds instead of \b so keywords that begin or end with punctuation (".net", "c++") work.
    # Inner whitespace of a phrase matches any run of whitespace.
    body = r"\s+".join(re.escape(part) for part in _fold(keyword).split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


# --- inflected forms ----------------------------------------------------------------------
# Finnish and Swedish inflect by suffixes (Wilma, Wilmaan, Wilmassa; skrivare, skrivaren) and
# build compounds by joining words (tietoturva + ongelma). A one-word keyword therefore matches
# a word of the text that is (1) the keyword itself, (2) an inflected form of it: the same
# Snowball stem, in Finnish or Swedish, (3) a compound that starts with it and goes on with a
# word of its own (at least COMPOUND_TAIL letters: "tietoturvaongelma", not "wilmanen"), or
# (4) for a long stem (at least STEM_PREFIX letters), a word that starts with the keyword's
# Finnish stem, which catches consonant gradation and vowel changes (tulostin, tulostimen).
# Keywords with anything but letters (".net", "c++", phrases) match as whole words, as before.

COMPOUND_TAIL = 4
STEM_PREFIX = 5
_WORD = re.compile(r"\w+")
_STEMMERS = (snowballstemmer.stemmer("finnish"), snowballstemmer.stemmer("swedish"))
_STEM_LOCK = threading.Lock()  # a Snowball stemmer keeps state while it works


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, ...]:
    with _STEM_LOCK:
        return tuple(stemmer.stemWord(word) for stemmer in _STEMMERS)


@lru_cache(maxsize=64)
def _words(folded_text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(folded_text))


def word_matches(word: str, keyword: str) -> bool:
    """Whether a word of the text (folded) is the one-word keyword (folded) or a form of it."""
    if word == keyword:
        return True
    tail = word[len(keyword) :]
    if word.startswith(keyword) and len(tail) >= COMPOUND_TAIL and tail.isalpha():
        return True
    if not word.isalpha():
        return False
    word_stems, keyword_stems = _stems(word), _stems(keyword)
    if any(a == b for a, b in zip(word_stems, keyword_stems, strict=True)):
        return True
    finnish = keyword_stems[0]
    return len(finnish) >= STEM_PREFIX and word.startswith(finnish)


def keyword_in(keyword: str, folded_text: str) -> bool:
    """Whether the keyword (a word, in any inflected form, or a phrase) is in the text."""
    key = _fold(keyword).strip()
    if key.isalpha():
        return any(word_matches(word, key) for word in _words(folded_text))
    return _keyword_pattern(keyword).search(folded_text) is not None


@dataclass(frozen=True)
class RoutingRule:
    """An override of the default route; a condition left None (or no keywords) matches anything."""

    id: int
    name: str
    precedence: int  # lower number wins; ties broken by id
    target_group_id: int
    organisation_id: int | None = None
    service_id: int | None = None
    family: str | None = None
    provider: str | None = None
    ticket_type: str | None = None
    #: Any one keyword, case-insensitively, anywhere in title + description: a word also in its
    #: inflected forms and as the first part of a compound (`keyword_in`), a phrase as is.
    keywords: tuple[str, ...] = ()
    active: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.keywords, str):
            raise TypeError("keywords is a tuple of words, not one string")
        keywords = tuple(self.keywords)
        if any(not k.strip() for k in keywords):
            raise ValueError(f"rule #{self.id} has a blank keyword")
        object.__setattr__(self, "keywords", keywords)

    def matched_keywords(self, text: str) -> tuple[str, ...]:
        folded = _fold(text)
        return tuple(k for k in self.keywords if keyword_in(k, folded))

    def matches(self, facts: TicketFacts) -> bool:
        """True when every condition the rule sets holds; `active` is not checked here."""
        return (
            (self.organisation_id is None or self.organisation_id == facts.organisation_id)
            and (self.service_id is None or self.service_id == facts.service_id)
            and (self.family is None or self.family == facts.family)
            and (self.provider is None or self.provider == facts.provider)
            and (self.ticket_type is None or self.ticket_type == facts.ticket_type)
            and (not self.keywords or bool(self.matched_keywords(facts.text)))
        )

    def describe(self, facts: TicketFacts | None = None) -> str:
        """``rule #4 "Name" (conditions)``; with facts, keywords shown are the ones that matched."""
        conditions = []
        if self.organisation_id is not None:
            conditions.append(f"organisation: {self.organisation_id}")
        if self.service_id is not None:
            conditions.append(f"service: {self.service_id}")
        if self.family is not None:
            conditions.append(f"family: {self.family}")
        if self.provider is not None:
            conditions.append(f"provider: {self.provider}")
        if self.ticket_type is not None:
            conditions.append(f"type: {self.ticket_type}")
        if self.keywords:
            shown = self.matched_keywords(facts.text) if facts is not None else ()
            conditions.append(f"keywords: {', '.join(shown or self.keywords)}")
        return f'rule #{self.id} "{self.name}" ({", ".join(conditions) or "no conditions"})'


class RouteKind(StrEnum):
    RULE = "rule"
    SERVICE_DEFAULT = "service_default"
    TRIAGE = "triage"
    ACCOUNT_MANAGER = "account_manager"


@dataclass(frozen=True)
class RoutingDecision:
    """Where the ticket went and why; stored with the ticket's routing event."""

    kind: RouteKind
    group_id: int | None  # None only for ACCOUNT_MANAGER
    account_manager_id: int | None  # set only for ACCOUNT_MANAGER
    rule_id: int | None  # set only for RULE
    reason: str  # human-readable, e.g. 'rule #4 "Koulujen Wilma-tuki" (keywords: wilma)'


def _by_precedence(rule: RoutingRule) -> tuple[int, int]:
    return rule.precedence, rule.id


def decide_route(
    facts: TicketFacts,
    rules: Sequence[RoutingRule],
    triage_group_id: int | None,
    account_manager_id: int | None,
) -> RoutingDecision:
    """Route a new ticket (see the module docstring for the order); RoutingError if nowhere."""
    type_label = _TYPE_LABELS.get(facts.ticket_type, facts.ticket_type)
    prefix = ""
    if facts.ticket_type in ACCOUNT_MANAGER_TYPES:
        if account_manager_id is not None:
            return RoutingDecision(
                kind=RouteKind.ACCOUNT_MANAGER,
                group_id=None,
                account_manager_id=account_manager_id,
                rule_id=None,
                reason=f"{type_label} goes to the organisation's account manager "
                f"(user {account_manager_id})",
            )
        prefix = f"{type_label}, but the organisation has no account manager: "

    for rule in sorted(rules, key=_by_precedence):
        if rule.active and rule.matches(facts):
            return RoutingDecision(
                kind=RouteKind.RULE,
                group_id=rule.target_group_id,
                account_manager_id=None,
                rule_id=rule.id,
                reason=prefix + rule.describe(facts),
            )

    if facts.service_id is not None and facts.service_default_group_id is not None:
        return RoutingDecision(
            kind=RouteKind.SERVICE_DEFAULT,
            group_id=facts.service_default_group_id,
            account_manager_id=None,
            rule_id=None,
            reason=prefix + f"default group of service {facts.service_id}",
        )

    if facts.service_id is None:
        why = "unclassified ticket (no service)"
    else:
        why = f"service {facts.service_id} has no default group"
    if triage_group_id is None:
        raise RoutingError(
            f"no group can take the ticket: no routing rule matched, {why}, "
            f"and provider {facts.provider} has no triage group"
        )
    return RoutingDecision(
        kind=RouteKind.TRIAGE,
        group_id=triage_group_id,
        account_manager_id=None,
        rule_id=None,
        reason=prefix + f"{why}: triage group of provider {facts.provider}",
    )
