"""Finnish business ID (Y-tunnus): format and check digit.

An organisation is identified to the trade register by its business ID, so a typo must be
refused at the door rather than stored: ``NNNNNNN-C``, seven digits, a hyphen and a check digit.

Decisions:
- Surrounding whitespace is stripped; anything else (inner spaces, other dashes, a missing
  hyphen, non-ASCII digits) is a format error, because guessing what was meant would hide typos.
- Older IDs with six digits before the hyphen are accepted and normalised with a leading zero
  (``123456-7`` -> ``0123456-7``); the leading zero weighs nothing in the check, so the check digit
  is the same.
"""

from __future__ import annotations

import re
from typing import Literal

#: Weights of the seven body digits, left to right.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2)

_FORMAT = re.compile(r"([0-9]{6,7})-([0-9])")
_BODY = re.compile(r"[0-9]{7}")

ErrorReason = Literal["format", "check_digit", "impossible_body"]


class BusinessIdError(ValueError):
    """A business ID the trade register could not have issued.

    ``reason`` says what is wrong: ``"format"`` (not ``NNNNNNN-C``), ``"check_digit"`` (the last
    digit is wrong; ``expected`` holds the right one) or ``"impossible_body"`` (no check digit
    exists for these seven digits, so no such ID exists).
    """

    def __init__(
        self,
        message: str,
        *,
        value: object,
        reason: ErrorReason,
        expected: int | None = None,
    ) -> None:
        super().__init__(message)
        self.value = value
        self.reason: ErrorReason = reason
        self.expected = expected


def check_digit(first_seven: str) -> int | None:
    """The check digit of a seven-digit body, or None when no ID can have this body.

    Weighted sum modulo 11: remainder 0 gives 0, remainder 1 gives no valid ID (the register never
    issues such a body), otherwise 11 - remainder.
    """
    if not isinstance(first_seven, str) or not _BODY.fullmatch(first_seven):
        raise BusinessIdError(
            f"the body of a business ID is exactly seven digits, got {first_seven!r}",
            value=first_seven,
            reason="format",
        )
    remainder = sum(w * int(d) for w, d in zip(WEIGHTS, first_seven, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def normalise_business_id(value: str) -> str:
    """Return the canonical ``NNNNNNN-C`` form, or raise BusinessIdError saying what is wrong."""
    if not isinstance(value, str):
        raise BusinessIdError(
            "a business ID must be text such as 0201256-6",
            value=value,
            reason="format",
        )
    stripped = value.strip()
    match = _FORMAT.fullmatch(stripped)
    if match is None:
        raise BusinessIdError(
            f"business ID {stripped!r} is not in the format NNNNNNN-C "
            "(seven digits, a hyphen and a check digit, e.g. 0201256-6)",
            value=value,
            reason="format",
        )
    body = match.group(1).rjust(7, "0")
    given = int(match.group(2))
    expected = check_digit(body)
    if expected is None:
        raise BusinessIdError(
            f"business ID {stripped!r} does not exist: no check digit is valid after {body}",
            value=value,
            reason="impossible_body",
        )
    if given != expected:
        raise BusinessIdError(
            f"business ID {stripped!r} has a wrong check digit: expected {expected}, got {given}",
            value=value,
            reason="check_digit",
            expected=expected,
        )
    return f"{body}-{expected}"


def is_valid_business_id(value: str) -> bool:
    """True when ``normalise_business_id`` would accept the value."""
    try:
        normalise_business_id(value)
    except BusinessIdError:
        return False
    return True
