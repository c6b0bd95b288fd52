"""Shared helpers for catalog tests: the shipped data files, the seeds, whitespace normalisation."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from services.catalog.convert import catalog_read_from_file
from services.catalog.fileformat import CatalogFile
from services.catalog.known import KnownCatalog
from services.catalog.publish import DATA_DIR
from services.catalog.schemas import CatalogRead
from services.catalog.validate import validate_catalog

# The NHC documents the catalogs are transcribed from, kept in the repository (see README-seeds.md there).
SEEDS = DATA_DIR / "sources"
SEED_2022 = SEEDS / "seed-2022-nit.txt"
SEED_2023 = SEEDS / "seed-2023-nit-pit.txt"
FILE_2022 = DATA_DIR / "catalog-2022.yaml"
FILE_2023 = DATA_DIR / "catalog-2023.yaml"
SYNTHETIC_2024 = Path(__file__).parent / "data" / "catalog-2024-synthetic.yaml"


def squash(text: str) -> str:
    """Remove all whitespace (the only normalisation allowed when comparing with the seeds)."""
    return re.sub(r"\s+", "", text)


@cache
def catalog_file(path: Path) -> CatalogFile:
    earlier = [catalog_file(p) for p in (FILE_2022, FILE_2023) if p.name < path.name]
    report = validate_catalog(path, earlier=earlier)
    assert report.ok, [str(p) for p in report.problems]
    assert report.catalog is not None
    return report.catalog


def catalog_read(path: Path) -> CatalogRead:
    earlier = [catalog_file(p) for p in (FILE_2022, FILE_2023) if p.name < path.name]
    return catalog_read_from_file(catalog_file(path), KnownCatalog.from_files(earlier))


def seed_table_columns() -> tuple[str, str]:
    """(title column, summary column) of the 2023 annex 2 table, HTML stripped, rows concatenated.

    Table cells wrap across rows, so a title or summary is contiguous only within its column.
    """
    text = SEED_2023.read_text(encoding="utf-8")
    table = text[text.index("序号\t") :]
    titles, summaries = [], []
    for line in table.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 4:  # a row that lost its first (empty) cell in extraction
            cells = ["", *cells]
        if len(cells) >= 4:
            titles.append(re.sub(r"<[^>]+>", "", cells[2]))
            summaries.append(re.sub(r"<[^>]+>", "", cells[3]))
    return squash("".join(titles)), squash("".join(summaries))
