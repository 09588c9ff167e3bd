"""GET /healthz/: is this CMS able to serve? For load balancers and container health checks.

Checks the database and, when REDIS_URL is set, the build queue's Redis. Answers 200 with
{"status": "ok", …} or 503 naming what failed; never anything secret.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _queue() -> str:
    if not settings.REDIS_URL:
        return "ok (database queue)"
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks, healthy = {}, True
    for name, check in (("database", _database), ("queue", _queue)):
        try:
            checks[name] = check()
        except Exception as error:  # any failure means "not healthy", and says which
            checks[name], healthy = f"failing: {type(error).__name__}", False
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )
