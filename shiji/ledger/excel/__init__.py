"""The ledger workbook (整改台账, DESIGN.md §6): export and import.

Modules: ``layout`` (the sheet, its headers and limits), ``export`` (the
streamed download), ``plan`` (read, check and plan an import: the dry run)
and ``apply`` (write a clean plan through the services).

Layout, both ways: sheet ``整改台账``; row 1 a merged title; row 2 the sixteen
``HEADERS``; one problem per row below. Dates are real date cells, 状态 uses
the Chinese labels, people are written by name — as "姓名（组织）" when the
zone has two people of that name, the form the import needs to tell them apart.

Export (``export_workbook``) streams with XlsxWriter in constant-memory mode:
only the needed columns, fetched 2,000 rows at a time, so 100,000 rows take
as little memory as 100. Text that a spreadsheet would read as a formula
(= + - @ …) is written as a string cell with Excel's quote prefix: shown as
typed, never evaluated, and read back as the same text.

Import (``import_workbook``) reads the same layout (the header row is found
among the first five rows) and works in two passes:

1. Check every row without writing: layout, cells (formulas, merged cells,
   text in date cells), names resolved within the zone, the services' field
   rules (``services.problem_clean``) and the lifecycle's state rules. Every
   problem is reported by Excel row and column header.
2. Only for a clean file, and never in a dry run: one transaction applies
   the rows through ``problem_create``, ``problem_update`` and
   ``problem_add_progress``, each with its audit event, plus one
   ``ledger.import`` summary event. A refusal from a service rolls back
   everything and is reported like the checks of pass 1.

Decisions:

- 台账编号 is the key. Empty → a new problem (found today, since 发现日期 is
  not a column); a code of the zone → an update of the changed fields only;
  any other code → an error (codes are never invented by hand). The same
  code twice in one file → an error.
- 状态, 完成情况 and 销号日期 change only through the lifecycle (with
  evidence and review), so they are not imported: a value that differs from
  the ledger is an error on that cell; an unchanged export passes. New rows
  leave them empty (状态 may say 待整改).
- 整改进展 that differs from the ledger is recorded as a new progress note
  (the history keeps the old one); it cannot be emptied.
- Names are matched exactly within the zone: 问题类别 among the zone's
  categories (on a new row, the newest campaign's active category of that
  name), 责任单位 among its organizations, 责任领导/责任人 in its roster. A
  name two people share must be written "姓名（组织名称）".
- Extra or duplicated columns are errors: data in a column the ledger has no
  place for would otherwise be dropped without anyone noticing.
- An import that changes nothing writes nothing, not even its summary event.
"""

from shiji.ledger.excel.apply import import_staged, import_workbook
from shiji.ledger.excel.export import (
    export_count,
    export_filename,
    export_queryset,
    export_title,
    export_workbook,
    export_zone,
    require_export,
)
from shiji.ledger.excel.layout import (
    DATE_COLUMNS,
    HEADERS,
    PHASE_CHECK,
    PHASE_EXPORT,
    PHASE_WRITE,
    SHEET,
    Progress,
)
from shiji.ledger.excel.plan import (
    ImportResult,
    import_check_file,
    import_plan,
    import_require,
    import_row_count,
)

__all__ = [
    "DATE_COLUMNS",
    "HEADERS",
    "PHASE_CHECK",
    "PHASE_EXPORT",
    "PHASE_WRITE",
    "SHEET",
    "ImportResult",
    "Progress",
    "export_count",
    "export_filename",
    "export_queryset",
    "export_title",
    "export_workbook",
    "export_zone",
    "import_check_file",
    "import_plan",
    "import_require",
    "import_row_count",
    "import_staged",
    "import_workbook",
    "require_export",
]
