"""Study and discussion pages (学习研讨), one module per concern:

- ``lists``: the session list and its Excel export;
- ``detail``: a session's page (summary, the user's actions, attendance,
  speeches, materials, history);
- ``files``: materials and speeches added from that page, and downloads;
- ``form`` and ``attendance``: the create and edit form and its attendee
  list (the choice of expected attendees, the ticked list posted back);
- ``signin``: the paper sign-in sheet, its template and import;
- ``groups``: the saved attendee groups (常用参会名单);
- ``coverage``: the coverage page and the home page's panel.

Views stay thin: they parse the request, read through ``selectors`` (another
zone's session is a 404), call one service and render. ``common`` holds what
they share. The URLs (study/urls.py) name each view where it lives.
"""

from shiji.study.views.coverage import home_panel

__all__ = ["home_panel"]
