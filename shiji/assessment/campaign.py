"""Campaign scores (运动实绩 / 学习教育成效): what the records already in Shiji
say about each zone, or about each organization subtree of one zone.

Reads only. Every figure is a count, or a rate kept as its numerator and
denominator so that the page can link both to the records behind them and
write its definition next to it (``DEFINITIONS``). Each figure is computed in
the database (grouped by zone, or by the organization's path prefix for
subtrees): a fixed number of queries whatever the number of zones, orgs or
records.

The period (``Window``) runs from the zone's latest campaign start to today
unless a range is given (``campaign_window``). Problems are those found in
the period, counted in the state they are in today; tasks those due in the
period; regulations those issued in it; feedback items those received in it,
and ratings those given in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Ratio:
    num: int
    den: int

    @property
    def percent(self) -> Decimal | None:
        """0–100 to one decimal; None when there is nothing to divide by."""
        if not self.den:
            return None
        return (Decimal(100 * self.num) / Decimal(self.den)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class Figures:
    """The figures of one zone or one organization subtree."""

    key: Any  # zone id, or the org path prefix
    window: Window | None = None
    people: int = 0  # active roster people
    studied: int = 0  # of them, present at ≥1 study session in the period
    tasks_due: int = 0  # task assignments due in the period
    tasks_on_time: int = 0  # of them, reported by the deadline
    problems: int = 0  # found in the period, not cancelled
    closed: int = 0
    closed_with_deadline: int = 0
    closed_on_time: int = 0
    ever_closed: int = 0
    relapsed: int = 0  # reopened after 销号
    extensions: int = 0  # DeadlineExtension rows
    extended: int = 0  # problems with ≥1 extension
    by_category: dict[int, int] = field(default_factory=dict)
    rules: int = 0  # regulations issued in the period
    feedback_answered: int = 0  # received in the period and answered
    feedback_on_time: int = 0  # of them, answered by the due date
    ratings: int = 0  # ratings given in the period
    good_ratings: int = 0  # 满意 + 基本满意

    @property
    def study_coverage(self) -> Ratio:
        return Ratio(self.studied, self.people)

    @property
    def task_on_time(self) -> Ratio:
        return Ratio(self.tasks_on_time, self.tasks_due)

    @property
    def closure(self) -> Ratio:
        return Ratio(self.closed, self.problems)

    @property
    def rectification_on_time(self) -> Ratio:
        return Ratio(self.closed_on_time, self.closed_with_deadline)

    @property
    def relapse(self) -> Ratio:
        return Ratio(self.relapsed, self.ever_closed)

    @property
    def reply_on_time(self) -> Ratio:
        return Ratio(self.feedback_on_time, self.feedback_answered)

    @property
    def satisfaction(self) -> Ratio:
        return Ratio(self.good_ratings, self.ratings)


# What each figure means, for the page (in the order of the table).
DEFINITIONS: list[tuple[str, Any, Any]] = [
    (
        "study_coverage",
        _("学习覆盖率"),
        _("统计期内至少一次学习研讨被记为“出席”的在册人员数 ÷ 在册人员数。"),
    ),
    (
        "task_on_time",
        _("任务按时完成率"),
        _(
            "完成时限在统计期内的任务分派中，在时限当天或之前报送完成（已报送或已通过）的个数"
            " ÷ 完成时限在统计期内的任务分派数。"
        ),
    ),
    (
        "problems",
        _("查摆问题数"),
        _("发现日期在统计期内、未撤销的问题数，并按问题类别分列。"),
    ),
    (
        "closure",
        _("销号率"),
        _("上述问题中已销号的个数 ÷ 上述问题数（不含已撤销）。"),
    ),
    (
        "rectification_on_time",
        _("按时整改率"),
        _(
            "已销号且有整改时限的问题中，销号日期不晚于整改时限的个数"
            " ÷ 已销号且有整改时限的问题数。"
        ),
    ),
    (
        "relapse",
        _("反弹率"),
        _("销号后经“回头看”重新整改的问题数 ÷ 曾经销号的问题数。"),
    ),
    (
        "extensions",
        _("延期"),
        _("上述问题的延期次数，以及延期过的问题数。"),
    ),
    (
        "rules",
        _("建章立制数"),
        _("统计期内印发（状态为“印发”、印发日期在统计期内）的新建、修订、废止制度数。"),
    ),
    (
        "reply_on_time",
        _("群众反映按时答复率"),
        _(
            "统计期内收到并已首次答复（答复、转入整改台账或不予受理）的群众反映中，"
            "在办理时限（按类型的工作日时限）内答复的件数 ÷ 已答复件数。"
        ),
    ),
    (
        "satisfaction",
        _("群众满意率"),
        _("统计期内收到的评价中“满意”“基本满意”的条数 ÷ 评价条数。"),
    ),
]


# ---------------------------------------------------------------- windows


def campaign_starts(zone_ids: Iterable[int]) -> dict[int, dt.date]:
    """The start of each zone's latest adopted campaign (one query); zones
    without a campaign are missing."""
    from shiji.campaigns.models import ZoneCampaign

    starts: dict[int, dt.date] = {}
    for zone_id, starts_on in (
        ZoneCampaign.objects.filter(zone_id__in=list(zone_ids))
        .order_by("campaign__starts_on")
        .values_list("zone_id", "campaign__starts_on")
    ):
        starts[zone_id] = starts_on  # ascending: the latest wins
    return starts


def campaign_windows(
    zone_ids: Iterable[int],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> dict[int, Window]:
    """Each zone's period: ``start``–``end`` when given, else from its latest
    campaign's start (the beginning of the records when it has none) to
    today. One query when a start is not given, none otherwise."""
    ids = list(zone_ids)
    end = end or today or timezone.localdate()
    if start is not None:
        return {zid: Window(start, end) for zid in ids}
    starts = campaign_starts(ids)
    return {zid: Window(starts.get(zid) or EARLIEST, end) for zid in ids}


def _per_zone(windows: dict[int, Window], attr: str, zone_field: str) -> Any:
    """The window bound ``attr`` of each row's zone, as an SQL expression."""
    return _per_zone_value(windows, zone_field, lambda w: getattr(w, attr), DateField())


