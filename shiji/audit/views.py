from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from shiji.audit.models import AuditEvent
from shiji.core.errors import NotFound
from shiji.orgs import policy


@login_required
def event_list(request):
    """The audit log of the zones the user may audit (system admins: all)."""
    q = policy.scope_q(request.user, "audit.view", org_path=None)
    if q is None:
        raise NotFound("页面不存在")
    events = AuditEvent.objects.filter(q).select_related("zone").order_by("-seq")
    if request.GET.get("q"):
        term = request.GET["q"][:100]
        events = events.filter(object_repr__icontains=term) | events.filter(action__icontains=term)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page, "q": request.GET.get("q", "")})
