"""The client's IP address, as used for anonymous throttling budgets.

Threat: a client that picks its own address gets a fresh budget on every request. DRF keys on the
raw `X-Forwarded-For` header when `NUM_PROXIES` is unset, so rotating that header defeats it.
Decision: the socket address (`REMOTE_ADDR`) is the client, unless `TRUSTED_PROXY_COUNT` proxies
in front of us are declared. Each proxy appends the address it was connected from, so the client
is then the entry that many hops from the right of `X-Forwarded-For`; whatever stands further
left was sent by the client and is ignored. A request carrying fewer hops than declared (it did
not pass through every proxy), or a hop that is not an IP address, counts for the socket address.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies < 1:
        return remote_addr
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote_addr
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote_addr
