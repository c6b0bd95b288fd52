"""Values that must never protect a production platform: every secret shipped in this repository.

The demo prints its secrets (``qcp demo``), the tests and the documentation hold example values:
anyone can read them, so production refuses them (``platform_api/settings.py``). A test scans the
repository for string literals assigned to secret-like names and checks each is refused here.
"""

from __future__ import annotations

# Printed by `qcp demo` (platform_api/cli/demo_users.py) or written in tests and docs.
SHIPPED_SECRETS = frozenset(
    {
        "demo",
        "demo-dashboard-secret",
        "demo-his-h001-secret",
        "demo-his-h025-secret",
        "qcp-demo",
        "qcp-dashboard-dev-secret",
        "test-secret",
        "test-dashboard-session-secret-0123456789abcdef",
        "admin-pass",
    }
)

# Words no random secret contains (a 43-character random base64 value holds one of these with a
# probability below 1e-8): a value containing one was typed by a person or copied from a sample.
PLACEHOLDER_MARKERS = (
    "demo-",
    "secret",
    "password",
    "changeme",
    "change-me",
    "example",
    "placeholder",
    "0123456789",
    "abcdefgh",
)


def shipped_secret_reason(value: str) -> str | None:
    """Why ``value`` is a known or placeholder secret, or None when it looks like a random one."""
    lowered = value.strip().lower()
    if lowered in SHIPPED_SECRETS:
        return "it is a value shipped in the repository or printed by the demo"
    for marker in PLACEHOLDER_MARKERS:
        if marker in lowered:
            return f"it contains {marker!r}, so it was typed or copied from a sample, not generated"
    return None
