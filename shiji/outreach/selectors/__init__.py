"""Scoped reads of open-door education, one module per part: ``feedback``
(the back office), ``public`` (what a tracking code or a zone's public pages
may show), ``enterprises`` and ``projects``."""
