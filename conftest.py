"""Root test configuration (loaded before Django starts)."""

import os

# Playwright's sync API keeps an event loop running for the whole session;
# without this every database test after the first browser test fails.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
