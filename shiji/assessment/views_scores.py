"""政绩考核得分 pages: a zone's assessment (显绩 and 潜绩 side by side, per
dimension and per indicator, with the formula written out) and the
comparison of the zones a user can see, each with its Excel export. Thin
views over ``assessment.scores`` (the API calls the same function)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shiji.assessment import scores
from shiji.assessment.models import Dimension
from shiji.assessment.plausibility import number
from shiji.core.downloads import export_filename, export_response
from shiji.core.errors import Forbidden, Invalid
from shiji.core.xlsx import Column, dated_page_header, write_list_workbook
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import zone_get_for_user, zones_visible_to

AREA = "assessment"


def _year(request: HttpRequest) -> tuple[int, str]:
    """The year asked for (``?year=``), or this year within the plan, and
    the message for a bad one."""
    fallback = scores.default_year(timezone.localdate())
    raw = request.GET.get("year", "").strip()
    if not raw:
        return fallback, ""
    try:
        return scores.clean_year(raw), ""
    except Invalid as exc:
        return fallback, exc.fields.get("year", exc.message)


def _zone_score(request: HttpRequest, zone_id: int) -> tuple[scores.ZoneScore, str]:
    zone = zone_get_for_user(user=request.user, pk=zone_id)  # another zone: 404
    year, year_error = _year(request)
    (result,) = scores.zone_scores(zones=[zone], year=year, as_of=timezone.localdate())
    return result, year_error


def _num(value: Decimal | None) -> str:
    return "" if value is None else number(value)


def _figures_url(zone: Zone, period: str) -> str:
    query = urlencode({"zone": str(zone.pk), "period": period})
    return reverse("assessment:figures") + "?" + query


@login_required
@require_GET
def zone_assessment(request: HttpRequest, zone_id: int) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    result, year_error = _zone_score(request, zone_id)
    zone = result.zone
    latest: str = max((p for i in result.items for p in i.periods), default=str(result.year))
    context = {
        "zone": zone,
        "result": result,
        "year": result.year,
        "years": scores.score_years(),
        "year_error": year_error,
        "visible_items": [i for i in result.items if i.kind == "visible"],
        "latent_items": [i for i in result.items if i.kind == "latent"],
        "formula": [str(line) for line in scores.FORMULA],
        "figures_url": _figures_url(zone, latest),
        "targets_url": reverse("assessment:targets") + "?" + urlencode({"zone": str(zone.pk)}),
        "can_manage_targets": policy.can(request.user, "target.manage", zone),
        "can_enter": policy.can(request.user, "measurement.enter", zone),
    }
    return render(request, "assessment/zone.html", context)


# Comparison ----------------------------------------------------------------------

SORTS = {"name", "visible", "latent", "composite", "flagged", *Dimension.values}


def _sort_key(code: str):
    def value(r: scores.ZoneScore) -> Any:
        if code in ("visible", "latent", "composite", "flagged"):
            return getattr(r, code)
        d = r.dimension(code)
        # A dimension column sorts by its 显绩 then its 潜绩.
        return None if d.visible is None and d.latent is None else (d.visible or 0, d.latent or 0)

    return value


def _sorted(results: list[scores.ZoneScore], sort: str) -> list[scores.ZoneScore]:
    """``sort`` is a column, ``-column`` for descending; a zone without a
    score sorts last either way, ties by name."""
    descending, code = sort.startswith("-"), sort.lstrip("-")
    by_name = sorted(results, key=lambda r: (r.zone.name, r.zone.pk))
    if code == "name" or code not in SORTS:
        return by_name[::-1] if descending and code == "name" else by_name
    key = _sort_key(code)
    present = [r for r in by_name if key(r) is not None]
    missing = [r for r in by_name if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing


def _compare(request: HttpRequest) -> dict[str, Any]:
    year, year_error = _year(request)
    every = list(zones_visible_to(user=request.user).order_by("name", "pk"))
    provinces = sorted({z.province for z in every if z.province})
    province = request.GET.get("province", "").strip()
    zones = [z for z in every if z.province == province] if province in provinces else every
    results = scores.zone_scores(
        zones=zones, year=year, as_of=timezone.localdate(), with_items=False
    )
    sort = request.GET.get("sort", "name").strip()
    sort = sort if sort.lstrip("-") in SORTS else "name"
    return {
        "year": year,
        "year_error": year_error,
        "years": scores.score_years(),
        "provinces": provinces,
        "province": province if province in provinces else "",
        "sort": sort,
        "results": _sorted(results, sort),
        "dimensions": Dimension.choices,
        "placeholder_weights": any(r.placeholder_weights for r in results),
    }


def _sort_links(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    """Per column: the link that sorts by it (descending first for scores,
    the other way when it is the current sort) and its arrow."""
    links = {}
    for code in SORTS:
        if current == code:
            target, arrow = f"-{code}", "↑"
        elif current == f"-{code}":
            target, arrow = code, "↓"
        else:
            target, arrow = (code if code == "name" else f"-{code}"), ""
        query = request.GET.copy()
        query["sort"] = target
        links[code] = {"url": "?" + query.urlencode(), "arrow": arrow}
    return links


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    request.area = AREA  # type: ignore[attr-defined]  # read by web.context.shell
    context = _compare(request)
    links = _sort_links(request, context["sort"])
    context["sort_links"] = links
    context["dimension_columns"] = [
        (code, label, links[code]) for code, label in context["dimensions"]
    ]
    context["formula"] = [str(line) for line in scores.FORMULA]
    context["export_query"] = request.GET.urlencode()
    return render(request, "assessment/compare.html", context)


# Excel -------------------------------------------------------------------------------


def _require_export(request: HttpRequest, zone: Zone | None = None) -> None:
    if not policy.can(request.user, "assessment.export", zone):
        raise Forbidden(_("您没有导出考核得分的权限"))


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("是") if value else _("否")


ZONE_COLUMNS = [
    Column(_("序号"), 4),
    Column(_("维度"), 12),
    Column(_("类型"), 5),
    Column(_("指标"), 18),
    Column(_("单位"), 7),
    Column(_("实际值"), 9),
    Column(_("期间"), 12),
    Column(_("取值方式"), 8),
    Column(_("年度目标"), 9),
    Column(_("比较目标"), 9),
    Column(_("完成进度（%）"), 8),
    Column(_("达到轨迹"), 5),
    Column(_("得分"), 6),
    Column(_("权重"), 6),
    Column(_("疑点"), 22, wrap=True),
]


def _zone_rows(result: scores.ZoneScore) -> Iterator[list[Any]]:
    for n, i in enumerate(result.items, start=1):
        ind = i.indicator
        yield [
            n,
            ind.get_dimension_display(),
            ind.get_kind_display(),
            ind.name,
            ind.unit,
            float(i.value) if i.value is not None else None,
            i.period,
            i.basis_label,
            float(i.target.value) if i.target is not None else None,
            float(i.target_compared) if i.target_compared is not None else None,
            float(i.progress) if i.progress is not None else None,
            _yes_no(i.on_track),
            float(i.score) if i.score is not None else None,
            float(ind.weight),
            "\n".join(
                f"{f.period} " + _("%(label)s：%(reason)s") % {"label": f.label, "reason": f.reason}
                for f in i.flags
            ),
        ]


def _score_text(value: Decimal | None) -> str:
    return "—" if value is None else _num(value)


@login_required
@require_GET
def zone_export(request: HttpRequest, zone_id: int) -> FileResponse:
    result, _error = _zone_score(request, zone_id)
    _require_export(request, result.zone)
    zone = result.zone
    title = _("%(zone)s %(year)s 年考核得分") % {"zone": zone.name, "year": result.year}
    info = [
        (
            _("显绩 %(visible)s　潜绩 %(latent)s　综合 %(composite)s")
            % {
                "visible": _score_text(result.visible),
                "latent": _score_text(result.latent),
                "composite": _score_text(result.composite),
            },
            _("计算日 %(day)s") % {"day": result.as_of.isoformat()},
        ),
        *(
            (
                _("%(dimension)s：显绩 %(visible)s，潜绩 %(latent)s")
                % {
                    "dimension": d.label,
                    "visible": _score_text(d.visible),
                    "latent": _score_text(d.latent),
                },
                "",
            )
            for d in result.dimensions
        ),
    ]
    if result.placeholder_weights:
        info.append((_("所用权重中有示例值，须经高新区确认后才作为正式考核依据。"), ""))

    def write(out: IO[bytes]) -> int:
        return write_list_workbook(
            out,
            sheet=_("考核得分"),
            columns=ZONE_COLUMNS,
            rows=_zone_rows(result),
            title=title,
            info=info,
            page_header=dated_page_header(zone.name),
        )

    return export_response(
        write,
        filename=export_filename(
            _("%(year)s年考核得分") % {"year": result.year}, zone_name=zone.name
        ),
    )


def _compare_columns() -> list[Column]:
    dims = []
    for _code, label in Dimension.choices:
        dims += [
            Column(_("%(dimension)s·显绩") % {"dimension": label}, 8),
            Column(_("%(dimension)s·潜绩") % {"dimension": label}, 8),
        ]
    return [
        Column(_("序号"), 5),
        Column(_("高新区"), 12),
        Column(_("省份"), 6),
        Column(_("显绩"), 6),
        Column(_("潜绩"), 6),
        Column(_("综合"), 6),
        *dims,
        Column(_("疑点数据"), 6),
    ]


def _compare_rows(results: list[scores.ZoneScore]) -> Iterator[list[Any]]:
    def f(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    for n, r in enumerate(results, start=1):
        dims: list[Any] = []
        for d in r.dimensions:
            dims += [f(d.visible), f(d.latent)]
        yield [n, r.zone.name, r.zone.province, f(r.visible), f(r.latent), f(r.composite),
               *dims, r.flagged]  # fmt: skip


@login_required
@require_GET
def compare_export(request: HttpRequest) -> FileResponse:
    _require_export(request)
    context = _compare(request)
    where = context["province"] or _("各高新区")
    title = _("%(where)s %(year)s 年考核得分对比") % {"where": where, "year": context["year"]}
    return export_response(
        lambda out: write_list_workbook(
            out,
            sheet=_("考核得分对比"),
            columns=_compare_columns(),
            rows=_compare_rows(context["results"]),
            title=title,
            page_header=dated_page_header(context["province"]),
        ),
        filename=export_filename(_("%(year)s年考核得分对比") % {"year": context["year"]}),
    )
