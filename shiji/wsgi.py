import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shiji.settings")
application = get_wsgi_application()

# The server runs no system checks: refuse to serve when the audit chain
# cannot be signed (production without AUDIT_HMAC_KEYS), rather than answer
# every write with an error.
from shiji.audit import keys  # noqa: E402

keys.check()