def _per_zone_value(
    windows: dict[int, Window], zone_field: str, value: Any, output_field: Any
) -> Any:
    """``value(window)`` of each row's zone, as an SQL expression: a constant
    when every zone has the same window (the usual case, which an index on
    the date can answer), else a CASE on the zone."""
    values = {value(w) for w in windows.values()}
    if len(values) == 1:
        return Value(values.pop(), output_field=output_field)
    return Case(
        *[When(**{zone_field: zid}, then=Value(value(w))) for zid, w in windows.items()],
        default=Value(value(Window(EARLIEST, EARLIEST))),
        output_field=output_field,
    )


def _day_start(day: dt.date) -> dt.datetime:
    """The instant ``day`` begins in the current time zone: a moment's local
    date is on or after ``day`` exactly when the moment is at or after it."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _moment_in_window(
    qs: QuerySet, windows: dict[int, Window], zone_field: str, moment_field: str
) -> QuerySet:
    """Rows whose ``moment_field`` falls, in local time, on a day of their
    zone's window: the same rows as ``moment_field__date`` between the bounds,
    but compared as instants (SQLite computes ``__date`` in Python, row by
    row; an instant is compared as it is stored, and an index can answer it)."""
    return qs.annotate(
        _start_at=_per_zone_value(
            windows, zone_field, lambda w: _day_start(w.start), DateTimeField()
        ),
        _end_at=_per_zone_value(
            windows,
            zone_field,
            lambda w: _day_start(w.end + dt.timedelta(days=1)),
            DateTimeField(),
        ),
    ).filter(**{f"{moment_field}__gte": F("_start_at"), f"{moment_field}__lt": F("_end_at")})


class _NextDayStart(Func):
    """SQLite: the instant (UTC, as Django stores it) the local day after a
    date column begins, for a time zone with one fixed UTC offset
    (``offset`` seconds east, an int of ours); only built by ``_on_or_before``."""

    template = "datetime(%(expressions)s, '+1 day', '%(shift)s seconds')"
    output_field = DateTimeField()

    def __init__(self, day: Any, offset: int) -> None:
        super().__init__(day, shift=f"{-int(offset):+d}")


def _fixed_offset() -> int | None:
    """The current time zone's UTC offset in seconds when it has been the
    same since 1992 and stays so for ten years (Asia/Shanghai: +8 h since
    1991), else None."""
    tz = timezone.get_current_timezone()
    offsets = {
        dt.datetime(year, month, 1, 12, tzinfo=tz).utcoffset()
        for year in range(1992, timezone.localdate().year + 11)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return None if offset is None else int(offset.total_seconds())


def _on_or_before(moment: Any, day: Any) -> Any:
    """A condition: the local date of the instant ``moment`` is on or before
    the date ``day`` (both expressions). On SQLite, where ``TruncDate`` is a
    Python function called row by row, the instant is compared with the
    start of the next local day instead (the same answer when the zone's
    offset is fixed); elsewhere the database truncates natively."""
    from django.db import connection
    from django.db.models.lookups import LessThan, LessThanOrEqual

    offset = _fixed_offset() if connection.vendor == "sqlite" else None
    if offset is not None:
        return LessThan(moment, _NextDayStart(day, offset))
    return LessThanOrEqual(TruncDate(moment), day)


# ---------------------------------------------------------------- grouping


@dataclass(frozen=True)
class Grouping:
    """By zone (``subtrees`` is None) or, inside one zone, by organization
    subtree: each record goes to the subtree of ``subtrees`` (org paths)
    its org sits in, or to ``own`` (an org path, 本级) when its org is that
    one; records elsewhere are left out. The key is the path prefix."""

    zone_ids: tuple[int, ...]
    subtrees: tuple[str, ...] | None = None
    own: str | None = None

    def key(self, zone_field: str, path_field: str) -> Any:
        if self.subtrees is None:
            return F(zone_field)
        whens = [When(**{path_field: self.own}, then=Value(self.own))] if self.own else []
        whens += [When(**{f"{path_field}__startswith": p}, then=Value(p)) for p in self.subtrees]
        return Case(*whens, default=Value(""), output_field=CharField())

    def scope(self, qs: QuerySet, zone_field: str, path_field: str) -> QuerySet:
        qs = qs.filter(**{f"{zone_field}__in": self.zone_ids})
        if self.subtrees is None:
            return qs
        q = Q(**{path_field: self.own}) if self.own else Q(pk__in=[])
        for p in self.subtrees:
            q |= Q(**{f"{path_field}__startswith": p})
        return qs.filter(q)


def _rows(
    qs: QuerySet,
    grouping: Grouping,
    windows: dict[int, Window],
    *,
    zone_field: str,
    path_field: str,
    date_field: str = "",
    moment_field: str = "",
    **aggregates: Any,
) -> list[dict[str, Any]]:
    """``aggregates`` per group of the rows whose ``date_field`` (a date) or
    ``moment_field`` (a date and time, taken on its local day) is in their
    zone's window."""
    qs = grouping.scope(qs, zone_field, path_field)
    if moment_field:
        qs = _moment_in_window(qs, windows, zone_field, moment_field)
    else:
        qs = qs.annotate(
            _start=_per_zone(windows, "start", zone_field),
            _end=_per_zone(windows, "end", zone_field),
        ).filter(**{f"{date_field}__gte": F("_start"), f"{date_field}__lte": F("_end")})
    return list(
        qs.annotate(_key=grouping.key(zone_field, path_field))
        .values("_key")
        .annotate(**aggregates)
        .order_by()
    )


