"""Versions of a checklist's content: the edits that make a new version, and what changed between two.

Pure, standard library only.  Content is the JSON stored in ``ChecklistTemplateVersion.content``:
``{"sections": [{"key", "title_nb", "title_en", "items": [{"key", "text_nb", "text_en", "guidance_nb",
"unit"}]}], "retired_keys": [...]}``.  Every edit returns a new dict and never mutates its input, so the
stored version a run used stays exactly as it was.

Item keys are the identity the yearly comparison rests on ("Start from last year" flags items new,
changed or removed by key), so a removed key is retired and never handed out again: an item added later
can't be mistaken for the one that was removed.
"""
from __future__ import annotations

import copy
import string
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

ITEM_FIELDS = ("text_nb", "text_en", "guidance_nb", "unit")
SECTION_FIELDS = ("title_nb", "title_en")
# A change in these is a change of the question itself; guidance and unit are help around it.
COMPARED_FIELDS = ("text_nb", "text_en")


class ContentError(ValueError):
    """An edit that can't be made; ``field`` names the form field, ``message`` is for the user (bokmål)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RemovedItem:
    key: str
    section_key: str
    text_nb: str


@dataclass(frozen=True)
class VersionDiff:
    """How ``new`` differs from ``old``, by item key."""

    new: frozenset[str]
    changed: frozenset[str]
    removed: tuple[RemovedItem, ...]

    def flag(self, item_key: str) -> str | None:
        if item_key in self.new:
            return "new"
        if item_key in self.changed:
            return "changed"
        return None


def from_shipped(checklist: Mapping[str, Any]) -> dict[str, Any]:
    """Stored content from a shipped checklist (saas.hms.checklist_defaults): tuples become lists."""
    return {
        "sections": [
            {
                "key": section["key"],
                "title_nb": section["title_nb"],
                "title_en": section.get("title_en") or "",
                **({"phase": section["phase"]} if section.get("phase") else {}),
                "items": [{"key": item["key"], **{f: item.get(f) or "" for f in ITEM_FIELDS}} for item in section["items"]],
            }
            for section in checklist["sections"]
        ],
        "retired_keys": [],
    }


def iter_items(content: Mapping[str, Any]) -> Iterator[tuple[dict, dict]]:
    """(section, item) pairs in display order."""
    for section in content.get("sections", []):
        for item in section.get("items", []):
            yield section, item


def item_count(content: Mapping[str, Any]) -> int:
    return sum(1 for _ in iter_items(content))


def diff_versions(old: Mapping[str, Any], new: Mapping[str, Any]) -> VersionDiff:
    old_items = {item["key"]: (section, item) for section, item in iter_items(old)}
    new_items = {item["key"]: item for _, item in iter_items(new)}
    added = frozenset(k for k in new_items if k not in old_items)
    changed = frozenset(
        k for k, item in new_items.items()
        if k in old_items and any((old_items[k][1].get(f) or "") != (item.get(f) or "") for f in COMPARED_FIELDS)
    )
    removed = tuple(
        RemovedItem(key=k, section_key=section["key"], text_nb=item.get("text_nb") or "")
        for k, (section, item) in old_items.items() if k not in new_items
    )
    return VersionDiff(new=added, changed=changed, removed=removed)


# -- edits ------------------------------------------------------------------------------------------

def _copy(content: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(dict(content))
    result.setdefault("sections", [])
    result.setdefault("retired_keys", [])
    return result


def _used_keys(content: Mapping[str, Any]) -> set[str]:
    used = {s["key"] for s in content.get("sections", [])} | set(content.get("retired_keys", []))
    used |= {item["key"] for _, item in iter_items(content)}
    return used


def _section(content: dict, key: str) -> dict:
    for section in content["sections"]:
        if section["key"] == key:
            return section
    raise ContentError("section_key", "Delen finnes ikke i malen (den kan være endret av noen andre).")


def _locate_item(content: dict, key: str) -> tuple[dict, int]:
    for section in content["sections"]:
        for index, item in enumerate(section["items"]):
            if item["key"] == key:
                return section, index
    raise ContentError("item_key", "Punktet finnes ikke i malen (det kan være endret av noen andre).")


def _clean(values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {name: (values.get(name) or "").strip() for name in names}


def _require(values: dict[str, str], name: str, message: str) -> None:
    if not values[name]:
        raise ContentError(name, message)


def add_section(content: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[dict, str]:
    """Append a section; returns the new content and the new section's key."""
    result = _copy(content)
    fields = _clean(values, SECTION_FIELDS)
    _require(fields, "title_nb", "Delen må ha en tittel.")
    used = _used_keys(result)
    key = next((c for c in string.ascii_uppercase if c not in used), None)
    if key is None:
        key = next(f"S{n}" for n in range(1, 10_000) if f"S{n}" not in used)
    result["sections"].append({"key": key, **fields, "items": []})
    return result, key


