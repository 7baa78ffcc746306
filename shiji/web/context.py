"""The layout's main areas, in one place. An area links once its app serves a
page (its URL name resolves); until then it is shown greyed out."""

from __future__ import annotations

import functools

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from shiji.orgs import policy

AREAS = [
    ("home", _("工作台"), "home"),
    ("orgs", _("组织与人员"), "orgs:tree"),
    ("study", _("学习研讨"), "study:list"),
    ("campaigns", _("任务清单"), "campaigns:tasks"),
    ("ledger", _("问题整改台账"), "ledger:list"),
    ("regulations", _("建章立制"), "regulations:list"),
    ("outreach", _("开门教育"), "outreach:home"),
    ("assessment", _("政绩考核"), "assessment:home"),
    ("reports", _("统计报表"), "reports:home"),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@functools.lru_cache(maxsize=8)
def _area_urls(resolver: object, prefix: str) -> tuple[str | None, ...]:
    """The areas' URLs, reversed once per URL configuration and script
    prefix rather than on every page (nine reverses a request). The resolver
    is part of the key: a changed ROOT_URLCONF (tests) makes a new one."""
    return tuple(_url(name) for _key, _label, name in AREAS)


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request, "area", None) or (
        request.resolver_match.namespace or request.resolver_match.url_name
        if request.resolver_match
        else ""
    )
    urls = _area_urls(get_resolver(get_urlconf()), get_script_prefix())
    areas = [
        {"key": key, "label": label, "url": url, "active": current == key}
        for (key, label, _name), url in zip(AREAS, urls, strict=True)
    ]
    admin_links = []
    if policy.can(user, "user.view"):
        admin_links.append((_("账号管理"), reverse("orgs:users")))
    if policy.can(user, "audit.view"):
        admin_links.append((_("审计日志"), reverse("audit:list")))
    if user.is_superuser or "system_admin" in policy.roles_of(user):
        admin_links.append((_("后台管理"), reverse("admin:index")))
    return {
        "shell_areas": areas,
        "shell_admin_links": admin_links,
        "shell_roles": sorted({g.get_role_display() for g in policy.grants_of(user)}),
    }