# The parts of ``compute``, one query each, and the figures each fills.
PARTS: dict[str, tuple[str, ...]] = {
    "study": ("people", "studied"),
    "tasks": ("tasks_due", "tasks_on_time"),
    "problems": ("problems", "closed", "closed_with_deadline", "closed_on_time", "by_category"),
    "closure": ("problems", "closed"),  # the same two without the rest: a lighter pass
    "reviews": ("ever_closed", "relapsed"),  # ever_closed also needs "problems"
    "extensions": ("extensions", "extended"),
    "rules": ("rules",),
    "feedback": ("feedback_answered", "feedback_on_time"),
    "ratings": ("ratings", "good_ratings"),
}


def compute(
    grouping: Grouping, windows: dict[int, Window], parts: Iterable[str] = tuple(PARTS)
) -> dict[Any, Figures]:
    """The figures of every group: one query per part of ``parts`` (eight
    for all of them), whatever the
    number of groups or records. Each query reads its records once, grouped,
    and the subqueries left per row are index probes (study: the person's
    first attendance; feedback: its answers). At 174 zones the national
    roll-up took seconds from two ``EXISTS`` on reviews per problem, an
    ``IN`` over every problem's id, and, on SQLite, per-row date
    conversions (Python functions there)."""

    parts = set(parts)
    if "problems" in parts:
        parts.discard("closure")  # counted with the rest
    # (On PostgreSQL without JIT: settings.py turns it off for every connection.)
    return _compute(grouping, windows, parts)


