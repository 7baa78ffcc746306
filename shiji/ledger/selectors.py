"""Scoped reads of the ledger. The traffic light is computed in the query, so
lists filter and sort on it in the database."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.selectors import timeline_for
from shiji.campaigns.models import ProblemCategory, ZoneCampaign
from shiji.core.errors import Invalid, NotFound
from shiji.core.validation import clean_date, clean_search, parse_id
from shiji.core.workflow import Move
from shiji.ledger import workflow
from shiji.ledger.models import (
    DeadlineExtension,
    Evidence,
    Kind,
    Light,
    Problem,
    Review,
    ReviewState,
    Source,
    Status,
)
from shiji.orgs import policy
from shiji.orgs.models import Person, User
from shiji.orgs.selectors import accounts_sponsored_by

YELLOW_DAYS = 7
YELLOW_SPAN = dt.timedelta(days=YELLOW_DAYS)
CLOSED_STATES = [Status.CLOSED, Status.CANCELLED]


def light_of(status: str, deadline: dt.date | None, today: dt.date) -> str:
    """The light in Python, for figures counted from grouped rows: the same
    rule as ``light_expression`` (tests/ledger hold the two equal)."""
    if status in CLOSED_STATES or deadline is None or deadline > today + YELLOW_SPAN:
        return Light.GREEN
    return Light.RED if deadline < today else Light.YELLOW


def light_expression(today: dt.date | None = None) -> Case:
    """red = past deadline and not closed; yellow = due within 7 days; green
    otherwise (closed and cancelled items are green: nothing is owed)."""
    today = today or timezone.localdate()
    return Case(
        When(Q(status__in=CLOSED_STATES) | Q(deadline__isnull=True), then=Value(Light.GREEN)),
        When(deadline__lt=today, then=Value(Light.RED)),
        When(deadline__lte=today + YELLOW_SPAN, then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=CharField(),
    )


LIGHT_ORDER = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _problems(today: dt.date | None = None) -> QuerySet[Problem]:
    """Every problem with what a list row shows: its zone, org, category and
    people joined, its light and whether its evidence is reused."""
    return _problems_on(today or timezone.localdate()).all()


@functools.lru_cache(maxsize=2)
def _problems_on(today: dt.date) -> QuerySet[Problem]:
    """``_problems``, built once a day per process (the light depends on the
    date) and cloned for each use (``.all()``: 0.01 ms), so that it is never
    evaluated itself: building the joins, the light and the nested
    reused-evidence subquery took 2.4 ms, on every problem page and list."""
    return Problem.objects.select_related("zone", "org", "category", "leader", "owner").annotate(
        light=light_expression(today),
        reused_evidence=Exists(
            Evidence.objects.filter(
                problem__zone=OuterRef("zone"),
                sha256__in=Evidence.objects.filter(problem=OuterRef(OuterRef("pk"))).values(
                    "sha256"
                ),
            ).exclude(problem=OuterRef("pk"))
        ),
    )


def problems_visible_to(*, user: policy.Actor, action: str = "problem.view") -> QuerySet[Problem]:
    return policy.scoped(_problems(), user, action)


def problems_in_scope(*, user: policy.Actor, action: str = "problem.view") -> QuerySet[Problem]:
    """The problems ``user`` may see with their light (to filter and sort
    on) and nothing joined: what a list filters, counts and picks its page's
    ids from, before ``page_rows`` joins that page. The joins and the
    reused-evidence check of ``problems_visible_to`` were cloned and
    compiled again for each count and the ids (0.5 ms a list)."""
    return policy.scoped(_lit_on(timezone.localdate()).all(), user, action)


@functools.lru_cache(maxsize=2)
def _lit_on(today: dt.date) -> QuerySet[Problem]:
    """Problems with their light, built once a day like ``_problems_on``."""
    return Problem.objects.annotate(light=light_expression(today))


def problem_get_for_user(*, user: policy.Actor, pk: Any) -> Problem:
    problem = problems_visible_to(user=user).filter(pk=parse_id(pk)).first()
    if problem is None:
        raise NotFound(gettext("问题不存在"))
    return problem


@functools.lru_cache(maxsize=2)
def _for_page_on(today: dt.date) -> QuerySet[Problem]:
    """``_problems`` with ``has_feedback``, built once a day like
    ``_problems_on``."""
    feedback = Problem.feedback_items.rel.related_model  # outreach's model: no import cycle
    linked = feedback._default_manager.filter(problem=OuterRef("pk"))
    return _problems(today).annotate(has_feedback=Exists(linked))


def problem_get_for_page(*, user: policy.Actor, pk: Any) -> Problem:
    """``problem_get_for_user``, with what the problem's page asks of other
    apps worked out in the same query: ``has_feedback``, whether any
    feedback (开门教育) links to the problem, so that the page reads it,
    through its scope, only then."""
    qs = policy.scoped(_for_page_on(timezone.localdate()).all(), user, "problem.view")
    problem = qs.filter(pk=parse_id(pk)).first()
    if problem is None:
        raise NotFound(gettext("问题不存在"))
    return problem


# Problems without a deadline (长期坚持) come after the dated ones on every
# database: SQLite sorts NULL first and PostgreSQL last.
_DEADLINE = F("deadline").asc(nulls_last=True)

SORTS = {
    "code": ("code",),
    "-code": ("-code",),
    "deadline": (_DEADLINE, "code"),
    "-deadline": (F("deadline").desc(nulls_last=True), "code"),
    "light": ("light_order", _DEADLINE, "code"),
    "status": ("status", "code"),
    "-updated": ("-updated_at",),
}


def page_ids(qs: QuerySet[Problem], start: int, stop: int) -> QuerySet[Problem, int]:
    """The ids of rows ``start:stop`` of the ordered list ``qs``, picked from
    the problem table alone (its filters, ORDER BY and LIMIT/OFFSET, on the
    indexes): the first half of ``problem_page``."""
    return qs.values_list("pk", flat=True)[start:stop]


# A list row: the problem's columns (foreign keys as ids, under the names of
# the API's ProblemOut), its light, whether its evidence is reused, and the
# names of its zone, category, org and people.
ROW_FIELDS = (
    *("id", "code", "zone", "source", "category", "description", "measures", "goal"),
    *("org", "leader", "owner", "kind", "found_on", "deadline", "status", "review_state"),
    *("review_note", "progress_summary", "completion_note", "closed_on", "extension_count"),
    *("needs_rule_change", "created_at", "updated_at", "light", "reused_evidence"),
)
ROW_NAMES = {
    "zone_short_name": F("zone__short_name"),
    "category_name": F("category__name"),
    "org_name": F("org__name"),
    "leader_name": F("leader__name"),
    "owner_name": F("owner__name"),
}


def page_rows(ids: list[int]) -> QuerySet[Problem, dict[str, Any]]:
    """The joined rows of ``ids`` (unordered) as dicts of ``ROW_FIELDS`` and
    ``ROW_NAMES``: the second half of ``problem_page``.

    By primary key alone: the ids were picked through the list's scope and
    filters, and with those filters repeated PostgreSQL read the whole zone
    by its zone index, testing each row against the 50 ids (5 ms of a zone
    list at 100k problems, against 0.3 ms by key). As dicts rather than
    models: building a problem and its five related models per row took
    more time than the query (3.5 ms a page)."""
    return _rows(timezone.localdate()).filter(pk__in=ids)


@functools.lru_cache(maxsize=2)
def _rows(today: dt.date) -> QuerySet[Problem, dict[str, Any]]:
    """``page_rows`` before its ids, built once a day per process like
    ``_problems_on`` and cloned for each page by its filter, never
    evaluated itself."""
    rows: QuerySet[Problem, dict[str, Any]] = (
        _problems(today).order_by().values(*ROW_FIELDS, **ROW_NAMES)
    )
    return rows


def problem_objects_page(qs: QuerySet[Problem], start: int, stop: int) -> list[Problem]:
    """Rows ``start:stop`` of the ordered list ``qs`` as models, by the same
    deferred join as ``problem_page``: for the lists that need what ``qs``
    annotates or the models' methods (我的待办's groups), not the ledger's
    rows. ``qs``'s filters are kept for the rows: its annotations may depend
    on them."""
    ids = list(page_ids(qs, start, stop))
    if not ids:
        return []
    rows = {row.pk: row for row in qs.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids]


def problem_page(qs: QuerySet[Problem], start: int, stop: int) -> list[dict[str, Any]]:
    """Rows ``start:stop`` of the ordered list ``qs`` as a deferred join: the
    page's ids from the problem table alone, then only those rows joined to
    their zone, org, category and people, in the ids' order: dicts of
    ``page_rows`` with the labels of their source, kind and status
    (``source_label``, ``kind_label``, ``status_label``).

    The same rows in the same order as plain slicing. Why: with the joins in
    the same SELECT, SQLite drove the all-zones list from the zones (or
    categories) table and sorted all ~100k joined rows to keep 50 (241 ms;
    5 ms this way at 100k problems). Two queries rather than a subquery:
    with the ids inside the joined query, the planner may still walk the
    whole deadline index to spare itself sorting 50 rows (it did on CI's
    SQLite); a literal list of ids leaves it only the primary key."""
    ids = list(page_ids(qs, start, stop))
    if not ids:
        return []
    rows = {row["id"]: row for row in page_rows(ids)}
    # Labels in the active language, each translated once a page:
    # get_FOO_display translates every choice of the field on each call.
    choices = {"source": Source.choices, "kind": Kind.choices, "status": Status.choices}
    labels = {field: {code: str(label) for code, label in c} for field, c in choices.items()}
    out = []
    for pk in ids:
        row = rows[pk]
        for field, names in labels.items():
            row[f"{field}_label"] = names.get(row[field], row[field])
        out.append(row)
    return out


class ProblemPages:
    """An ordered problem list as ``Paginator`` reads it: ``count()`` and
    slices, each slice loaded with ``problem_page`` (a deferred join)."""

    def __init__(self, qs: QuerySet[Problem], count: int | None = None) -> None:
        self.qs = qs
        self.ordered = qs.ordered
        self.known_count = count  # when the caller has counted the list already

    def count(self) -> int:
        return self.qs.count() if self.known_count is None else self.known_count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        if not isinstance(key, slice) or key.step is not None:
            raise TypeError("ProblemPages takes a slice without a step")
        return problem_page(self.qs, key.start or 0, key.stop)


def problem_filter(
    qs: QuerySet[Problem], params: Mapping[str, Any], *, user: policy.Actor
) -> QuerySet[Problem]:
    """Apply the list filters of the ledger page and the API. Unknown values
    simply match nothing rather than failing."""
    if params.get("zone"):
        qs = qs.filter(zone_id=parse_id(params["zone"]))
    if params.get("org"):
        from shiji.orgs.selectors import orgs_visible_to

        org = orgs_visible_to(user=user).filter(pk=parse_id(params["org"])).first()
        qs = qs.filter(org__path__startswith=org.path) if org else qs.none()
    for key in ("status", "source", "kind"):
        if params.get(key):
            qs = qs.filter(**{key: params[key]})
    if params.get("category"):
        qs = qs.filter(category_id=parse_id(params["category"]))
    if params.get("light"):
        # ``light`` is the annotation of problems_visible_to, which the type
        # checker does not see on the model.
        qs = qs.filter(light=params["light"])  # type: ignore[misc]
    if params.get("review"):
        qs = qs.filter(review_state=params["review"])
    qs = _campaign_score_filter(qs, params)
    if params.get("q"):
        term = clean_search(params["q"])
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(description__icontains=term)
            | Q(measures__icontains=term)
            | Q(org__name__icontains=term)
        )
    sort = SORTS.get(params.get("sort") or "code", SORTS["code"])
    if "light_order" in sort:
        qs = qs.annotate(light_order=LIGHT_ORDER)
    return qs.order_by(*sort)


# The filters behind the campaign scores' figures (assessment/campaign.py
# holds the rules), so each figure links to exactly the problems it counts.
SCORE_PARAMS = (
    *("found_from", "found_to", "cancelled", "late", "relapsed", "extended", "ever_closed"),
)


def _campaign_score_filter(qs: QuerySet[Problem], params: Mapping[str, Any]) -> QuerySet[Problem]:
    from shiji.assessment import campaign

    for key, lookup in (("found_from", "found_on__gte"), ("found_to", "found_on__lte")):
        if params.get(key):
            try:
                day = clean_date(params[key], field=key, label=key)
            except Invalid:
                return qs.none()
            qs = qs.filter(**{lookup: day})
    if str(params.get("cancelled") or "") == "0":
        qs = qs.exclude(status=Status.CANCELLED)
    late = str(params.get("late") or "")
    if late == "1":
        qs = qs.filter(campaign.late_q())
    elif late == "0":
        qs = qs.filter(campaign.on_time_q())
    elif late == "all":  # closed with a deadline, on time or not
        qs = qs.filter(campaign.on_time_q() | campaign.late_q())
    if str(params.get("relapsed") or "") == "1":
        qs = qs.filter(Exists(campaign.relapses()))
    if str(params.get("extended") or "") == "1":
        qs = qs.filter(Exists(DeadlineExtension.objects.filter(problem=OuterRef("pk"))))
    if str(params.get("ever_closed") or "") == "1":
        qs = qs.filter(campaign.ever_closed_q())
    return qs


def available_moves(*, user: policy.Actor, problem: Problem) -> list[Move]:
    """The moves this user may offer on this problem now (role and state);
    guards such as missing evidence are checked when the move is made."""
    return [
        m for m in workflow.moves_from(problem.status) if policy.can(user, m.permission, problem)
    ]


def evidence_reuse(
    *, problem: Problem, user: policy.Actor, evidence: list[Evidence] | None = None
) -> dict[int, list[Problem]]:
    """For each evidence file of ``problem`` (``evidence``, when the caller
    has read them already), the other problems in the zone that use a file
    with the same SHA-256 — a reused photo is a classic fake rectification.
    Problems the user cannot see are counted, not shown."""
    mine = list(problem.evidence.all()) if evidence is None else evidence
    hashes = {e.sha256 for e in mine}
    others = list(
        Evidence.objects.filter(sha256__in=hashes, problem__zone_id=problem.zone_id)
        .exclude(problem=problem)
        .select_related("problem")
        # The model's order within one zone, without joining the zone for it.
        .order_by("problem__code", "uploaded_at", "pk")
    )
    if not others:  # the usual case: nothing to check against the user's scope
        return {}
    visible = set(
        problems_visible_to(user=user)
        .filter(pk__in=[o.problem_id for o in others])
        .values_list("pk", flat=True)
    )
    out: dict[int, list[Any]] = {}
    for e in mine:
        out[e.pk] = [
            o.problem if o.problem_id in visible else None for o in others if o.sha256 == e.sha256
        ]
    return {k: v for k, v in out.items() if v}


def inbox_for(*, user: User) -> dict[str, QuerySet[Problem]]:
    """'My work': what waits for me to rectify, to verify and to review (a
    signed-in person's: the system has no inbox)."""
    rectify = problems_visible_to(user=user, action="problem.rectify").filter(
        status__in=[Status.OPEN, Status.IN_PROGRESS]
    )
    verify = (
        problems_visible_to(user=user, action="problem.verify")
        .filter(status=Status.SUBMITTED)
        .exclude(submitted_by=user)
        .exclude(owner__user=user)
    )
    # Entries to review: new ones, and approved ones whose description or
    # measures changed while rectification runs (workflow.GUARDS["review"]).
    approved_before = Review.objects.filter(problem=OuterRef("pk"), action="approve")
    review = (
        problems_visible_to(user=user, action="problem.review")
        .annotate(was_approved=Exists(approved_before))
        .filter(
            Q(status=Status.OPEN) | Q(status=Status.IN_PROGRESS, was_approved=True),
            review_state=ReviewState.PENDING,
        )
    )
    order = ("deadline", "code")
    return {
        "rectify": rectify.annotate(light_order=LIGHT_ORDER).order_by("light_order", *order),
        "verify": verify.order_by(*order),
        "review": review.order_by(*order),
        "flagged": flagged_verifications(user=user).order_by("-closed_on", "code"),
    }


def light_counts(qs: QuerySet[Problem]) -> dict[str, int]:
    # COUNT(*), not COUNT(id): the light reads only status and deadline, so
    # PostgreSQL answers from the (zone, status, deadline) index alone (an
    # index-only scan: 7 ms instead of 42 at 100k problems). COUNT("id")
    # makes it fetch every row from the table for a column the index lacks.
    rows = qs.order_by().values("light").annotate(n=Count("*"))  # type: ignore[misc]  # annotated
    counts = dict.fromkeys(Light.values, 0)
    counts.update({r["light"]: r["n"] for r in rows})
    return counts


def list_totals(qs: QuerySet[Problem]) -> dict[str, int]:
    """The figures above a list: ``total``; the ``closed``, ``active``
    (open, in progress, submitted) and ``counted`` (all but cancelled)
    problems; and for each light (``red``, ``yellow``, ``green``) the
    problems that still owe something by a deadline (active and dated:
    closed, cancelled and undated items have no light to show).

    One query, grouped by status and deadline (at most a few thousand
    groups, read from the (zone, status, deadline) index alone, in its
    order for one zone), summed here with ``light_of``. ``total`` spares
    the paginator a COUNT of its own. Why not COUNT … FILTER per figure, or
    GROUP BY the light: SQLite evaluated every filter and the light's CASE
    on each of 100k rows for all zones (55 ms for the two passes this
    replaces, 19 ms this way)."""
    today = timezone.localdate()
    totals = dict.fromkeys(("total", "closed", "active", "counted", *Light.values), 0)
    groups = qs.order_by().values_list("status", "deadline").annotate(n=Count("*"))
    for status, deadline, n in groups:
        totals["total"] += n
        if status == Status.CLOSED:
            totals["closed"] += n
        if status != Status.CANCELLED:
            totals["counted"] += n
        if status in workflow.ACTIVE:
            totals["active"] += n
            if deadline is not None:
                totals[light_of(status, deadline, today)] += n
    return totals


def problem_categories(*, zone: Any, active_only: bool = True) -> QuerySet[ProblemCategory]:
    """A zone's problem categories (for forms: the active ones; for filters:
    all, since old problems keep a category the zone has retired)."""
    qs = ProblemCategory.objects.filter(zone=zone).order_by("campaign__year", "order", "pk")
    return qs.filter(is_active=True) if active_only else qs


def assignable_people(*, user: policy.Actor, zone: Any) -> QuerySet[Person]:
    """Roster people who may be named 责任领导 or 责任人 on a problem in
    ``zone``: the whole zone roster (the responsible leader usually sits above
    the responsible org), offered to users who may create problems there."""
    zone_ids = policy.zone_ids_for(user, "problem.create")
    if zone_ids is not None and zone.pk not in zone_ids:
        return Person.objects.none()
    return (
        Person.objects.filter(zone=zone, is_active=True)
        .select_related("org")
        .order_by("org__path", "name")
    )


def available_actions(*, user: policy.Actor, problem: Problem) -> set[str]:
    """Besides the lifecycle moves: which forms to offer on the detail page
    (edit, progress, evidence, review, extend): the guards of
    ``workflow.GUARDS`` that the problem's state and the user's role allow."""
    return {
        name
        for name, guard in workflow.GUARDS.items()
        if guard.allows(problem) and policy.can(user, guard.permission, problem)
    }


def list_review_required(problem: Problem) -> bool:
    """Does the problem's zone require its list entry to pass review before
    rectification starts (its adoption of the problem's campaign says so)?"""
    if problem.campaign_id is None:  # no campaign, no adoption that could say so
        return False
    return ZoneCampaign.objects.filter(
        zone_id=problem.zone_id, campaign_id=problem.campaign_id, requires_list_review=True
    ).exists()


def problem_participants(problem: Problem) -> dict[int, set[str]]:
    """Who worked on ``problem`` at any time, and how (user id → steps of
    ``policy.VERIFY_PROBLEM``): its owners, now and before (owner changes are
    in the audit trail), who uploaded its evidence, wrote its progress,
    edited its measures, or submitted it."""
    pairs: list[tuple[int | None, str]] = []
    owners: set[int | None] = {problem.owner_id}
    for event in timeline_for(problem).filter(action__in=("problem.create", "problem.update")):
        changes = event.changes if isinstance(event.changes, dict) else {}
        pair = changes.get("owner")
        if isinstance(pair, list):
            owners.update(v for v in pair if isinstance(v, int))
        if event.action == "problem.update" and "measures" in changes:
            pairs.append((event.actor_id, "measures"))
    pairs += [
        (uid, "owner")
        for uid in Person.objects.filter(
            pk__in={pk for pk in owners if pk is not None}
        ).values_list("user_id", flat=True)
    ]
    pairs += [
        (uid, "evidence") for uid in problem.evidence.values_list("uploaded_by_id", flat=True)
    ]
    pairs += [(uid, "progress") for uid in problem.progress.values_list("author_id", flat=True)]
    submitters = problem.reviews.filter(action="submit").values_list("actor_id", flat=True)
    pairs += [(uid, "submitter") for uid in (*submitters, problem.submitted_by_id)]
    return policy.did_steps(pairs)


def verify_independence(*, user: policy.Actor, problem: Problem) -> policy.Independence:
    """Whether ``user`` may verify ``problem`` as an independent reviewer
    (the rule is ``policy.verify_independence``; the facts are read here)."""
    did = problem_participants(problem)
    sponsored = accounts_sponsored_by(actor=user, user_ids=did)
    return policy.verify_independence(user, did=did, sponsored_by_actor=sponsored)


def flagged_verifications(*, user: policy.Actor) -> QuerySet[Problem]:
    """Closed problems the user oversees whose verification was flagged: the
    verifier had created or granted an account that worked on it."""
    flagged = Review.objects.filter(problem=OuterRef("pk"), action="verify", flagged=True)
    return (
        problems_visible_to(user=user, action="problem.reopen")
        .filter(status=Status.CLOSED)
        .filter(Exists(flagged))
    )
