"""ASGI entry point for multi-worker servers: ``uvicorn platform_api.asgi:app``."""

from platform_api.app import create_app
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import api_settings
from services.core import runtime
from services.core.db import Database

_settings = api_settings()
app = create_app(
    database=Database.from_url(runtime.app_url()),
    settings=_settings,
    verifier=TokenVerifier.from_settings(_settings),
)
