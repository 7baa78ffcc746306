"""The traffic light (红黄绿灯) that every deadline-bearing record shows.

It lives in core because the ledger, the task list and the study pages all
colour their rows with it; none of them should import another app for it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class Light(models.TextChoices):
    RED = "red", gettext_lazy("红灯")
    YELLOW = "yellow", gettext_lazy("黄灯")
    GREEN = "green", gettext_lazy("绿灯")
