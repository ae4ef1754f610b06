"""Error reporting to Sentry, when ``SENTRY_DSN`` is set (config.settings): no personal data
sent by the SDK itself (``send_default_pii=False``), and every event masked before it leaves
(``event_masked``): each text in it, the message, the exception's values, the breadcrumbs
(log lines), the request's data and the frames' variables, with every ID-card and student
number masked as in the logs (core.logging)."""

from typing import TYPE_CHECKING, Any, cast

from .masking import mask_identity_numbers_anywhere

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def event_masked(event: "Event", hint: "Hint") -> "Event":
    """Sentry's ``before_send`` (and ``before_send_transaction``): the event, masked
    throughout, keys included."""
    return cast("Event", _masked(event))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identity_numbers_anywhere(value)
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_masked(item) for item in value)
    return value


def sentry_init(*, dsn: str, environment: str) -> None:
    """Start the SDK with Django's and Celery's integrations (found by the SDK)."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        before_send=event_masked,
        before_send_transaction=event_masked,
        # Local variables are sent (masked) for the traceback to help; no tracing.
        include_local_variables=True,
        traces_sample_rate=0.0,
    )
