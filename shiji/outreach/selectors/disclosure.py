"""What a zone shows the public without a login (群众评判, 接受监督): the QR
poster's rules and the disclosure page (/p/<zone>/open/).

Nothing here reads ``FeedbackContact`` or an item's own content: a disclosed
item is shown by the summary staff wrote for the public
(``feedback_disclose`` refuses one holding the submitter's name or phone),
its kind, category, the organization that handled it and its dates. Items
about a named official (``restricted``) are never shown, and an item shows
only while it is resolved: one reopened by a 不满意 leaves the page until it
is resolved again.

The monthly figures are of every item of the zone (counts, no content), so
the page cannot be made to look better by disclosing only the good ones.
Each read is one query whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from shiji.core.workdays import working_days_between
from shiji.ledger.models import Status as ProblemStatus
from shiji.orgs.models import Zone
from shiji.outreach.models import (
    Feedback,
    FeedbackRating,
    FeedbackStep,
    Kind,
    OutreachSettings,
    PracticalProject,
    Rating,
    Status,
)
from shiji.outreach.selectors.projects import light_expression

# The months the figures cover, the current one included.
MONTHS = 12
# The first answer the submitter gets: a published reply, the item taken into
# the ledger, or a reasoned refusal.
ANSWERS = ("publish_reply", "to_problem", "decline")
GOOD = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)


def zone_limits(zone: Zone) -> list[tuple[str, int]]:
    """(kind's label, working days) for each kind: the zone's own limits, or
    the defaults when it has not set any (read without creating a row: a
    public page writes nothing)."""
    row = OutreachSettings.objects.filter(zone=zone).first() or OutreachSettings(zone=zone)
    return [(str(k.label), row.limit_for(k.value)) for k in Kind]


def resolved_q() -> Q:
    """Answered, or in the ledger with its problem closed (the database form
    of ``services.handling.resolved``)."""
    return Q(status=Status.ANSWERED) | Q(
        status=Status.IN_LEDGER, problem__status=ProblemStatus.CLOSED
    )


def disclosed_items(zone: Zone) -> QuerySet[Feedback]:
    """The zone's items staff made public and that are resolved now, newest
    result first, each with its organization, its problem's close date and
    its ratings (prefetched: two queries for a page of any length)."""
    return (
        Feedback.objects.filter(zone=zone, disclosed=True, restricted=False)
        .filter(resolved_q())
        .select_related("org", "problem")
        .only(
            "pk",
            "zone_id",
            "number",
            "kind",
            "category",
            "channel",
            "status",
            "received_at",
            "replied_at",
            "public_summary",
            "org__name",
            "problem__status",
            "problem__closed_on",
        )
        .prefetch_related(
            Prefetch(
                "ratings",
                queryset=FeedbackRating.objects.only("feedback_id", "rating", "created_at"),
            )
        )
        .order_by("-replied_at", "-received_at", "-pk")
    )


def result_on(item: Feedback) -> dt.date | None:
    """The day the public got the result: the reply's, or the problem's close."""
    if item.status == Status.IN_LEDGER and item.problem is not None:
        return item.problem.closed_on
    return timezone.localdate(item.replied_at) if item.replied_at else None


def latest_rating(item: Feedback) -> str | None:
    """The label of the item's latest rating (from the prefetched ratings)."""
    ratings = sorted(item.ratings.all(), key=lambda r: r.created_at)
    return str(Rating(ratings[-1].rating).label) if ratings else None


@dataclass
class Month:
    """One month's figures."""

    month: dt.date  # its first day
    received: int = 0
    answered: int = 0
    on_time: int = 0
    days: list[int] = field(default_factory=list)
    ratings: int = 0
    good: int = 0
    unsatisfied: int = 0

    @property
    def average_days(self) -> float | None:
        return round(sum(self.days) / len(self.days), 1) if self.days else None

    @property
    def on_time_rate(self) -> int | None:
        return round(100 * self.on_time / self.answered) if self.answered else None

    @property
    def satisfaction_rate(self) -> int | None:
        return round(100 * self.good / self.ratings) if self.ratings else None


def _first_day(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(today: dt.date, n: int) -> list[dt.date]:
    first = _first_day(today)
    out = []
    for _i in range(n):
        out.append(first)
        first = _first_day(first - dt.timedelta(days=1))
    return out


def monthly_figures(zone: Zone, today: dt.date | None = None) -> list[Month]:
    """The last ``MONTHS`` months, newest first: items received each month,
    how many of them got a first answer (reply, into the ledger, or a
    reasoned refusal), in how many working days on average and how many
    within their time limit; and the ratings given that month with the
    share of 满意 and 基本满意. Two queries."""
    today = today or timezone.localdate()
    months = _months_back(today, MONTHS)
    by_month = {m: Month(m) for m in months}
    start = timezone.make_aware(dt.datetime.combine(months[-1], dt.time.min))
    first_answer = (
        FeedbackStep.objects.filter(feedback=OuterRef("pk"), action__in=ANSWERS)
        .order_by("at", "pk")
        .values("at")[:1]
    )
    rows = (
        Feedback.objects.filter(zone=zone, received_at__gte=start)
        .exclude(status=Status.MERGED)
        .annotate(answered_at=Subquery(first_answer))
        .values_list("received_at", "due_on", "answered_at")
    )
    for received_at, due, answered_at in rows:
        month = by_month.get(_first_day(timezone.localdate(received_at)))
        if month is None:
            continue
        month.received += 1
        if answered_at is not None:
            answered_on = timezone.localdate(answered_at)
            month.answered += 1
            month.days.append(working_days_between(timezone.localdate(received_at), answered_on))
            month.on_time += answered_on <= due
    ratings = FeedbackRating.objects.filter(feedback__zone=zone, created_at__gte=start).values_list(
        "created_at", "rating"
    )
    for created_at, rating in ratings:
        month = by_month.get(_first_day(timezone.localdate(created_at)))
        if month is None:
            continue
        month.ratings += 1
        month.good += rating in GOOD
        month.unsatisfied += rating == Rating.UNSATISFIED
    return [by_month[m] for m in months]


def public_projects(zone: Zone, today: dt.date | None = None) -> list[PracticalProject]:
    """The zone's 为民实事 marked public, with their light and owning
    organization: one query."""
    return list(
        PracticalProject.objects.filter(zone=zone, public=True)
        .select_related("org")
        .annotate(light=light_expression(today))
        .order_by("deadline", "pk")
    )