def _compute(grouping: Grouping, windows: dict[int, Window], parts: set[str]) -> dict[Any, Figures]:
    from shiji.campaigns.models import AssignmentStatus, TaskAssignment
    from shiji.ledger.models import DeadlineExtension, Problem, Review, Status
    from shiji.outreach.models import Feedback, FeedbackRating, FeedbackStep
    from shiji.outreach.models import Status as FeedbackStatus
    from shiji.outreach.selectors.disclosure import ANSWERS, GOOD
    from shiji.regulations.models import Regulation
    from shiji.regulations.models import Status as RegulationStatus

    out: dict[Any, Figures] = {}

    def fig(key: Any) -> Figures:
        if key not in out:
            out[key] = Figures(key=key)
        return out[key]

    if "study" in parts:
        for key, (people, studied) in study_counts(grouping, windows).items():
            f = fig(key)
            f.people, f.studied = people, studied

    if "tasks" in parts:
        # Tasks due in the period, and those reported by their deadline (the
        # status first: the date is only looked at for reported ones).
        done = Q(status__in=[AssignmentStatus.REPORTED, AssignmentStatus.ACCEPTED]) & Q(
            _on_or_before(F("reported_at"), F("task__deadline"))
        )
        for r in _rows(
            TaskAssignment.objects.all(),
            grouping,
            windows,
            zone_field="task__zone_id",
            path_field="org__path",
            date_field="task__deadline",
            due=Count("pk"),
            on_time=Count("pk", filter=done),
        ):
            f = fig(r["_key"])
            f.tasks_due, f.tasks_on_time = r["due"], r["on_time"]

    if "problems" in parts:
        # Problems found in the period (not cancelled), in their state today:
        # one pass, per group and category (the group's figures are the sums).
        for r in (
            grouping.scope(
                problems_in_period(Problem.objects.all(), windows), "zone_id", "org__path"
            )
            .annotate(_key=grouping.key("zone_id", "org__path"))
            .values("_key", "category_id")
            .annotate(
                n=Count("pk"),
                closed=Count("pk", filter=Q(status=Status.CLOSED)),
                closed_dated=Count("pk", filter=Q(status=Status.CLOSED, deadline__isnull=False)),
                closed_on_time=Count("pk", filter=on_time_q()),
            )
            .order_by()
        ):
            f = fig(r["_key"])
            f.by_category[r["category_id"]] = r["n"]
            f.problems += r["n"]
            f.closed += r["closed"]
            f.closed_with_deadline += r["closed_dated"]
            f.closed_on_time += r["closed_on_time"]
    elif "closure" in parts:
        for r in (
            grouping.scope(
                problems_in_period(Problem.objects.all(), windows), "zone_id", "org__path"
            )
            .annotate(_key=grouping.key("zone_id", "org__path"))
            .values("_key")
            .annotate(n=Count("pk"), closed=Count("pk", filter=Q(status=Status.CLOSED)))
            .order_by()
        ):
            f = fig(r["_key"])
            f.problems, f.closed = r["n"], r["closed"]

    if "reviews" in parts:
        # Ever closed = closed now + verified (销号) once but not closed now;
        # relapsed = reopened from 销号 (回头看). Read from the reviews of those
        # kinds joined to their problem: ``ever_closed_q`` and ``relapses``
        # as counts, without an EXISTS per problem.
        reviews = Review.objects.filter(action__in=["verify", "reopen"])
        reviews = problems_in_period(reviews, windows, prefix="problem__")
        for r in (
            grouping.scope(reviews, "problem__zone_id", "problem__org__path")
            .annotate(_key=grouping.key("problem__zone_id", "problem__org__path"))
            .values("_key")
            .annotate(
                verified_open=Count(
                    "problem_id",
                    distinct=True,
                    filter=Q(action="verify") & ~Q(problem__status=Status.CLOSED),
                ),
                relapsed=Count(
                    "problem_id",
                    distinct=True,
                    filter=Q(action="reopen", from_status=Status.CLOSED),
                ),
            )
            .order_by()
        ):
            f = fig(r["_key"])
            f.ever_closed, f.relapsed = r["verified_open"], r["relapsed"]
        if parts & {"problems", "closure"}:
            for f in out.values():
                f.ever_closed += f.closed

    if "extensions" in parts:
        extensions = problems_in_period(
            DeadlineExtension.objects.all(), windows, prefix="problem__"
        )
        for r in (
            grouping.scope(extensions, "problem__zone_id", "problem__org__path")
            .annotate(_key=grouping.key("problem__zone_id", "problem__org__path"))
            .values("_key")
            .annotate(n=Count("pk"), problems=Count("problem_id", distinct=True))
            .order_by()
        ):
            f = fig(r["_key"])
            f.extensions, f.extended = r["n"], r["problems"]

    if "rules" in parts:
        # Rules made: regulations issued in the period.
        for r in _rows(
            Regulation.objects.filter(status=RegulationStatus.ISSUED),
            grouping,
            windows,
            zone_field="zone_id",
            path_field="org__path",
            date_field="issued_on",
            n=Count("pk"),
        ):
            fig(r["_key"]).rules = r["n"]

    if "feedback" in parts:
        # Feedback: the first answer of items received in the period, against
        # their due date (the kind's working-day limit, set when received).
        answers = FeedbackStep.objects.filter(feedback=OuterRef("pk"), action__in=ANSWERS)
        first_answer = answers.order_by().values("feedback").annotate(at=Min("at")).values("at")
        for r in _rows(
            Feedback.objects.exclude(status=FeedbackStatus.MERGED).annotate(
                _answered=Exists(answers)
            ),
            grouping,
            windows,
            zone_field="zone_id",
            path_field="org__path",
            moment_field="received_at",
            answered=Count("pk", filter=Q(_answered=True)),
            on_time=Count(
                "pk",
                filter=Q(_answered=True) & Q(_on_or_before(Subquery(first_answer), F("due_on"))),
            ),
        ):
            f = fig(r["_key"])
            f.feedback_answered, f.feedback_on_time = r["answered"], r["on_time"]

    if "ratings" in parts:
        for r in _rows(
            FeedbackRating.objects.all(),
            grouping,
            windows,
            zone_field="feedback__zone_id",
            path_field="feedback__org__path",
            moment_field="created_at",
            n=Count("pk"),
            good=Count("pk", filter=Q(rating__in=GOOD)),
        ):
            f = fig(r["_key"])
            f.ratings, f.good_ratings = r["n"], r["good"]
    return out


