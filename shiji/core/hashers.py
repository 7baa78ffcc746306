"""Argon2id with its memory cost from the settings (ARGON2_MEMORY_MB).

Django's hasher fixes 100 MiB per hash: with several threads per app server
signing people in at once, that is the server's largest allocation. The cost
is read when a hash is made or checked, so a changed setting applies after a
restart; a stored hash made with another cost still verifies, and Django
rehashes it at that user's next sign-in (``must_update``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2


class Argon2PasswordHasher(DjangoArgon2):
    # The same algorithm name ("argon2"): hashes written by Django's own
    # hasher are this hasher's too.
    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(settings.ARGON2_MEMORY_MB) * 1024
