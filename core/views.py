from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import broker_state, database_state, is_ready, readiness


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


@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database, the broker, a worker, the static files and the PDF
    library all in place (or eager, without a broker). A load balancer or a deploy script
    waits for 200; 503 says which one is missing."""
    states = readiness()
    ready = is_ready(states)
    return JsonResponse(
        {"status": "ready" if ready else "not ready", **states}, status=200 if ready else 503
    )