# ------------------------------------------------- rules shared with the lists


def study_counts(grouping: Grouping, windows: dict[int, Window]) -> dict[Any, tuple[int, int]]:
    """Per group: (active roster people, those of them recorded present at
    one study session or more in the period). One query; an expected
    attendee is not a reached one."""
    from shiji.orgs.models import Person
    from shiji.study.models import Attendance

    people = grouping.scope(Person.objects.filter(is_active=True), "zone_id", "org__path").annotate(
        _start=_per_zone(windows, "start", "zone_id"),
        _end=_per_zone(windows, "end", "zone_id"),
    )
    present = Attendance.objects.filter(
        person=OuterRef("pk"),
        present=True,
        session__date__gte=OuterRef("_start"),
        session__date__lte=OuterRef("_end"),
    )
    return {
        r["_key"]: (r["n"], r["reached"])
        for r in people.annotate(
            _reached=Exists(present), _key=grouping.key("zone_id", "org__path")
        )
        .values("_key")
        .annotate(n=Count("pk"), reached=Count("pk", filter=Q(_reached=True)))
        .order_by()
    }


def problems_in_period(qs: QuerySet, windows: dict[int, Window], *, prefix: str = "") -> QuerySet:
    """Problems found in their zone's period, not cancelled (or, with
    ``prefix`` ``problem__``, the rows of such problems)."""
    from shiji.ledger.models import Status

    return (
        qs.exclude(**{f"{prefix}status": Status.CANCELLED})
        .annotate(
            _start=_per_zone(windows, "start", f"{prefix}zone_id"),
            _end=_per_zone(windows, "end", f"{prefix}zone_id"),
        )
        .filter(**{f"{prefix}found_on__gte": F("_start"), f"{prefix}found_on__lte": F("_end")})
    )


