"""Pages of a list, the same everywhere (web pages and the API)."""
from __future__ import annotations

from dataclasses import dataclass


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill (at least one, so an empty list still has page 1)."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)
