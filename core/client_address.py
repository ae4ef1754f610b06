"""The client's address as the app's trusted proxies saw it, for the login lockout.

With ``TRUSTED_PROXIES = 0`` (the app faces the clients) it is ``REMOTE_ADDR``, whatever
``X-Forwarded-For`` says. With N proxies in front, each appends the address it received from,
so the client's is the N-th from the right: what a client writes into the header itself lies
further left and is never read."""

from django.conf import settings


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """How a sign-in attempt is named in the log: usernames are often student numbers (an
    ID-card number behind a letter), so only their first four and last two characters."""
    name = str(username or "")
    shown = f"{name[:4]}{'*' * (len(name) - 6)}{name[-2:]}" if len(name) > 8 else "***"
    return f"{{username: {shown!r}, ip_address: {ip_address!r}, path_info: {path_info!r}}}"