def relapses() -> QuerySet:
    """The 回头看 reopenings of a problem (for ``Exists`` on OuterRef pk)."""
    from shiji.ledger.models import Review, Status

    return Review.objects.filter(problem=OuterRef("pk"), action="reopen", from_status=Status.CLOSED)


def ever_closed_q() -> Q:
    """Closed now, or verified (销号) at some time before."""
    from shiji.ledger.models import Review, Status

    return Q(status=Status.CLOSED) | Q(
        Exists(Review.objects.filter(problem=OuterRef("pk"), action="verify"))
    )


def on_time_q() -> Q:
    """Closed no later than its deadline."""
    from shiji.ledger.models import Status

    return Q(status=Status.CLOSED, deadline__isnull=False, closed_on__lte=F("deadline"))


def late_q() -> Q:
    """Closed after its deadline."""
    from shiji.ledger.models import Status

    return Q(status=Status.CLOSED, deadline__isnull=False, closed_on__gt=F("deadline"))


# ---------------------------------------------------------------- entry points


def zone_figures(
    *,
    zone_ids: Sequence[int],
    start: dt.date | None = None,
    end: dt.date | None = None,
    parts: Iterable[str] = tuple(PARTS),
) -> dict[int, Figures]:
    """The figures of each zone (every zone of ``zone_ids`` has a row); only
    those of ``parts`` (``PARTS``) are counted, the others stay 0."""
    windows = campaign_windows(zone_ids, start=start, end=end)
    found = compute(Grouping(tuple(zone_ids)), windows, parts)
    out = {}
    for zid in zone_ids:
        f = found.get(zid) or Figures(key=zid)
        f.window = windows[zid]
        out[zid] = f
    return out


def subtree_figures(
    *,
    zone_id: int,
    subtrees: Sequence[str],
    own: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Figures]:
    """The figures of each org subtree of one zone (``subtrees``: the orgs'
    paths, none inside another), keyed by path, and of the records of the
    org ``own`` itself (本级) under its path; every path given has a row."""
    windows = campaign_windows([zone_id], start=start, end=end)
    found = compute(Grouping((zone_id,), subtrees=tuple(subtrees), own=own), windows)
    out = {}
    for path in [*([own] if own else []), *subtrees]:
        f = found.get(path) or Figures(key=path)
        f.window = windows[zone_id]
        out[path] = f
    return out


# computed_from codes of the assessment's campaign 潜绩 indicators
# (indicators.yaml) and the figure each is drawn from.
INDICATOR_CODES: dict[str, str] = {
    "ledger.closure_rate": "closure",
    "ledger.on_time_rate": "rectification_on_time",
    "ledger.relapse_rate": "relapse",
    "ledger.extensions": "extensions",
    "regulations.issued": "rules",
    "study.coverage": "study_coverage",
    "campaigns.task_on_time": "task_on_time",
    "outreach.reply_on_time": "reply_on_time",
    "outreach.satisfaction": "satisfaction",
}


# The parts of ``compute`` each figure of INDICATOR_CODES needs.
FIGURE_PARTS: dict[str, tuple[str, ...]] = {
    "closure": ("closure",),
    "rectification_on_time": ("problems",),
    "relapse": ("closure", "reviews"),
    "extensions": ("extensions",),
    "rules": ("rules",),
    "study_coverage": ("study",),
    "task_on_time": ("tasks",),
    "reply_on_time": ("feedback",),
    "satisfaction": ("ratings",),
}


