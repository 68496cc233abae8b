"""The ``leadqual`` console script: Django's management commands with our settings.

Commands are spelled with hyphens on the command line (``leadqual
import-leads``) and live as ``import_leads.py`` in an app's
``management/commands``; both spellings work, also after ``help``.
``leadqual``, ``leadqual help`` and ``leadqual --help`` list leadqual's own
commands first, each with what it does, and Django's maintenance commands
after them.

Commands are quiet: progress on stderr and a summary on stdout. Log records
of warnings and errors always go to stderr; ``--verbose`` (or ``-v``, anywhere
on the line) adds the INFO records, as does ``LEADQUAL_LOG_LEVEL=INFO``.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from typing import TextIO

_HELP_WORDS = ("help", "--help", "-h")
# Django's own ``-v``/``--verbosity`` takes one of these; ``-v`` alone is ours.
_VERBOSITY_LEVELS = ("0", "1", "2", "3")
_WIDTH = 88


def _command_name(word: str) -> str:
    return word if word.startswith("-") else word.replace("-", "_")


def _first_sentence(text: str) -> str:
    line = " ".join(text.split())
    # A sentence ends at ". " before a capital; "e.g. a" goes on.
    match = re.search(r"(?<!\be\.g)(?<!\bi\.e)\. (?=[A-Z])", line)
    return line if match is None else line[: match.start() + 1]


def print_overview(out: TextIO) -> None:
    """leadqual's commands with one line each, then Django's by name."""
    from django.core.management import get_commands, load_command_class

    ours: list[tuple[str, str]] = []
    django: list[str] = []
    for name, app in sorted(get_commands().items()):
        if app.startswith("leadqual."):
            command = load_command_class(app, name)
            ours.append((name.replace("_", "-"), _first_sentence(str(command.help))))
        else:
            django.append(name)
    out.write("Usage: leadqual COMMAND [options]\n\nleadqual's commands:\n")
    width = max(len(name) for name, _help in ours)
    for name, description in ours:
        lines = textwrap.wrap(description, _WIDTH - width - 4) or [""]
        out.write(f"  {name.ljust(width)}  {lines[0]}\n")
        for more in lines[1:]:
            out.write(f"  {' ' * width}  {more}\n")
    out.write(
        "\nDjango's commands, for maintenance (leadqual runs them with its settings):\n"
    )
    out.write(
        textwrap.fill(
            ", ".join(django),
            _WIDTH,
            initial_indent="  ",
            subsequent_indent="  ",
        )
        + "\n"
    )
    out.write(
        "\nMore about one command: leadqual help COMMAND (or leadqual COMMAND --help).\n"
        "Commands print progress and a summary; add --verbose (-v) to see their "
        "log lines too.\n"
    )


def take_verbose_flag(args: list[str]) -> tuple[list[str], bool]:
    """``args`` without leadqual's ``--verbose``/``-v``, and whether it was there.

    ``-v 2`` stays Django's verbosity (and is verbose too); ``-v`` followed by
    anything else, or by nothing, is ``--verbose``.
    """
    kept: list[str] = []
    verbose = False
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else None
        if arg == "--verbose" or (arg == "-v" and following not in _VERBOSITY_LEVELS):
            verbose = True
            continue
        if arg in ("-v2", "-v3") or (
            arg in ("-v", "--verbosity") and following in ("2", "3")
        ):
            verbose = True
        kept.append(arg)
    return kept, verbose


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadqual.config.settings")
    args[1:], verbose = take_verbose_flag(args[1:])
    if verbose and os.environ.get("LEADQUAL_LOG_LEVEL", "").upper() != "DEBUG":
        # Read by the settings' LOGGING, which is configured at django.setup().
        os.environ["LEADQUAL_LOG_LEVEL"] = "INFO"
    if args[1:] == [] or (len(args) == 2 and args[1] in _HELP_WORDS):
        import django
        from django.core.exceptions import ImproperlyConfigured

        try:
            django.setup()
        except ImproperlyConfigured as error:
            # The commands come from the installed apps, which need the settings.
            sys.stderr.write(f"leadqual cannot list its commands: {error}\n")
            raise SystemExit(1) from None
        print_overview(sys.stdout)
        return
    args[1] = _command_name(args[1])
    if args[1] == "help" and len(args) > 2:
        args[2] = _command_name(args[2])
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
