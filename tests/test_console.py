"""Progress of long commands: a bar on a terminal, a plain line per tenth elsewhere."""

from __future__ import annotations

from io import StringIO

from leadqual.console import ProgressBar


def test_off_a_terminal_progress_is_a_line_per_tenth_of_the_way() -> None:
    stream = StringIO()
    progress = ProgressBar("leads", enabled=True, stream=stream)

    for done in range(0, 2001, 50):
        progress(done, 2000)
    progress(2000, 2000)
    progress.close()

    lines = stream.getvalue().splitlines()
    assert lines[0] == "0 of 2,000 leads (0%)"
    assert lines[1] == "200 of 2,000 leads (10%)"
    assert lines[-1] == "2,000 of 2,000 leads (100%)"
    assert len(lines) == 11


def test_a_jump_past_several_tenths_gives_one_line() -> None:
    stream = StringIO()
    progress = ProgressBar("rows", enabled=True, stream=stream)

    progress(5, 100)
    progress(73, 100)
    progress(79, 100)
    progress(80, 100)

    assert stream.getvalue() == (
        "5 of 100 rows (5%)\n73 of 100 rows (73%)\n80 of 100 rows (80%)\n"
    )


def test_disabled_progress_prints_nothing() -> None:
    stream = StringIO()
    progress = ProgressBar("rows", enabled=False, stream=stream)

    progress(50, 100)

    assert stream.getvalue() == ""
