"""The JSON import format for questionnaires, and its validator.

Pure: standard library only. The built-in questionnaire (questionnaire_builtin.py) is written in
this same format, so a tenant's imported instrument and ours go through one loader and one
scoring path. `FORMAT_DOC` is the user-facing description; keep it in step with the checks here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

OPTIONS_PER_SCALE = 5  # scoring maps positions 0..4 to 100/75/50/25/0
MAX_ITEMS = 200
MAX_DIMENSIONS = 50
MAX_SCALES = 20
MAX_TEXT_LENGTH = 1000
DIRECTIONS = ("high_is_good", "high_is_bad")

# Arbeidsmiljøloven § 4-3 (from 1 Jan 2026): the four factors every employer must assess.
FACTORS_4_3: dict[str, tuple[str, str]] = {
    "unclear_demands": (
        "Uklare eller motstridende krav og forventninger",
        "Unclear or conflicting demands and expectations",
    ),
    "emotional_demands": (
        "Emosjonelle krav i arbeid med mennesker",
        "Emotional demands in work with people",
    ),
    "workload": (
        "Arbeidsmengde og tidspress i ubalanse med tilgjengelig tid",
        "Workload and time pressure out of balance with the time available",
    ),
    "support": ("Støtte og hjelp i arbeidet", "Support and help at work"),
}

# Keys end up in URLs, database rows and stored answers: keep them boring.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_LANG = re.compile(r"[a-z]{2,3}")

_TOP = {"key", "version", "title", "scales", "dimensions", "items"}
_TOP_OPTIONAL = {"free_text", "source"}
_SCALE = {"key", "options"}
_DIMENSION = {"key", "name", "direction"}
_DIMENSION_OPTIONAL = {"factor_4_3", "prevalence"}
_ITEM = {"key", "dimension", "text", "scale"}
_ITEM_OPTIONAL = {"reversed"}

Error = tuple[str, str]  # (JSON path such as "$.items[3].text.nb", Norwegian message)


def validate_questionnaire(data: Any) -> list[Error]:
    """Check `data` against the import format; returns (path, message) pairs, empty when valid."""
    checker = _Checker()
    checker.questionnaire(data)
    return checker.errors


def uncovered_factors(data: Mapping[str, Any]) -> list[str]:
    """The § 4-3 factor keys that no dimension with items covers (warn on import; not an error)."""
    with_items = {item.get("dimension") for item in data.get("items", ())}
    covered = {
        dim.get("factor_4_3") for dim in data.get("dimensions", ()) if dim.get("key") in with_items
    }
    return [factor for factor in FACTORS_4_3 if factor not in covered]


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


class _Checker:
    def __init__(self) -> None:
        self.errors: list[Error] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def obj(
        self, value: Any, path: str, required: set[str], optional: set[str] = frozenset()
    ) -> bool:
        if not isinstance(value, Mapping):
            self.add(path, "må være et objekt")
            return False
        for name in sorted(required - value.keys()):
            self.add(f"{path}.{name}", "mangler")
        # Unknown fields are refused so that a typo ("reverse") can't silently change scoring.
        for name in sorted(value.keys() - required - optional, key=str):
            self.add(f"{path}.{name}", f"ukjent felt «{name}»")
        return True

    def key(self, value: Any, path: str) -> bool:
        if not isinstance(value, str):
            self.add(path, "må være en tekst")
            return False
        if not _KEY.fullmatch(value):
            self.add(path, "nøkkelen kan bare inneholde bokstaver a–z, tall, _ . - (maks 64 tegn)")
            return False
        return True

    def unique_key(self, value: Any, path: str, seen: set[str], what: str) -> None:
        if self.key(value, path):
            if value in seen:
                self.add(path, f"{what} «{value}» finnes fra før")
            seen.add(value)

    def text(self, value: Any, path: str) -> None:
        """A translated text {"nb": ..., "en": ...}: bokmål required, other languages optional."""
        if not isinstance(value, Mapping):
            example = '{"nb": "...", "en": "..."}'
            self.add(path, f"må være et objekt med tekst per språk, f.eks. {example}")
            return
        for lang, text in value.items():
            lang_path = f"{path}.{lang}"
            if not isinstance(lang, str) or not _LANG.fullmatch(lang):
                self.add(lang_path, f"ukjent språkkode «{lang}»")
            elif not isinstance(text, str):
                self.add(lang_path, "må være en tekst")
            elif len(text) > MAX_TEXT_LENGTH:
                self.add(lang_path, f"teksten er for lang (maks {MAX_TEXT_LENGTH} tegn)")
        nb = value.get("nb")
        if "nb" not in value or (isinstance(nb, str) and not nb.strip()):
            self.add(f"{path}.nb", "mangler tekst på bokmål")

    def flag(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.add(path, "må være true eller false")

    def entries(self, value: Any, path: str, maximum: int, what: str) -> Sequence[Any]:
        if not _is_list(value):
            self.add(path, "må være en liste")
            return ()
        if not value:
            self.add(path, f"må inneholde minst én {what}")
        if len(value) > maximum:
            # Stop here: a huge import should get one clear error, not thousands.
            self.add(path, f"for mange ({len(value)}); maks {maximum}")
            return ()
        return value

    def questionnaire(self, data: Any) -> None:
        if not self.obj(data, "$", _TOP, _TOP_OPTIONAL):
            return
        if "key" in data:
            self.key(data["key"], "$.key")
        if "version" in data:
            version = data["version"]
            if not isinstance(version, str) or not version.strip() or len(version) > 64:
                self.add("$.version", "må være en tekst på 1–64 tegn")
        if "title" in data:
            self.text(data["title"], "$.title")
        if "source" in data and not isinstance(data["source"], str):
            self.add("$.source", "må være en tekst")
        if "free_text" in data:
            self.flag(data["free_text"], "$.free_text")
        scales = self.scales(data.get("scales"))
        dimensions = self.dimensions(data.get("dimensions"))
        self.items(data.get("items"), scales, dimensions)

    def scales(self, value: Any) -> set[str]:
        seen: set[str] = set()
        if value is None:
            return seen
        for i, scale in enumerate(self.entries(value, "$.scales", MAX_SCALES, "skala")):
            path = f"$.scales[{i}]"
            if not self.obj(scale, path, _SCALE):
                continue
            if "key" in scale:
                self.unique_key(scale["key"], f"{path}.key", seen, "skalaen")
            options = scale.get("options")
            if options is None:
                continue
            if not _is_list(options):
                self.add(f"{path}.options", "må være en liste")
            elif len(options) != OPTIONS_PER_SCALE:
                self.add(
                    f"{path}.options",
                    f"må ha nøyaktig {OPTIONS_PER_SCALE} svaralternativer (fant {len(options)})",
                )
            else:
                for j, option in enumerate(options):
                    self.text(option, f"{path}.options[{j}]")
        return seen

    def dimensions(self, value: Any) -> dict[str, Mapping[str, Any]]:
        seen: set[str] = set()
        found: dict[str, Mapping[str, Any]] = {}
        if value is None:
            return found
        for i, dim in enumerate(self.entries(value, "$.dimensions", MAX_DIMENSIONS, "dimensjon")):
            path = f"$.dimensions[{i}]"
            if not self.obj(dim, path, _DIMENSION, _DIMENSION_OPTIONAL):
                continue
            if "key" in dim:
                self.unique_key(dim["key"], f"{path}.key", seen, "dimensjonen")
                if isinstance(dim["key"], str):
                    found.setdefault(dim["key"], dim)
            if "name" in dim:
                self.text(dim["name"], f"{path}.name")
            direction = dim.get("direction")
            if "direction" in dim and direction not in DIRECTIONS:
                self.add(f"{path}.direction", "må være «high_is_good» eller «high_is_bad»")
            factor = dim.get("factor_4_3")
            if factor is not None and (not isinstance(factor, str) or factor not in FACTORS_4_3):
                self.add(f"{path}.factor_4_3", "må være en av: " + ", ".join(FACTORS_4_3))
            if "prevalence" in dim:
                self.flag(dim["prevalence"], f"{path}.prevalence")
                # Prevalence is scored as exposure: a high score means more exposure.
                if dim["prevalence"] is True and direction == "high_is_good":
                    self.add(f"{path}.direction", "en forekomst-dimensjon må ha «high_is_bad»")
        return found

    def items(self, value: Any, scales: set[str], dimensions: dict[str, Mapping[str, Any]]) -> None:
        seen: set[str] = set()
        used: set[str] = set()
        if value is None:
            return
        entries = self.entries(value, "$.items", MAX_ITEMS, "spørsmål")
        for i, item in enumerate(entries):
            path = f"$.items[{i}]"
            if not self.obj(item, path, _ITEM, _ITEM_OPTIONAL):
                continue
            if "key" in item:
                self.unique_key(item["key"], f"{path}.key", seen, "spørsmålet")
            if "text" in item:
                self.text(item["text"], f"{path}.text")
            if "scale" in item and item["scale"] not in scales:
                self.add(f"{path}.scale", f"ukjent skala «{item['scale']}»")
            if "reversed" in item:
                self.flag(item["reversed"], f"{path}.reversed")
            dim_key = item.get("dimension")
            if "dimension" not in item:
                continue
            if not isinstance(dim_key, str) or dim_key not in dimensions:
                self.add(f"{path}.dimension", f"ukjent dimensjon «{dim_key}»")
                continue
            used.add(dim_key)
            # "Any exposure is bad" needs the last option to mean "none"; reversal would break that.
            if dimensions[dim_key].get("prevalence") is True and item.get("reversed") is True:
                self.add(f"{path}.reversed", "spørsmål i en forekomst-dimensjon kan ikke snus")
        if entries:
            for i, dim_key in enumerate(dimensions):
                if dim_key not in used:
                    self.add(f"$.dimensions[{i}]", f"dimensjonen «{dim_key}» har ingen spørsmål")


FORMAT_DOC = """\
### Questionnaire import format (JSON)

