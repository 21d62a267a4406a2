"""The risk matrix: probability levels × consequence levels, one colour per cell.

Pure, standard library only. A tenant edits its matrix (single cells, labels, another size); each
risk assessment keeps ``to_dict()`` of the matrix it used, so an old report renders the same after
the tenant's next edit. A ``RiskMatrix`` can only hold a valid matrix: the constructor, ``from_dict``
and ``with_cell`` all refuse what ``validate_matrix`` refuses.

Levels are 1-based, as people say them ("sannsynlighet 4"); ``cells`` is indexed [p-1][c-1].
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (GREEN, YELLOW, RED)
COLOUR_NAMES_NB = {GREEN: "grønn", YELLOW: "gul", RED: "rød"}
COLOUR_MEANINGS = {
    GREEN: {"nb": "Akseptabel risiko", "en": "Acceptable risk"},
    YELLOW: {
        "nb": "Tiltak skal vurderes, og beslutningen dokumenteres",
        "en": "Measures to be considered, decision documented",
    },
    RED: {"nb": "Ikke akseptabel risiko – tiltak kreves", "en": "Not acceptable – measures required"},
}

MIN_LEVELS, MAX_LEVELS = 3, 7
MAX_LABEL_LENGTH = 200
SNAPSHOT_FORMAT = 1

MSG_HIGHEST_CONSEQUENCE_GREEN = "En fare med høyeste konsekvens kan aldri være grønn."


class Label(NamedTuple):
    """A level's name in bokmål, and in English where the tenant gave one ("" falls back to nb)."""

    nb: str
    en: str = ""


