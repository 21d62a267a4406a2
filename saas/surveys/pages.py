"""How a questionnaire is split into answering pages, and how posted answers are read back.

Pure: standard library only.  The answering pages keep no state on the server: every page posts all
answers given so far (hidden fields for the other pages), so nothing about a respondent is stored before
the one final submit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from saas.surveys.scoring import POINTS

ITEMS_PER_PAGE = 8
FIELD_PREFIX = "q_"
_POSITIONS = {str(position): position for position in range(POINTS)}  # exactly "0".."4", nothing int() would also take


def paginate(questionnaire: Mapping[str, Any], per_page: int = ITEMS_PER_PAGE) -> list[list[str]]:
    """Dimension keys per page: whole dimensions, packed in order up to ``per_page`` items a page
    (a dimension larger than that gets a page of its own)."""
    sizes: dict[str, int] = {}
    for item in questionnaire["items"]:
        sizes[item["dimension"]] = sizes.get(item["dimension"], 0) + 1
    pages: list[list[str]] = []
    filled = 0
    for dim in questionnaire["dimensions"]:
        size = sizes.get(dim["key"], 0)
        if not size:
            continue
        if pages and filled + size <= per_page:
            pages[-1].append(dim["key"])
            filled += size
        else:
            pages.append([dim["key"]])
            filled = size
    return pages


def field_name(item_key: str) -> str:
    return FIELD_PREFIX + item_key


def parse_answers(form: Mapping[str, Any], questionnaire: Mapping[str, Any]) -> dict[str, int]:
    """The valid answers in ``form``: {item key: position 0..4} for known items; anything else is dropped
    (a tampered value is treated as unanswered, never stored)."""
    answers: dict[str, int] = {}
    for item in questionnaire["items"]:
        raw = form.get(field_name(item["key"]))
        if isinstance(raw, str) and raw in _POSITIONS:
            answers[item["key"]] = _POSITIONS[raw]
    return answers


def items_on_page(questionnaire: Mapping[str, Any], dimension_keys: Sequence[str]) -> list[Mapping[str, Any]]:
    wanted = set(dimension_keys)
    return [item for item in questionnaire["items"] if item["dimension"] in wanted]


def text(value: Mapping[str, str] | str | None, lang: str = "nb") -> str:
    """A translated text of the format in ``lang``, falling back to bokmål."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("nb") or next(iter(value.values()), "")
