"""App factory for the API run as its own uvicorn process in the fault-injection tests:
``python -m uvicorn tests.reliability.fault_app:create --factory``.

Reads ``QCP_FAULT_APP_URL`` (the restricted app role's database URL) and ``QCP_FAULT_ISSUER``
(base URL of the development issuer the test process runs).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from fastapi import FastAPI

from platform_api.auth.verify import TokenVerifier
from services.core.db import Database
from tests.reliability.support import build_app, settings_for


def create() -> FastAPI:
    issuer = os.environ["QCP_FAULT_ISSUER"]
    database = Database.from_url(os.environ["QCP_FAULT_APP_URL"], pool_size=5, max_overflow=5)
    settings = settings_for(urlparse(issuer).port)
    return build_app(database, settings, TokenVerifier(server_url=issuer, realm="qcp"))
