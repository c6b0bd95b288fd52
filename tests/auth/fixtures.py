"""Fixtures of the token tests (also used by tests/security): a development issuer and /api/v1/me."""

from __future__ import annotations

import pytest

from platform_api.auth.dev_issuer import start_dev_issuer
from tests.auth.support import build_api, fixture_directory, serve


@pytest.fixture(scope="module")
def dev_issuer():
    handle = start_dev_issuer(fixture_directory(), "127.0.0.1", 0, "qcp")
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def me_api(dev_issuer):
    app, verifier = build_api(dev_issuer.base_url, refetch_interval=0)
    served = serve(app)
    served.verifier = verifier
    yield served
    served.stop()
