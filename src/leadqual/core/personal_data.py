"""Personal data: where it lives, and how to find a person's identifiers in text.

Every leadqual app declares, in its own ``personal_data`` module, a tuple
``PERSONAL_DATA`` of ``PersonalFields``: for each of its models, which text,
JSON and binary fields may hold personal data and which never do, how a row
is tied to its lead, and what erasure does with the person's rows. The
privacy app collects the declarations (``privacy/registry.py``) and erases
by them; a test fails when a field is in neither list, so a new field forces
a decision. A module may also list ``ERASE_FILES``: functions that erase the
person from files the app keeps (uploaded imports).

"Personal" means: data about a lead, a person leadqual can be asked to
erase. Data about staff (users, their logins) is not in scope.

Plain Python on purpose: models and fields are named as text, so the apps
below privacy declare theirs without importing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

# What replaces an identifier inside text that is kept.
ERASED_MARK = "[erased]"
# Shorter texts are too common to search for outside the person's own rows.
MIN_IDENTIFIER_LENGTH = 4
# Characters people put between the digits of a phone number ("06-123 456 78").
_PHONE_SEPARATOR = r"[\s\-.()/]{0,3}"


class Erasure(StrEnum):
    """What erasure does with the rows tied to the erased person."""

    # The rows go: nothing in them is needed once the person is gone.
    DELETE = "delete"
    # The rows stay (KPIs count them); their personal fields are emptied.
    CLEAR = "clear"
    # The rows stay as they are, with the person's identifiers inside their
    # personal fields replaced by "[erased]" (what was sent where, and when).
    SCRUB = "scrub"
    # The lead itself and its company: privacy empties them (placeholder email,
    # a company only this person belonged to).
    LEAD = "lead"


@dataclass(frozen=True, slots=True)
class ErasedPerson:
    """Who is being erased: their lead ids and every identifier of theirs.

    ``lead_ids`` holds the lead and every record merged into it.
    ``identifiers`` (emails, full names, a company only they belonged to) and
    ``phones`` (E.164) are searched for everywhere; ``own_identifiers`` (a
    first or last name alone, a job title, their company's name) only in rows
    tied to the person, because elsewhere they are also other people's.
    """

    lead_ids: tuple[int, ...]
    identifiers: tuple[str, ...]
    phones: tuple[str, ...]
    own_identifiers: tuple[str, ...] = ()

    def matcher(self) -> Matcher:
        """Finds the identifiers searched for everywhere."""
        return identifier_matcher(self.identifiers, self.phones)

    def own_matcher(self) -> Matcher:
        """Finds every identifier, for the rows tied to the person."""
        return identifier_matcher(
            (*self.identifiers, *self.own_identifiers),
            self.phones,
            min_length=2,
        )


# Erases the person from one model's rows or from files; returns how many.
Eraser = Callable[[ErasedPerson], int]


@dataclass(frozen=True, slots=True)
class PersonalFields:
    """The personal-data declaration of one model.

    ``model`` is the Django label ("leads.Event"). ``personal`` fields may
    hold data about a lead; ``not_personal`` ones never do (codes, ids,
    settings, staff data). ``lead`` is the lookup from a row to its lead's id
    ("lead", "survivor", "visitor__lead", "lead_id"), or None when rows are
    not tied to a lead and are found by their content. ``erase`` replaces
    the default handling of the person's rows for models that need their own
    (it returns how many rows it changed).
    """

    model: str
    personal: tuple[str, ...] = ()
    not_personal: tuple[str, ...] = ()
    lead: str | None = None
    erasure: Erasure = Erasure.SCRUB
    erase: Eraser | None = None


@dataclass(frozen=True, slots=True)
class Matcher:
    """Finds and replaces a person's identifiers in text and JSON values.

    ``patterns`` decide. ``search_texts`` (lower case, each also as JSON
    escapes it) and ``search_regexes`` (for phone numbers, in the regular
    expression syntax SQLite's and PostgreSQL's both read) narrow rows down
    in the database before the patterns look at them.
    """

    patterns: tuple[re.Pattern[str], ...]
    search_texts: tuple[str, ...]
    search_regexes: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.patterns

    def mentions(self, text: str) -> bool:
        """True when ``text`` holds any of the identifiers."""
        return any(pattern.search(text) for pattern in self.patterns)

    def scrub_text(self, text: str) -> str:
        """``text`` with every identifier replaced by "[erased]"."""
        for pattern in self.patterns:
            text = pattern.sub(ERASED_MARK, text)
        return text

    def scrub(self, value: object) -> object:
        """A JSON value (or text) with every identifier in its strings replaced."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, dict):
            return {
                str(self.scrub(key)): self.scrub(item) for key, item in value.items()
            }
        return value


def _json_escaped(text: str) -> str:
    """``text`` as it appears inside a JSON string with ASCII escapes."""
    return json.dumps(text)[1:-1]


def _email_pattern(email: str) -> str:
    # Not inside a longer address: "an@x.nl" must not match "jan@x.nl".
    return r"(?<![\w.+-])" + re.escape(email) + r"(?![\w-]|\.\w)"


def _word_pattern(text: str) -> str:
    return r"(?<!\w)" + re.escape(text) + r"(?!\w)"


def _phone_digits(phone: str) -> tuple[str, str, str]:
    """(country code, national prefix, national number) of a stored phone.

    A value that does not parse keeps its digits as the national number.
    """
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return "", "", re.sub(r"\D", "", phone)
    region = phonenumbers.region_code_for_number(number)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region or "")
    prefix = (metadata.national_prefix if metadata else None) or ""
    return str(number.country_code or ""), prefix, str(number.national_number)


