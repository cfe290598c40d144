"""The ASGI app each web process of a multi-node deployment serves (``scripts/serve-web`` runs it with granian).

AVA's Reflex app as ``reflex run --env prod --single-port`` builds it (UI, API, webhooks and websocket on one port),
plus one thing a reverse proxy needs: the client address. Behind the proxy every connection comes from the proxy, so
the API's rate limits and audit log (``request.client``) and Reflex's state (``router.session.client_ip``) would all
see the proxy's address. Granian's proxy-headers wrapper replaces the connection's address with the last
``X-Forwarded-For`` entry not added by a trusted proxy, and only when the connection itself comes from one of the
addresses in ``FORWARDED_ALLOW_IPS`` (the variable uvicorn and gunicorn read for the same purpose): a client that
reaches a web process directly cannot choose the address AVA sees.
"""

from __future__ import annotations

import os
from typing import Any

from granian.utils.proxies import wrap_asgi_with_proxy_headers

TRUSTED_PROXIES_VARIABLE = "FORWARDED_ALLOW_IPS"


def app() -> Any:
    """Factory (granian ``--factory``): the Reflex app serving the built frontend, wrapped when proxies are trusted.

    The switches are the ones ``reflex run --env prod --single-port`` sets for its backend: production mode, no
    compile (``scripts/serve-web build`` built the frontend once for every process) and the build served by the app.
    """
    from reflex.constants import Env
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)

    from ava_app.ava_app import app as reflex_app

    asgi = reflex_app()
    trusted = [host.strip() for host in os.environ.get(TRUSTED_PROXIES_VARIABLE, "").split(",") if host.strip()]
    if not trusted:
        return asgi
    return wrap_asgi_with_proxy_headers(asgi, trusted_hosts=trusted)
