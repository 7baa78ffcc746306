"""Roster import: a zone's organizations and people from the .xlsx template,
in three modules: ``template`` (the file to fill in), ``plan`` (reading a
file into a plan, writing nothing) and ``apply`` (the dry run, the import
and the confirmation).

The flow is a dry run, then an all-or-nothing import of the same bytes:

- ``roster_template_bytes`` builds the template: sheets “组织” (组织名称 |
  上级组织 | 组织类型 | 领域) and “人员” (姓名 | 所属组织 | 职务 | 是否党员 |
  联系电话), an instructions row above each header, drop-downs, and example
  rows marked 【示例】 that the import skips.
- ``roster_parse`` reads a file into a ``RosterPlan``: every problem by sheet,
  Excel row and column, and what would be created or updated. It writes nothing.
- ``roster_dry_run`` is the upload step: checks the right, parses, and parks a
  clean file (``StagedUpload``) so it can be confirmed without uploading again.
- ``roster_import`` applies a file in one transaction through the org and
  person services, so every row gets its own audit event, plus one
  ``roster.import`` summary event; any problem means nothing is written.
  ``roster_confirm`` imports a parked file and discards it.

Matching: organizations by name within the zone (an existing one is updated:
type, sector, parent); people by (所属组织, 姓名) (an existing one is updated:
position, party membership, phone, and put back on the roster if removed).
"""

from shiji.orgs.roster.apply import roster_confirm, roster_dry_run, roster_import
from shiji.orgs.roster.layout import ORG_HEADERS, ORG_SHEET, PEOPLE_HEADERS, PEOPLE_SHEET
from shiji.orgs.roster.plan import (
    MAX_BYTES,
    OrgPlan,
    PersonPlan,
    RosterErrors,
    RosterPlan,
    roster_parse,
)
from shiji.orgs.roster.template import roster_template_bytes

__all__ = [
    "MAX_BYTES",
    "ORG_HEADERS",
    "ORG_SHEET",
    "PEOPLE_HEADERS",
    "PEOPLE_SHEET",
    "OrgPlan",
    "PersonPlan",
    "RosterErrors",
    "RosterPlan",
    "roster_confirm",
    "roster_dry_run",
    "roster_import",
    "roster_parse",
    "roster_template_bytes",
]
