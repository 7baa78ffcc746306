"""Pages of open-door education: ``public`` (the portal, no account),
``feedback`` (the back office), ``enterprises`` (register, roundtables,
visits), ``projects`` (为民实事) and ``disclosure`` (the public pages per
zone)."""