A tenant can import a questionnaire it has the rights to use. The file is one JSON object:

| field | type | rules |
|---|---|---|
| `key` | string | letters, digits, `_ . -`, at most 64 characters; stable across versions |
| `version` | string | 1–64 characters, e.g. `"2026.1"` |
| `title` | text | see *text* below |
| `source` | string, optional | attribution and licence of the instrument |
| `free_text` | boolean, optional | default `false`; free-text answers are off unless turned on |
| `scales` | list, 1–20 | `{"key", "options"}`; exactly **5** option texts, scoring 100 → 0 |
| `dimensions` | list, 1–50 | `{"key", "name", "direction", "factor_4_3"?, "prevalence"?}` |
| `items` | list, 1–200 | `{"key", "dimension", "text", "scale", "reversed"?}` |

*text* is an object with one string per language: `{"nb": "...", "en": "..."}`. Bokmål (`nb`) is
required; other languages (`en`, `nn`, ...) are optional.

- `direction` is `"high_is_good"` (support, influence, meaning ...) or `"high_is_bad"` (workload,
  conflicting demands, emotional demands ...). It decides the colour of the result, not the score.
- `factor_4_3` (optional) names the arbeidsmiljøloven § 4-3 factor the dimension covers:
  `unclear_demands`, `emotional_demands`, `workload` or `support`. The product warns when an
  imported questionnaire leaves one of the four uncovered.
