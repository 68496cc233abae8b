"""The Dutch catalogue is complete, compiled, and covers every translatable string.

The .po file is read with a small parser of our own (no extra dependency). An
entry is keyed as GNU gettext keys it in a .mo file: "context\\x04msgid" with a
context, "msgid\\x00msgid_plural" for a plural; a plural's msgstr is its forms
joined by "\\x00".
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "leadqual"
CATALOGUE_DIR = PACKAGE / "locale" / "nl" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "django.po"
MO_FILE = CATALOGUE_DIR / "django.mo"
MSGFMT = shutil.which("msgfmt")
MAKEMESSAGES = (sys.executable, "-m", "django", "makemessages")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$")
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{[a-z_]*\}")
_TAG = re.compile(r"</?[a-z]+[^>]*>")


@dataclass
class Entry:
    """One entry of a .po file: its flags and its fields (msgid, msgstr[0], ...)."""

    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def is_header(self) -> bool:
        return self.fields.get("msgid") == "" and "msgctxt" not in self.fields

    @property
    def msgstrs(self) -> list[str]:
        """The translation, or each plural form in order."""
        if "msgstr" in self.fields:
            return [self.fields["msgstr"]]
        forms = sorted(
            (int(name[7:-1]), text)
            for name, text in self.fields.items()
            if name.startswith("msgstr[")
        )
        return [text for _index, text in forms]

    @property
    def key(self) -> str:
        msgid = self.fields["msgid"]
        if "msgid_plural" in self.fields:
            msgid += "\x00" + self.fields["msgid_plural"]
        if "msgctxt" in self.fields:
            msgid = self.fields["msgctxt"] + "\x04" + msgid
        return msgid

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.fields.get('msgid', '')!r}"


def _unquote(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda match: _ESCAPES[match.group(1)], body)


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file; obsolete ("#~") entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    keyword = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                if current is None:
                    current = Entry(line=number)
                    entries.append(current)
                current.flags.update(
                    flag.strip() for flag in line[2:].split(",") if flag.strip()
                )
            continue
        match = _KEYWORD.match(line)
        if match:
            if current is None or (
                match.group(1) in ("msgid", "msgctxt") and "msgid" in current.fields
            ):
                current = Entry(line=number)
                entries.append(current)
            keyword = match.group(1)
            current.fields[keyword] = _unquote(match.group(2))
        elif line.startswith('"') and current is not None and keyword:
            current.fields[keyword] += _unquote(line)
        else:
            raise AssertionError(
                f"{PO_FILE.name} line {number} is not .po syntax: {raw!r}"
            )
    return [entry for entry in entries if "msgid" in entry.fields]


def read_mo(path: Path) -> dict[str, str]:
    """Every msgid of a compiled .mo file (keyed as Entry.key) with its msgstr."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    catalogue: dict[str, str] = {}
    for index in range(count):
        id_length, id_offset = struct.unpack(
            order + "2I", data[originals + 8 * index : originals + 8 * index + 8]
        )
        str_length, str_offset = struct.unpack(
            order + "2I", data[translations + 8 * index : translations + 8 * index + 8]
        )
        msgid = data[id_offset : id_offset + id_length].decode("utf-8")
        catalogue[msgid] = data[str_offset : str_offset + str_length].decode("utf-8")
    return catalogue


def _without_creation_date(catalogue: dict[str, str]) -> dict[str, str]:
    """The catalogue with the header's POT-Creation-Date left out.

    Recent versions of msgfmt drop that line from the compiled header.
    """
    header = catalogue.get("", "")
    lines = header.splitlines(keepends=True)
    kept = "".join(line for line in lines if not line.startswith("POT-Creation-Date:"))
    return {**catalogue, "": kept} if "" in catalogue else catalogue


def po_catalogue(entries: list[Entry]) -> dict[str, str]:
    """What msgfmt puts in the .mo: translated, non-fuzzy entries and the header."""
    return _without_creation_date(
        {
            entry.key: "\x00".join(entry.msgstrs)
            for entry in entries
            if all(entry.msgstrs) and "fuzzy" not in entry.flags
        }
    )


def untranslated(entries: list[Entry]) -> list[str]:
    """Entries with an empty msgstr (or plural form) or a fuzzy flag."""
    return [
        entry.label
        for entry in entries
        if not entry.is_header and (not all(entry.msgstrs) or "fuzzy" in entry.flags)
    ]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_FILE.read_text(encoding="utf-8"))


# --- (a) complete ---------------------------------------------------------------------


def test_the_header_names_dutch_with_its_plural_rule(entries: list[Entry]) -> None:
    header = next(entry for entry in entries if entry.is_header)
    assert "fuzzy" not in header.flags
    text = header.fields["msgstr"]
    assert "Language: nl\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in text