def indicator_values(
    *,
    zone_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    codes: Iterable[str] | None = None,
) -> dict[int, dict[str, Decimal | None]]:
    """Per zone id, per ``computed_from`` code (``INDICATOR_CODES``; only
    ``codes`` when given, and only their records are read), the value for
    ``start``–``end``: rates in percent (0–100, one decimal; None when
    nothing was there to count), counts as whole numbers."""
    wanted = {
        code: name for code, name in INDICATOR_CODES.items() if codes is None or code in set(codes)
    }
    parts = {part for name in wanted.values() for part in FIGURE_PARTS[name]}
    figures = zone_figures(zone_ids=zone_ids, start=start, end=end, parts=parts)
    out: dict[int, dict[str, Decimal | None]] = {}
    for zid, f in figures.items():
        values: dict[str, Decimal | None] = {}
        for code, name in wanted.items():
            value = getattr(f, name)
            values[code] = value.percent if isinstance(value, Ratio) else Decimal(value)
        out[zid] = values
    return out


# ---------------------------------------------------------------- the page's table


COUNTS = [f.name for f in fields(Figures) if f.type in ("int", int)]


def _add(total: Figures, f: Figures) -> None:
    for name in COUNTS:
        setattr(total, name, getattr(total, name) + getattr(f, name))
    for cid, n in f.by_category.items():
        total.by_category[cid] = total.by_category.get(cid, 0) + n


@dataclass
class Row:
    """One line of the table: a zone, an org subtree, or an org's own records."""

    name: str
    zone: Any
    figures: Figures
    org: Any = None  # None: the whole zone (or, for a total, the rows above)
    own: bool = False  # the org's own records only (本级): no list shows just those
    drill: bool = False  # the org has children to look into
    linkable: bool = True  # the lists can show exactly its records


@dataclass
class Column:
    """A problem category column: its name and, per zone, its category ids."""

    name: str
    ids: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class ScoreTable:
    mode: str  # "zones" or "orgs"
    zones: list[Any]  # the zones the viewer may choose
    zone: Any = None
    org: Any = None  # the org whose children are listed
    trail: list[Any] = field(default_factory=list)  # its visible ancestors and itself
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    categories: list[Column] = field(default_factory=list)
    start: dt.date | None = None  # as asked (None: each zone's campaign start)
    end: dt.date | None = None
    other_zones: list[Any] = field(default_factory=list)  # seen only in part

    def category_counts(self, row: Row) -> list[tuple[int | None, int]]:
        """(category id to link to, count) for each column, for ``row``."""
        out = []
        for col in self.categories:
            ids = col.ids.get(row.zone.pk, []) if row.zone is not None else []
            if row.zone is None:  # a total over zones
                ids = [i for zone_ids in col.ids.values() for i in zone_ids]
            n = sum(row.figures.by_category.get(i, 0) for i in ids)
            out.append((ids[0] if len(ids) == 1 else None, n))
        return out


def whole_zone_ids(user: Any, zones: Sequence[Any]) -> set[int]:
    """The zones of ``zones`` that ``user`` sees whole (a grant on all zones,
    the zone's province or the zone itself), as opposed to some of its
    organizations only."""
    from shiji.orgs import policy

    if policy.is_system(user) or getattr(user, "is_superuser", False):
        return {z.pk for z in zones}
    out: set[int] = set()
    for grant in policy.grants_of(user):
        kind = policy.grant_scope_kind(grant)
        if kind == "all":
            return {z.pk for z in zones}
        if kind == "province":
            out |= {z.pk for z in zones if z.province == grant.province}
        elif kind == "zone" and grant.zone_id is not None:
            out.add(grant.zone_id)
    return out & {z.pk for z in zones}


def _columns(zone_ids: Sequence[int]) -> list[Column]:
    from shiji.campaigns.models import ProblemCategory

    columns: dict[str, Column] = {}
    for cid, zid, name in (
        ProblemCategory.objects.filter(zone_id__in=list(zone_ids))
        .order_by("campaign__year", "order", "pk")
        .values_list("pk", "zone_id", "name")
    ):
        columns.setdefault(name, Column(name)).ids.setdefault(zid, []).append(cid)
    return list(columns.values())


