"""Writes for campaigns, one module per concern:

- ``presets``: loading a campaign preset file (``manage.py load_campaign``);
- ``adoption``: a zone adopting a campaign, and the adoption's settings;
- ``categories``: the zone's problem categories;
- ``tasks``: the task list, its assignments and their reports.

Every function validates, checks the policy, runs in one transaction and
writes its audit event. Callers import from ``shiji.campaigns.services``.
"""

from shiji.campaigns.services.adoption import (
    ZONE_CAMPAIGN_FIELDS,
    zone_adopt_campaign,
    zone_campaign_set_list_review,
)
from shiji.campaigns.services.categories import (
    CATEGORY_FIELDS,
    CategoryEdit,
    categories_update,
    category_create,
    category_update,
)
from shiji.campaigns.services.presets import LoadResult, campaign_load
from shiji.campaigns.services.tasks import (
    ASSIGNABLE_KINDS,
    TASK_TEXT_LIMIT,
    AdoptResult,
    assignment_transition,
    clean_sectors,
    task_create,
    tasks_adopt_templates,
    tasks_assign_missing,
)

__all__ = [
    "ASSIGNABLE_KINDS",
    "CATEGORY_FIELDS",
    "TASK_TEXT_LIMIT",
    "ZONE_CAMPAIGN_FIELDS",
    "AdoptResult",
    "CategoryEdit",
    "LoadResult",
    "assignment_transition",
    "campaign_load",
    "categories_update",
    "category_create",
    "category_update",
    "clean_sectors",
    "task_create",
    "tasks_adopt_templates",
    "tasks_assign_missing",
    "zone_adopt_campaign",
    "zone_campaign_set_list_review",
]