def _phone_pattern(phone: str) -> tuple[str, str] | None:
    """(Python pattern, portable database regex) for a phone in any notation.

    Matches "+31 6 12345678", "0031612345678", "06-12345678" and the national
    number alone. None when the value holds too few digits to search for.
    """
    country, prefix, national = _phone_digits(phone)
    if len(national) < 6:
        return None
    digits = _PHONE_SEPARATOR.join(national)
    prefixes = []
    if country:
        prefixes.append(r"(?:\+|00)?" + country + _PHONE_SEPARATOR + r"(?:\(0\)\s?)?")
    if prefix:
        prefixes.append(re.escape(prefix) + _PHONE_SEPARATOR)
    lead_in = f"(?:{'|'.join(prefixes)})?" if prefixes else ""
    python = r"(?<!\d)" + lead_in + digits + r"(?!\d)"
    database = "[^0-9]{0,3}".join(national)
    return python, database


def identifier_matcher(
    texts: Iterable[str],
    phones: Iterable[str] = (),
    *,
    min_length: int = MIN_IDENTIFIER_LENGTH,
) -> Matcher:
    """A Matcher for these identifiers (case-insensitive).

    An identifier with "@" is matched as an email address (not inside a
    longer one), any other text as whole words; phones in any common
    notation. Texts shorter than ``min_length`` are left out.
    """
    patterns: list[str] = []
    search_texts: list[str] = []
    search_regexes: list[str] = []
    seen: set[str] = set()
    for raw in texts:
        text = " ".join(raw.split())
        if len(text) < min_length or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        for variant in dict.fromkeys((text, _json_escaped(text))):
            patterns.append(
                _email_pattern(variant) if "@" in text else _word_pattern(variant)
            )
            search_texts.append(variant.lower())
    for phone in phones:
        found = _phone_pattern(phone)
        if found is None or found[1] in search_regexes:
            continue
        patterns.append(found[0])
        search_regexes.append(found[1])
    return Matcher(
        patterns=tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns),
        search_texts=tuple(dict.fromkeys(search_texts)),
        search_regexes=tuple(search_regexes),
    )


def full_name(first_name: str, last_name: str) -> str:
    """ "First Last" when both are known, else "" (one name alone is not searched)."""
    first, last = first_name.strip(), last_name.strip()
    return f"{first} {last}" if first and last else ""


def unique(values: Sequence[str]) -> tuple[str, ...]:
    """The non-empty values, stripped, in order, without repeats."""
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))
