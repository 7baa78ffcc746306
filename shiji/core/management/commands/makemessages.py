"""``makemessages`` that also collects ``_l("…")`` (modules that need both
``gettext`` (as ``_``) and ``gettext_lazy`` import the lazy one as ``_l``)
and ``msg("…", …)`` (messages kept with their parameters and rendered when
shown, ``core.i18n``)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l", "--keyword=msg"]
