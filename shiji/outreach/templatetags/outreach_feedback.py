"""The feedback a ledger problem came from, for its page
(outreach/_problem_feedback.html): only the items the reader may see."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def problem_feedback(context: Any, problem: Any) -> list[Any]:
    from shiji.outreach.selectors.feedback import feedback_visible_to

    request = context.get("request")
    if request is None or problem is None:
        return []
    return list(feedback_visible_to(user=request.user).filter(problem=problem).order_by("pk"))