def test_every_entry_is_translated(entries: list[Entry]) -> None:
    assert len(entries) > 300
    assert untranslated(entries) == [], (
        "Translate these entries in locale/nl/LC_MESSAGES/django.po and remove "
        "their fuzzy flags (see src/leadqual/locale/README.md)"
    )


def test_plurals_have_both_forms(entries: list[Entry]) -> None:
    plurals = [entry for entry in entries if "msgid_plural" in entry.fields]
    assert plurals
    assert [entry.label for entry in plurals if len(entry.msgstrs) != 2] == []


def test_translations_keep_placeholders_and_tags(entries: list[Entry]) -> None:
    wrong = []
    for entry in entries:
        if entry.is_header:
            continue
        sources = [entry.fields["msgid"], entry.fields.get("msgid_plural", "")]
        expected_placeholders = set().union(*(_PLACEHOLDER.findall(s) for s in sources))
        for msgstr in entry.msgstrs:
            if set(_PLACEHOLDER.findall(msgstr)) != expected_placeholders or sorted(
                _TAG.findall(msgstr)
            ) != sorted(_TAG.findall(entry.fields["msgid"])):
                wrong.append(entry.label)
    assert wrong == []


# --- (b) compiled ---------------------------------------------------------------------


def test_the_compiled_catalogue_matches_the_po_file(entries: list[Entry]) -> None:
    assert _without_creation_date(read_mo(MO_FILE)) == po_catalogue(entries), (
        "django.mo is out of date: run msgfmt --check -o django.mo django.po in "
        "src/leadqual/locale/nl/LC_MESSAGES (see src/leadqual/locale/README.md)"
    )


@pytest.mark.skipif(MSGFMT is None, reason="GNU gettext's msgfmt is not installed")
def test_msgfmt_accepts_the_po_file_and_compiles_the_shipped_mo(tmp_path: Path) -> None:
    assert MSGFMT is not None
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        [MSGFMT, "--check", "-o", str(compiled), str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert read_mo(compiled) == read_mo(MO_FILE)


# --- (c) covers the code --------------------------------------------------------------


@pytest.mark.skipif(MSGFMT is None, reason="makemessages needs GNU gettext")
def test_the_catalogue_covers_every_translatable_string(tmp_path: Path) -> None:
    """makemessages on a copy of the package adds nothing that lacks a translation.

    makemessages merges the existing translations into what it extracts, so a
    string added to the code without a translation shows up as an empty (or a
    fuzzy, guessed) entry. The copy keeps the real catalogue untouched.
    """
    copy = tmp_path / "leadqual"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    )
    (tmp_path / "i18n_check_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        f"LOCALE_PATHS = [{str(copy / 'locale')!r}]\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "i18n_check_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    before = hashlib.sha256(PO_FILE.read_bytes()).hexdigest()

    result = subprocess.run(
        [*MAKEMESSAGES, "-l", "nl", "--ignore", "migrations/*"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(PO_FILE.read_bytes()).hexdigest() == before
    fresh = parse_po((copy / "locale/nl/LC_MESSAGES/django.po").read_text("utf-8"))
    known = {entry.key for entry in parse_po(PO_FILE.read_text(encoding="utf-8"))}
    assert [entry.label for entry in fresh if entry.key not in known] == [], (
        "New translatable strings: run makemessages and translate them "
        "(see src/leadqual/locale/README.md)"
    )
    assert untranslated(fresh) == []


# --- (d) in use -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        ("Queue", "Wachtrij"),
        ("Hot", "Heet"),
        ("No fit", "Past niet"),
        ("Sales-ready", "Salesklaar"),
        ("Log out", "Uitloggen"),
    ],
)
def test_gettext_gives_dutch(english: str, dutch: str) -> None:
    with translation.override("nl"):
        assert translation.gettext(english) == dutch
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_plural_forms_in_dutch() -> None:
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} lead"
        "{% plural %}{{ counter }} leads{% endblocktranslate %}"
        " · {% translate 'Opportunity' %}"
    )
    with translation.override("nl"):
        assert template.render(Context({"n": 1})) == "1 lead · Verkoopkans"
        assert template.render(Context({"n": 3})) == "3 leads · Verkoopkans"


@pytest.mark.django_db
def test_the_intake_form_speaks_dutch(client: Client) -> None:
    response = client.get(reverse("intake:form"), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl">' in page
    for text in ("Neem contact op", "Budgetindicatie", "Versturen", "Kies je sector"):
        assert text in page
    assert "Budget indication" not in page