class MatrixError(ValueError):
    """An invalid matrix; ``errors`` is the ``validate_matrix`` list of (field path, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors))


@dataclass(frozen=True)
class RiskMatrix:
    probability_labels: tuple[Label, ...]
    consequence_labels: tuple[Label, ...]
    cells: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        # Validate the raw input first, then coerce lists to tuples so equal matrices compare
        # and hash equal however they were built.
        errors = validate_matrix(
            {
                "probability_labels": self.probability_labels,
                "consequence_labels": self.consequence_labels,
                "cells": self.cells,
            }
        )
        if errors:
            raise MatrixError(errors)
        object.__setattr__(self, "probability_labels", _labels_from_data(self.probability_labels))
        object.__setattr__(self, "consequence_labels", _labels_from_data(self.consequence_labels))
        object.__setattr__(self, "cells", tuple(tuple(row) for row in self.cells))

    @property
    def n_probability(self) -> int:
        return len(self.probability_labels)

    @property
    def n_consequence(self) -> int:
        return len(self.consequence_labels)

    @property
    def max_score(self) -> int:
        return self.n_probability * self.n_consequence

    def _check_levels(self, p: int, c: int) -> None:
        for value, n, name in ((p, self.n_probability, "Sannsynlighet"), (c, self.n_consequence, "Konsekvens")):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n:
                raise ValueError(f"{name} må være et heltall fra 1 til {n}, ikke {value!r}.")

    def colour(self, p: int, c: int) -> str:
        self._check_levels(p, c)
        return self.cells[p - 1][c - 1]

    def score(self, p: int, c: int) -> int:
        # Only meaningful within one matrix: the colour, not the score, decides acceptability,
        # and a 3×3 score of 9 is not a 5×5 score of 9.
        self._check_levels(p, c)
        return p * c

    def with_cell(self, p: int, c: int, colour: str) -> RiskMatrix:
        """A copy with one cell recoloured; raises MatrixError if that breaks a rule."""
        self._check_levels(p, c)
        cells = [list(row) for row in self.cells]
        cells[p - 1][c - 1] = colour
        return RiskMatrix(self.probability_labels, self.consequence_labels, tuple(map(tuple, cells)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe snapshot an assessment stores; ``from_dict`` reads it back unchanged."""
        return {
            "format": SNAPSHOT_FORMAT,
            "probability_labels": [{"nb": label.nb, "en": label.en} for label in self.probability_labels],
            "consequence_labels": [{"nb": label.nb, "en": label.en} for label in self.consequence_labels],
            "cells": [list(row) for row in self.cells],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskMatrix:
        """Read a snapshot or a submitted matrix; raises MatrixError listing every problem."""
        if isinstance(data, Mapping) and data.get("format", SNAPSHOT_FORMAT) != SNAPSHOT_FORMAT:
            raise MatrixError([("format", "Ukjent format for risikomatrisen.")])
        errors = validate_matrix(data)
        if errors:
            raise MatrixError(errors)
        return cls(
            _labels_from_data(data["probability_labels"]),
            _labels_from_data(data["consequence_labels"]),
            tuple(tuple(row) for row in data["cells"]),
        )


# --- Validation ------------------------------------------------------------------------------


def validate_matrix(data: Any) -> list[tuple[str, str]]:
    """Every problem with a submitted matrix as (field path, Norwegian message); [] when valid.

    Paths name the ``to_dict`` fields with 0-based list positions ("cells[4][4]" is p=5, c=5), so
    a form can put each message next to its input. Labels are {"nb", "en"} mappings, (nb, en)
    pairs or plain bokmål strings; nb must be non-empty, en may be empty.
    """
    if not isinstance(data, Mapping):
        return [("", "Risikomatrisen mangler eller har feil format.")]
    errors: list[tuple[str, str]] = []
    n_p = _validate_labels(data.get("probability_labels"), "probability_labels", "sannsynlighetsnivåer", errors)
    n_c = _validate_labels(data.get("consequence_labels"), "consequence_labels", "konsekvensnivåer", errors)

    cells = data.get("cells")
    if not _is_sequence(cells):
        errors.append(("cells", "Fargene for matrisens celler mangler."))
        return errors
    if n_p is not None and len(cells) != n_p:
        errors.append(("cells", f"Matrisen må ha én rad per sannsynlighetsnivå ({n_p})."))
    for i, row in enumerate(cells):
        if not _is_sequence(row):
            errors.append((f"cells[{i}]", "Raden har feil format."))
            continue
        if n_c is not None and len(row) != n_c:
            errors.append((f"cells[{i}]", f"Raden må ha én celle per konsekvensnivå ({n_c})."))
        for j, colour in enumerate(row):
            if colour not in COLOURS:
                errors.append((f"cells[{i}][{j}]", f"Ugyldig farge {colour!r}. Velg grønn, gul eller rød."))
        # The product's one fixed rule: the worst consequence always calls for at least a
        # documented consideration of measures, however unlikely the hazard.
        if n_c is not None and len(row) == n_c and row[n_c - 1] == GREEN:
            errors.append((f"cells[{i}][{n_c - 1}]", MSG_HIGHEST_CONSEQUENCE_GREEN))
    return errors


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _validate_labels(labels: Any, path: str, noun: str, errors: list[tuple[str, str]]) -> int | None:
    """Check one axis's labels; return the level count when it is usable for checking cells."""
    if not _is_sequence(labels) or not MIN_LEVELS <= len(labels) <= MAX_LEVELS:
        errors.append((path, f"Antall {noun} må være fra {MIN_LEVELS} til {MAX_LEVELS}."))
        return None
    for i, label in enumerate(labels):
        nb, en = _label_parts(label)
        if not isinstance(nb, str) or not nb.strip():
            errors.append((f"{path}[{i}].nb", "Nivået må ha en beskrivelse."))
        elif len(nb) > MAX_LABEL_LENGTH:
            errors.append((f"{path}[{i}].nb", f"Beskrivelsen kan ha høyst {MAX_LABEL_LENGTH} tegn."))
        if not isinstance(en, str):
            errors.append((f"{path}[{i}].en", "Den engelske beskrivelsen har feil format."))
        elif len(en) > MAX_LABEL_LENGTH:
            errors.append((f"{path}[{i}].en", f"Beskrivelsen kan ha høyst {MAX_LABEL_LENGTH} tegn."))
    return len(labels)


def _label_parts(label: Any) -> tuple[Any, Any]:
    if isinstance(label, str):
        return label, ""
    if isinstance(label, Mapping):
        return label.get("nb"), label.get("en", "")
    if _is_sequence(label) and 1 <= len(label) <= 2:
        return label[0], label[1] if len(label) == 2 else ""
    return None, ""


def _labels_from_data(labels: Iterable[Any]) -> tuple[Label, ...]:
    return tuple(Label(*(part.strip() for part in _label_parts(label))) for label in labels)


# --- Defaults ---------------------------------------------------------------------------------

# DOMAIN.md's default, written as it is printed: highest probability on top, consequence 1..5
# left to right. G = green, Y = yellow, R = red.
_DEFAULT_CELLS_AS_PRINTED = (
    "Y Y R R R",  # P5
    "G Y R R R",  # P4
    "G Y Y R R",  # P3
    "G G Y Y Y",  # P2
    "G G G G Y",  # P1
)
_LETTER = {"G": GREEN, "Y": YELLOW, "R": RED}

_PROBABILITY_5 = (
    Label("Sjeldnere enn hvert 10. år", "Rarer than every 10 years"),
    Label("Hvert 5.–10. år", "Every 5–10 years"),
    Label("Årlig til hvert 5. år", "Yearly to every 5 years"),
    Label("Månedlig til årlig", "Monthly to yearly"),
    Label("Månedlig eller oftere", "Monthly or more often"),
)
# The worst of person/health, environment and material/operations decides the level.
_CONSEQUENCE_5 = (
    Label("Ubetydelig", "Insignificant"),
    Label("Liten", "Minor"),
    Label("Moderat", "Moderate"),
    Label("Alvorlig", "Serious"),
    Label("Død eller flere alvorlig skadet", "Death or several seriously injured"),
)
_PROBABILITY_3 = (
    Label("Lite sannsynlig", "Unlikely"),
    Label("Mulig", "Possible"),
    Label("Sannsynlig", "Likely"),
)
_CONSEQUENCE_3 = (
    Label("Liten", "Minor"),
    Label("Middels", "Moderate"),
    Label("Alvorlig", "Serious"),
)
_KNOWN_LABELS = {
    ("probability", 5): _PROBABILITY_5,
    ("consequence", 5): _CONSEQUENCE_5,
    ("probability", 3): _PROBABILITY_3,
    ("consequence", 3): _CONSEQUENCE_3,
}


@functools.cache  # safe: a RiskMatrix is immutable
def default_matrix() -> RiskMatrix:
    """The product's shipped 5×5 matrix, exactly as in DOMAIN.md."""
    cells = tuple(tuple(_LETTER[letter] for letter in row.split()) for row in reversed(_DEFAULT_CELLS_AS_PRINTED))
    return RiskMatrix(_PROBABILITY_5, _CONSEQUENCE_5, cells)


@functools.cache
def simple_matrix() -> RiskMatrix:
    """The 3×3 option, banded like the 5×5 default (P3: Y R R / P2: G Y R / P1: G G Y)."""
    return generate_matrix(3, 3)


# Score bands of the shipped 5×5 matrix: green up to 4, yellow up to 10, red above.
_GREEN_UP_TO, _YELLOW_UP_TO = 4, 10


def _on_five_scale(level: int, n: int) -> Fraction:
    """Place level 1..n on the 1..5 scale, end points fixed, evenly spaced between."""
    return 1 + Fraction(4 * (level - 1), n - 1)


def generate_matrix(n_prob: int, n_cons: int) -> RiskMatrix:
    """A sensible default matrix of another size, for a tenant to start editing from.

    Each level is placed on the 1–5 scale and the cell coloured by the 5×5 default's score bands,
    so ``generate_matrix(5, 5) == default_matrix()`` and bigger or smaller matrices keep the same
    shape; the highest consequence is lifted to yellow where banding alone would give green.
    Labels are the shipped ones for 3 and 5 levels and "Nivå n" otherwise.
    """
    for n in (n_prob, n_cons):
        if isinstance(n, bool) or not isinstance(n, int) or not MIN_LEVELS <= n <= MAX_LEVELS:
            raise ValueError(f"Antall nivåer må være fra {MIN_LEVELS} til {MAX_LEVELS}.")
    rows = []
    for p in range(1, n_prob + 1):
        row = []
        for c in range(1, n_cons + 1):
            score = _on_five_scale(p, n_prob) * _on_five_scale(c, n_cons)
            colour = GREEN if score <= _GREEN_UP_TO else YELLOW if score <= _YELLOW_UP_TO else RED
            if c == n_cons and colour == GREEN:
                colour = YELLOW
            row.append(colour)
        rows.append(tuple(row))
    return RiskMatrix(_labels_for("probability", n_prob), _labels_for("consequence", n_cons), tuple(rows))


def _labels_for(axis: str, n: int) -> tuple[Label, ...]:
    known = _KNOWN_LABELS.get((axis, n))
    if known is not None:
        return known
    return tuple(Label(f"Nivå {level}", f"Level {level}") for level in range(1, n + 1))


# --- Heat map ---------------------------------------------------------------------------------


def heatmap(hazards: Iterable[tuple[int | None, int | None]], matrix: RiskMatrix | None = None) -> dict[str, Any]:
    """Count hazards per cell of ``matrix`` (the default 5×5 when None) for a heat map.

    Returns plain, JSON-safe data: ``counts`` and ``colours`` indexed [p-1][c-1] like the matrix,
    ``by_colour`` ({"green": n, "yellow": n, "red": n}), ``total`` scored hazards and ``unscored``
    (a pair with None in it: a hazard not yet assessed). A level outside the matrix raises
    ValueError, since it means the hazard was scored against another matrix.
    """
    return heatmap_of_counts(((p, c, 1) for p, c in hazards), matrix)


def heatmap_of_counts(cells: Iterable[tuple[int | None, int | None, int]], matrix: RiskMatrix | None = None) -> dict[str, Any]:
    """``heatmap`` of hazards already counted by cell: (probability, consequence, how many)."""
    matrix = matrix or default_matrix()
    counts = [[0] * matrix.n_consequence for _ in range(matrix.n_probability)]
    by_colour = dict.fromkeys(COLOURS, 0)
    total = unscored = 0
    for p, c, n in cells:
        if p is None or c is None:
            unscored += n
            continue
        by_colour[matrix.colour(p, c)] += n
        counts[p - 1][c - 1] += n
        total += n
    return {
        "counts": counts,
        "colours": [list(row) for row in matrix.cells],
        "by_colour": by_colour,
        "total": total,
        "unscored": unscored,
    }
