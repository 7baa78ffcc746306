"""The traffic light (红黄绿灯) that every deadline-bearing record shows.

It lives in core because the ledger, the task list and the study pages all
colour their rows with it; none of them should import another app for it.
"""

from __future__ import annotations

from django.db import models


class Light(models.TextChoices):
    RED = "red", "红灯"
    YELLOW = "yellow", "黄灯"
    GREEN = "green", "绿灯"