def update_section(content: Mapping[str, Any], key: str, values: Mapping[str, Any]) -> dict:
    result = _copy(content)
    fields = _clean(values, SECTION_FIELDS)
    _require(fields, "title_nb", "Delen må ha en tittel.")
    _section(result, key).update(fields)
    return result


def remove_section(content: Mapping[str, Any], key: str) -> dict:
    result = _copy(content)
    section = _section(result, key)
    if len(result["sections"]) == 1:
        raise ContentError("section_key", "Malen må ha minst én del.")
    result["sections"].remove(section)
    result["retired_keys"] += [key] + [item["key"] for item in section["items"]]
    return result


def move_section(content: Mapping[str, Any], key: str, step: int) -> dict:
    """Move a section ``step`` places (-1 up, +1 down); moving past either end leaves it there."""
    result = _copy(content)
    sections = result["sections"]
    index = sections.index(_section(result, key))
    target = min(max(index + step, 0), len(sections) - 1)
    sections.insert(target, sections.pop(index))
    return result


def add_item(content: Mapping[str, Any], section_key: str, values: Mapping[str, Any]) -> tuple[dict, str]:
    """Append an item to a section; returns the new content and the new item's key."""
    result = _copy(content)
    fields = _clean(values, ITEM_FIELDS)
    _require(fields, "text_nb", "Punktet må ha en tekst.")
    section = _section(result, section_key)
    used = _used_keys(result)
    key = next(f"{section_key}{n}" for n in range(1, 100_000) if f"{section_key}{n}" not in used)
    section["items"].append({"key": key, **fields})
    return result, key


def update_item(content: Mapping[str, Any], key: str, values: Mapping[str, Any]) -> dict:
    result = _copy(content)
    fields = _clean(values, ITEM_FIELDS)
    _require(fields, "text_nb", "Punktet må ha en tekst.")
    section, index = _locate_item(result, key)
    section["items"][index].update(fields)
    return result


def remove_item(content: Mapping[str, Any], key: str) -> dict:
    result = _copy(content)
    section, index = _locate_item(result, key)
    section["items"].pop(index)
    result["retired_keys"].append(key)
    return result


def move_item(content: Mapping[str, Any], key: str, step: int) -> dict:
    """Move an item ``step`` places within its section."""
    result = _copy(content)
    section, index = _locate_item(result, key)
    items = section["items"]
    target = min(max(index + step, 0), len(items) - 1)
    items.insert(target, items.pop(index))
    return result


def _shape(content: Mapping[str, Any]) -> list:
    return [
        (s["key"], [s.get(f) or "" for f in SECTION_FIELDS], [(i["key"], [i.get(f) or "" for f in ITEM_FIELDS]) for i in s["items"]])
        for s in content.get("sections", [])
    ]


def same_content(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when two contents show the same checklist (an edit that changes nothing makes no version)."""
    return _shape(a) == _shape(b)
