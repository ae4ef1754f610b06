from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import broker_state, database_state


@never_cache
@require_GET
def healthz(request):
    database = database_state()
    broker = broker_state()
    healthy = database == "ok"
    status = "ok" if healthy and broker != "unreachable" else ("degraded" if healthy else "down")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