def score_table(
    *,
    user: Any,
    zone: Any = None,
    org: Any = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ScoreTable:
    """The campaign scores ``user`` may see: one row per zone seen whole when
    no zone is named and there are several, else one row per child subtree
    of ``org`` (or of the zone's top, or of the viewer's own organizations)
    in the zone. ``zone`` and ``org`` are ids; outside the viewer's scope
    they are NotFound. A fixed number of queries."""
    from django.utils.translation import gettext

    from shiji.core.errors import NotFound
    from shiji.core.validation import parse_id
    from shiji.orgs.selectors import orgs_visible_to, parent_path, zones_visible_to

    zones = list(zones_visible_to(user=user).order_by("code"))
    whole = whole_zone_ids(user, zones)
    chosen = None
    if zone not in (None, ""):
        chosen = next((z for z in zones if z.pk == parse_id(zone)), None)
        if chosen is None:
            raise NotFound(gettext("高新区不存在"))
    visible_orgs: list[Any] = []
    if chosen is None and org not in (None, ""):
        found = orgs_visible_to(user=user).filter(pk=parse_id(org)).first()
        if found is None:
            raise NotFound(gettext("组织不存在"))
        chosen = found.zone
    if chosen is None and len(zones) == 1:
        chosen = zones[0]
    table = ScoreTable(mode="zones", zones=zones, start=start, end=end)
    if chosen is None:
        seen = [z for z in zones if z.pk in whole]
        table.other_zones = [z for z in zones if z.pk not in whole]
        figures = zone_figures(zone_ids=[z.pk for z in seen], start=start, end=end)
        table.rows = [Row(name=z.name, zone=z, figures=figures[z.pk], drill=True) for z in seen]
        table.categories = _columns([z.pk for z in seen])
        if len(seen) > 1:
            total = Figures(key=None)
            for r in table.rows:
                _add(total, r.figures)
            table.total = Row(
                name=gettext("合计"), zone=None, figures=total, linkable=start is not None
            )
        return table

    table.mode, table.zone = "orgs", chosen
    visible_orgs = list(orgs_visible_to(user=user).filter(zone=chosen).order_by("path"))
    parents = {parent_path(o.path) for o in visible_orgs}
    paths = {o.path for o in visible_orgs}
    current = None
    if org not in (None, ""):
        current = next((o for o in visible_orgs if o.pk == parse_id(org)), None)
        if current is None:
            raise NotFound(gettext("组织不存在"))
    seen_whole = chosen.pk in whole
    if current is None:
        roots = [o for o in visible_orgs if parent_path(o.path) not in paths]
        if len(roots) == 1:
            current = roots[0]  # one top org (of the zone, or of the viewer): start below it
    if current is not None:
        children = [o for o in visible_orgs if parent_path(o.path) == current.path]
        table.trail = [o for o in visible_orgs if current.path.startswith(o.path)]
    else:
        children = [o for o in visible_orgs if parent_path(o.path) not in paths]
    table.org = current
    own = current.path if current is not None else None
    by_path = subtree_figures(
        zone_id=chosen.pk, subtrees=[o.path for o in children], own=own, start=start, end=end
    )
    total = Figures(key=None, window=next(iter(by_path.values())).window if by_path else None)
    for f in by_path.values():
        _add(total, f)
    if current is not None:
        table.rows.append(
            Row(
                name=gettext("%(org)s（本级）") % {"org": current.name},
                zone=chosen,
                org=current,
                own=True,
                figures=by_path[current.path],
                linkable=False,
            )
        )
    table.rows += [
        Row(name=o.name, zone=chosen, org=o, figures=by_path[o.path], drill=o.path in parents)
        for o in children
    ]
    if current is not None:
        name = current.name
    else:  # the zone's several top orgs, or the viewer's several subtrees
        name = chosen.name if seen_whole else gettext("本人负责的组织")
    table.total = Row(
        name=name,
        zone=chosen,
        org=current,
        figures=total,
    )
    table.categories = _columns([chosen.pk])
    return table
