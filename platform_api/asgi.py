"""ASGI entry point for multi-worker servers: ``uvicorn platform_api.asgi:app``.

Each worker runs the same start-up checks as ``qcp serve`` (unsafe settings, database role).
"""

from platform_api.app import create_app
from platform_api.auth.verify import TokenVerifier
from platform_api.cli.serve import preflight
from platform_api.settings import api_settings
from services.core import runtime
from services.core.db import Database

_settings = api_settings()
preflight(_settings)
app = create_app(
    database=Database.from_url(runtime.app_url()),
    settings=_settings,
    verifier=TokenVerifier.from_settings(_settings),
)
