"""The synthetic qcp-catalog/2 fixtures (tests/services/catalog/data/v2): NOT NHC data."""

from __future__ import annotations

from pathlib import Path

from services.catalog.known import KnownCatalog
from services.catalog.validate import validate_catalog
from tests.services.catalog.support import FILE_2022, FILE_2023

V2 = Path(__file__).parent / "data" / "v2"
FILES = {
    "2022": FILE_2022,
    "2023": FILE_2023,
    "v2/2021": V2 / "catalog-2021.yaml",
    "v2/2022.r2": V2 / "catalog-2022.r2.yaml",
    "v2/2024": V2 / "catalog-2024.yaml",
    "v2/2024.r2": V2 / "catalog-2024.r2.yaml",
    "v2/2025": V2 / "catalog-2025.yaml",
}


def text_of(name: str) -> str:
    return (V2 / name).read_text(encoding="utf-8")


def known_after(*names: str) -> KnownCatalog:
    """The context after publishing these files in order (each must be valid)."""
    known = KnownCatalog()
    for name in names:
        report = validate_catalog(FILES[name], known=known)
        assert report.ok and report.catalog is not None, (name, [str(p) for p in report.problems])
        known = known.merged_with([report.catalog])
    return known
