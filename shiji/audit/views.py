from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from shiji.audit.selectors import events_visible_to
from shiji.audit.timeline import describe
from shiji.core.errors import NotFound
from shiji.core.validation import clean_search
from shiji.orgs import policy

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request):
    """The audit log of what the user may audit (system admins: all), in words."""
    if not policy.can(request.user, "audit.view"):
        raise NotFound(gettext("页面不存在"))
    q = clean_search(request.GET.get("q"))
    events = events_visible_to(user=request.user, q=q).select_related(
        "zone", "actor__person__org", "actor__zone"
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = describe(list(page.object_list), user=request.user)
    return render(request, "audit/list.html", {"page": page, "rows": rows, "q": q})
