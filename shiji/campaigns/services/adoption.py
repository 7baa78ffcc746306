"""A zone adopting a campaign, and the settings of that adoption."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created
from shiji.campaigns.models import (
    Campaign,
    CategoryTemplate,
    ProblemCategory,
    ZoneCampaign,
)
from shiji.campaigns.services.categories import CATEGORY_FIELDS
from shiji.core.i18n import recorded
from shiji.orgs import policy
from shiji.orgs.models import Zone

ZONE_CAMPAIGN_FIELDS = [
    "zone",
    "campaign",
]


# Adoption by a zone ---------------------------------------------------------------


@transaction.atomic
def zone_adopt_campaign(*, actor: policy.Actor, zone: Zone, campaign: Campaign) -> ZoneCampaign:
    """The zone takes part in ``campaign``.

    The campaign's problem categories are copied into the zone as its own
    ``ProblemCategory`` rows, which the zone admin may then rename or extend.
    Adopting again adds categories the preset gained since, without touching
    the zone's copies. The deployment meeting is recorded as a study session.
    """
    policy.require(actor, "campaign.adopt", zone, view="zone.view", missing=gettext("高新区不存在"))
    # Serializes two admins adopting at once (the category copy reads, then writes).
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    adoption = ZoneCampaign.objects.filter(zone=zone, campaign=campaign).first()
    if adoption is None:
        adoption = ZoneCampaign.objects.create(zone=zone, campaign=campaign)
        audit_record(
            actor=actor,
            action=EventKind.ZONE_CAMPAIGN_ADOPT,
            obj=adoption,
            changes=created(adoption, ZONE_CAMPAIGN_FIELDS),
        )
    _copy_categories(actor, zone, campaign)
    return adoption


def _copy_categories(actor: policy.Actor, zone: Zone, campaign: Campaign) -> None:
    have = ProblemCategory.objects.filter(zone=zone, campaign=campaign)
    codes = set(have.values_list("code", flat=True))
    names = set(have.values_list("name", flat=True))
    for template in CategoryTemplate.objects.filter(campaign=campaign).order_by("order"):
        # A zone that already has the code, or made its own category of that
        # name, keeps what it has.
        if template.code in codes or template.name in names:
            continue
        category = ProblemCategory.objects.create(
            zone=zone,
            campaign=campaign,
            code=template.code,
            name=template.name,
            description=template.description,
            is_placeholder=template.is_placeholder,
            order=template.order,
        )
        audit_record(
            actor=actor,
            action=EventKind.CATEGORY_CREATE,
            obj=category,
            changes=created(category, CATEGORY_FIELDS),
            note=recorded("自“%(campaign)s”预设复制", campaign=campaign.name),
        )


# Settings of the adoption ------------------------------------------------------------


@transaction.atomic
def zone_campaign_set_list_review(
    *, actor: policy.Actor, adoption: ZoneCampaign, required: bool
) -> ZoneCampaign:
    """Whether the zone's problems of this campaign start rectification only
    after their list entry passed review (问题清单审核)."""
    adoption = ZoneCampaign.objects.select_for_update().select_related("zone").get(pk=adoption.pk)
    policy.require(
        actor, "campaign.adopt", adoption.zone, view="zone.view", missing=gettext("高新区不存在")
    )
    required = bool(required)
    if adoption.requires_list_review != required:
        changes = {"requires_list_review": [adoption.requires_list_review, required]}
        adoption.requires_list_review = required
        adoption.save(update_fields=["requires_list_review"])
        audit_record(
            actor=actor, action=EventKind.ZONE_CAMPAIGN_UPDATE, obj=adoption, changes=changes
        )
    return adoption
