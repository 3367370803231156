from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import broker_status, database_status, worker_status


@never_cache
@require_GET
def healthz(request):
    database = database_status()
    broker = broker_status()
    ok = database["ok"] and broker["ok"]
    body = {
        "status": "ok" if ok else "error",
        "database": database,
        "broker": broker,
        "worker": worker_status() if database["ok"] else {"stale": True},
    }
    return JsonResponse(body, status=200 if ok else 503)