- `prevalence: true` marks exposure questions (bullying, harassment, violence: "Har du i løpet av
  de siste 6 månedene blitt utsatt for ..."). The last option must mean "no"; such a dimension
  must be `high_is_bad`, its items can't be reversed, and any reported exposure colours it red.
- Each item is scored by the position of the chosen option: 100, 75, 50, 25, 0 (first to last).
  `reversed: true` (default `false`) turns that round, for items worded against their dimension.
- A dimension's score for one respondent is the mean of its answered items, computed when at least
  half of them are answered; a group's score is the mean over its respondents.
- Keys must be unique among scales, among dimensions and among items; every item must refer to an
  existing dimension and scale, and every dimension needs at least one item.

Results are only shown for groups of at least *k* respondents (never fewer than 5).

```json
{
  "key": "min-undersokelse", "version": "1",
  "title": {"nb": "Min undersøkelse", "en": "My survey"},
  "scales": [{"key": "extent", "options": [
    {"nb": "I svært stor grad", "en": "To a very large extent"},
    {"nb": "I stor grad", "en": "To a large extent"},
    {"nb": "I noen grad", "en": "Somewhat"},
    {"nb": "I liten grad", "en": "To a small extent"},
    {"nb": "I svært liten grad", "en": "To a very small extent"}]}],
  "dimensions": [{"key": "support", "name": {"nb": "Støtte", "en": "Support"},
                  "direction": "high_is_good", "factor_4_3": "support"}],
  "items": [{"key": "sup_1", "dimension": "support", "scale": "extent", "reversed": false,
             "text": {"nb": "I hvilken grad får du hjelp når du trenger det?",
                      "en": "To what extent do you get help when you need it?"}}]
}
```
"""
