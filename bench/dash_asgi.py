"""ASGI entry for the pages bench: the deployed app (platform_api.asgi) with the dashboards at /dash/.

``create_app`` may already mount them; otherwise they are mounted here exactly as the dashboard
tests do. Sessions live in PostgreSQL, so any number of workers serve them (the bench passes one
QCP_SESSION_SECRET to all, as a deployment must).
"""

from platform_api.asgi import _settings, app

if getattr(app.state, "dashboards", None) is None:
    from dash_app.app import mount_dashboards
    from platform_api.auth.verify import TokenVerifier
    from services.core import runtime
    from services.core.db import Database

    mount_dashboards(
        app,
        database=Database.from_url(runtime.app_url()),
        settings=_settings,
        verifier=TokenVerifier.from_settings(_settings),
    )
