"""``leadqual optimise``: propose new points and a threshold, backtest, store a draft."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from leadqual.core.backtest import Backtest, Target
from leadqual.core.errors import LeadqualError
from leadqual.core.optimiser import OptimiserSettings, RuleStatus
from leadqual.triage.optimiser import (
    DEFAULT_WEEKS,
    OptimiserRun,
    proposes_a_change,
    run_optimiser,
    store_proposal,
)

_STATUS_TEXT = {
    RuleStatus.CHANGED: "",
    RuleStatus.UNCHANGED: "",
    RuleStatus.TOO_LITTLE_EVIDENCE: "too little evidence, unchanged",
    RuleStatus.NEW: "new rule",
}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _lift(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _positive(text: str) -> int:
    """A whole number of 1 or more (argparse reports anything else)."""
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


class Command(BaseCommand):
    help = (
        "Propose new points per rule and a sales-ready threshold from sales' "
        "outcomes, and replay the last weeks under the current and the proposed "
        "model. Without --dry-run the proposal is stored as a draft scoring model "
        "version, which scores nothing until someone approves it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the proposal and the backtest, store nothing",
        )
        parser.add_argument(
            "--weeks",
            type=_positive,
            default=DEFAULT_WEEKS,
            help=f"how many recent weeks to replay (default {DEFAULT_WEEKS}); "
            "the proposal learns only from leads before them",
        )
        parser.add_argument(
            "--capacity",
            type=_positive,
            default=None,
            help="leads sales can contact per week (default: the owners' "
            "capacities added up)",
        )
        parser.add_argument(
            "--target",
            choices=[target.value for target in Target],
            default=OptimiserSettings().target.value,
            help="what counts as a conversion (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            run = run_optimiser(
                now=now,
                weeks=options["weeks"],
                capacity_per_week=options["capacity"],
                settings=OptimiserSettings(target=Target(options["target"])),
            )
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self._print_proposal(run)
        self._print_backtest(run)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing stored.")
            return
        if not proposes_a_change(run):
            self.stdout.write("The proposal changes nothing: no draft stored.")
            return
        try:
            draft = store_proposal(run, now=now)
        except LeadqualError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Stored the proposal as draft scoring model v{draft.version}: it scores "
            "nothing until someone approves it."
        )

    def _print_proposal(self, run: OptimiserRun) -> None:
        proposal = run.proposal
        write = self.stdout.write
        write(
            f"Proposal for scoring model v{run.scoring_model.version} from "
            f"{proposal.examples} reviewed leads ({proposal.conversions} reached "
            f"{proposal.settings.target.value}), judged before the last {run.result.weeks} "
            f"weeks; one point = {proposal.log_odds_per_point:.3f} log-odds."
        )
        write("")
        header = (
            f"{'rule':<32} {'old':>4} {'new':>4} {'fired':>6} {'conv.':>6} "
            f"{'lift':>5} {'95% interval':>13}  note"
        )
        write(header)
        write("-" * len(header))
        for rule in proposal.rules:
            lift = rule.lift
            interval = f"{_lift(lift.lift_low)}-{_lift(lift.lift_high)}"
            write(
                f"{rule.name[:32]:<32} {rule.old_points:>4} {rule.new_points:>4} "
                f"{lift.fired:>6} {lift.converted:>6} {_lift(lift.lift):>5} "
                f"{interval:>13}  {_STATUS_TEXT[rule.status]}".rstrip()
            )
        listed = [c for c in proposal.candidates if not c.added][:10]
        if listed:
            write("")
            write("Candidate rules not added (suggested points, fired, lift):")
            for candidate in listed:
                write(
                    f"  {candidate.rule.name[:40]:<40} {candidate.suggested_points:>4} "
                    f"{candidate.lift.fired:>6} {_lift(candidate.lift.lift):>5}"
                )
        write("")
        old_hot = proposal.current.thresholds.hot
        new_hot = proposal.model.thresholds.hot
        kept = proposal.kept_hot_per_week
        if run.result.capacity_per_week is None and kept is None:
            write(
                f"Hot threshold: {old_hot} (unchanged: no capacity known; give "
                "--capacity or set the owners' capacities)."
            )
        else:
            write(
                f"Hot threshold: {old_hot} -> {new_hot} for a capacity of "
                f"{run.result.capacity_per_week} leads per week."
                if kept is None
                else f"Hot threshold: {old_hot} -> {new_hot}, for at most the {kept} "
                "hot leads a week the current model made (no capacity known; give "
                "--capacity or set the owners' capacities)."
            )
            write(f"{'threshold':>9} {'hot/week':>9} {'precision':>9} {'recall':>7}")
            for point in proposal.curve:
                if point.threshold % 5 and point.threshold != new_hot:
                    continue
                mark = "  <- proposed" if point.threshold == new_hot else ""
                write(
                    f"{point.threshold:>9} {point.hot_per_week:>9.1f} "
                    f"{_percent(point.precision):>9} {_percent(point.recall):>7}{mark}"
                )
        write("")

    def _print_backtest(self, run: OptimiserRun) -> None:
        write = self.stdout.write
        capacity = run.result.capacity_per_week
        write(
            f"Backtest of the last {run.result.weeks} weeks, events as received by each "
            f"lead's decision moment; capacity {capacity if capacity else 'unknown'} "
            "per week. Rates are of the hot leads."
        )
        models: list[tuple[str, Backtest]] = [("current", run.result.current)]
        if run.result.current_at_capacity is not None:
            models.append(
                ("current, capacity threshold", run.result.current_at_capacity)
            )
        models.append(("proposed", run.result.proposed))
        header = (
            f"{'week from':<11} {'model':<28} {'hot':>4} {'leads':>6} {'accepted':>9} "
            f"{'opport.':>8} {'won':>5} {'missed won':>11}"
        )
        write(header)
        write("-" * len(header))
        for index in range(run.result.weeks):
            for name, backtest in models:
                week = backtest.weeks[index]
                over = "!" if capacity is not None and week.hot > capacity else " "
                write(
                    f"{week.starts_at:%Y-%m-%d}  {name:<28} {week.hot:>3}{over} "
                    f"{week.leads:>6} {_percent(week.accepted_rate):>9} "
                    f"{_percent(week.opportunity_rate):>8} {_percent(week.won_rate):>5} "
                    f"{week.missed_won:>11}"
                )
        write("-" * len(header))
        for name, backtest in models:
            total = backtest.total
            write(
                f"{'all weeks':<11} {name:<28} {total.hot:>4} {total.leads:>6} "
                f"{_percent(total.accepted_rate):>9} {_percent(total.opportunity_rate):>8} "
                f"{_percent(total.won_rate):>5} {total.missed_won:>11}"
            )
        write(
            "(! = more hot leads than capacity; a hot lead sales never reviewed "
            "counts as not converted)"
        )
        write(f"Replayed in {run.seconds:.1f} s.")
