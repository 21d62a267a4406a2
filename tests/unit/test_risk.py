"""The risk matrix: the shipped 5×5, tenant edits, the never-green rule, snapshots and heat maps."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saas.hms.risk import (
    COLOURS,
    GREEN,
    MSG_HIGHEST_CONSEQUENCE_GREEN,
    RED,
    YELLOW,
    Label,
    MatrixError,
    RiskMatrix,
    default_matrix,
    generate_matrix,
    heatmap,
    simple_matrix,
    validate_matrix,
)

G, Y, R = GREEN, YELLOW, RED

# DOMAIN.md's table, transcribed independently of the module: (p, c) -> colour.
DOMAIN_5X5 = {
    5: (Y, Y, R, R, R),
    4: (G, Y, R, R, R),
    3: (G, Y, Y, R, R),
    2: (G, G, Y, Y, Y),
    1: (G, G, G, G, Y),
}


@pytest.mark.parametrize(
    "p, c, colour", [(p, c, DOMAIN_5X5[p][c - 1]) for p in range(1, 6) for c in range(1, 6)]
)
def test_the_default_matrix_colours_every_cell_as_domain_md(p, c, colour):
    assert default_matrix().colour(p, c) == colour


def test_the_default_matrix_is_5x5_with_the_domain_labels():
    matrix = default_matrix()
    assert (matrix.n_probability, matrix.n_consequence) == (5, 5)
    assert matrix.probability_labels[0].nb == "Sjeldnere enn hvert 10. år"
    assert matrix.probability_labels[4].nb == "Månedlig eller oftere"
    assert matrix.consequence_labels[0].nb == "Ubetydelig"
    assert matrix.consequence_labels[4].nb == "Død eller flere alvorlig skadet"
    assert all(label.nb and label.en for label in matrix.probability_labels + matrix.consequence_labels)


@pytest.mark.parametrize("p, c, score", [(1, 1, 1), (2, 3, 6), (4, 3, 12), (5, 5, 25), (3, 5, 15)])
def test_the_score_is_probability_times_consequence(p, c, score):
    assert default_matrix().score(p, c) == score


@pytest.mark.parametrize("p, c", [(0, 1), (1, 0), (6, 1), (1, 6), (True, 1), (2.0, 3), ("2", 3)])
def test_a_level_outside_the_matrix_is_refused(p, c):
    with pytest.raises(ValueError):
        default_matrix().colour(p, c)
    with pytest.raises(ValueError):
        default_matrix().score(p, c)


def test_the_simple_matrix_is_3x3_and_banded_like_the_default():
    matrix = simple_matrix()
    assert (matrix.n_probability, matrix.n_consequence) == (3, 3)
    assert matrix.cells == ((G, G, Y), (G, Y, R), (Y, R, R))


def test_generating_a_5x5_matrix_reproduces_the_shipped_default():
    assert generate_matrix(5, 5) == default_matrix()


@pytest.mark.parametrize("n_prob, n_cons", [(p, c) for p in range(3, 8) for c in range(3, 8)])
def test_a_generated_matrix_of_any_size_is_valid_monotone_and_never_green_at_the_worst_consequence(n_prob, n_cons):
    matrix = generate_matrix(n_prob, n_cons)
    assert validate_matrix(matrix.to_dict()) == []
    rank = {G: 0, Y: 1, R: 2}
    for p in range(1, n_prob + 1):
        assert matrix.colour(p, n_cons) != G
        for c in range(1, n_cons + 1):
            if p < n_prob:
                assert rank[matrix.colour(p, c)] <= rank[matrix.colour(p + 1, c)]
            if c < n_cons:
                assert rank[matrix.colour(p, c)] <= rank[matrix.colour(p, c + 1)]
    assert matrix.colour(1, 1) == G and matrix.colour(n_prob, n_cons) == R


@pytest.mark.parametrize("n_prob, n_cons", [(2, 5), (5, 8), (0, 0), (True, 5)])
def test_generating_a_matrix_outside_3_to_7_levels_is_refused(n_prob, n_cons):
    with pytest.raises(ValueError):
        generate_matrix(n_prob, n_cons)


# --- Editing and the never-green rule ------------------------------------------------------------


def test_recolouring_one_cell_returns_a_new_matrix_and_leaves_the_original_alone():
    original = default_matrix()
    edited = original.with_cell(4, 1, RED)
    assert edited.colour(4, 1) == RED
    assert original.colour(4, 1) == GREEN
    assert [edited.colour(p, c) for p in range(1, 6) for c in range(1, 6) if (p, c) != (4, 1)] == [
        original.colour(p, c) for p in range(1, 6) for c in range(1, 6) if (p, c) != (4, 1)
    ]


@pytest.mark.parametrize("p", [1, 2, 3, 4, 5])
def test_a_consequence_5_hazard_can_never_be_made_green(p):
    with pytest.raises(MatrixError) as raised:
        default_matrix().with_cell(p, 5, GREEN)
    assert raised.value.errors == [(f"cells[{p - 1}][4]", MSG_HIGHEST_CONSEQUENCE_GREEN)]


def test_a_consequence_4_hazard_may_be_made_green_in_a_5x5_matrix():
    assert default_matrix().with_cell(1, 4, GREEN).colour(1, 4) == GREEN


def test_recolouring_with_an_unknown_colour_is_refused():
    with pytest.raises(MatrixError):
        default_matrix().with_cell(1, 1, "blue")


def test_the_never_green_rule_follows_the_highest_consequence_of_a_smaller_matrix():
    data = simple_matrix().to_dict()
    data["cells"][0][2] = GREEN
    assert validate_matrix(data) == [("cells[0][2]", MSG_HIGHEST_CONSEQUENCE_GREEN)]


def test_a_matrix_cannot_be_built_directly_with_a_green_worst_consequence():
    labels = (Label("En"), Label("To"), Label("Tre"))
    with pytest.raises(MatrixError):
        RiskMatrix(labels, labels, ((G, G, G), (G, Y, R), (Y, R, R)))


# --- Validation messages ----------------------------------------------------------------------


def _valid_3x3() -> dict:
    return simple_matrix().to_dict()


def _with(**changes) -> dict:
    data = _valid_3x3()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "data, path",
    [
        (_with(probability_labels=["a", "b"]), "probability_labels"),
        (_with(consequence_labels=["a"] * 8), "consequence_labels"),
        (_with(probability_labels=None), "probability_labels"),
        (_with(consequence_labels=[{"nb": "a"}, {"nb": "  "}, {"nb": "c"}]), "consequence_labels[1].nb"),
        (_with(probability_labels=[{"nb": "a"}, {"en": "only English"}, {"nb": "c"}]), "probability_labels[1].nb"),
        (_with(probability_labels=["a", "b", "x" * 201]), "probability_labels[2].nb"),
        (_with(probability_labels=[{"nb": "a", "en": 5}, "b", "c"]), "probability_labels[0].en"),
        (_with(cells=[[G, G, Y], [G, Y, R]]), "cells"),
        (_with(cells=[[G, G, Y], [G, Y], [Y, R, R]]), "cells[1]"),
        (_with(cells=[[G, G, Y], [G, "blue", R], [Y, R, R]]), "cells[1][1]"),
        (_with(cells=[[G, G, Y], [G, Y, R], [Y, R, "Red"]]), "cells[2][2]"),
        (_with(cells=[[G, G, Y], "GYR", [Y, R, R]]), "cells[1]"),
        (_with(cells=None), "cells"),
    ],
)
def test_an_invalid_matrix_is_reported_field_by_field_in_norwegian(data, path):
    errors = validate_matrix(data)
    assert path in [p for p, _ in errors]
    assert all(isinstance(message, str) and message for _, message in errors)


def test_a_valid_matrix_has_no_validation_errors():
    assert validate_matrix(_valid_3x3()) == []
    assert validate_matrix(default_matrix().to_dict()) == []


@pytest.mark.parametrize("data", [None, [], "matrix", 42])
def test_something_that_is_not_a_matrix_is_one_error(data):
    assert len(validate_matrix(data)) == 1


def test_every_problem_is_reported_at_once():
    errors = validate_matrix(_with(cells=[[G, "x", G], [G, Y, G], [Y, R, R]]))
    assert [path for path, _ in errors] == ["cells[0][1]", "cells[0][2]", "cells[1][2]"]


def test_labels_may_be_given_as_pairs_or_plain_bokmal_strings():
    probability = ("Lav", ("Middels", "Medium"), {"nb": "Høy", "en": "High"})
    matrix = RiskMatrix(probability, ("a", "b", "c"), simple_matrix().cells)
    assert matrix.probability_labels == (Label("Lav", ""), Label("Middels", "Medium"), Label("Høy", "High"))


# --- Snapshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "matrix",
    [
        default_matrix(),
        simple_matrix(),
        generate_matrix(4, 6),
        generate_matrix(7, 3),
        default_matrix().with_cell(2, 1, RED),
    ],
)
def test_a_snapshot_survives_a_json_round_trip_unchanged(matrix):
    snapshot = json.loads(json.dumps(matrix.to_dict()))
    restored = RiskMatrix.from_dict(snapshot)
    assert restored == matrix
    assert restored.to_dict() == matrix.to_dict()


def test_a_snapshot_keeps_rendering_the_same_after_the_tenant_edits_its_matrix():
    used_by_assessment = default_matrix().to_dict()
    tenant_matrix = default_matrix().with_cell(3, 3, RED)
    assert tenant_matrix.colour(3, 3) == RED
    assert RiskMatrix.from_dict(used_by_assessment).colour(3, 3) == YELLOW


def test_changing_the_dict_from_to_dict_does_not_change_the_matrix():
    matrix = default_matrix()
    data = matrix.to_dict()
    data["cells"][0][0] = RED
    assert matrix.colour(1, 1) == GREEN


def test_reading_an_invalid_snapshot_raises_with_every_error():
    data = default_matrix().to_dict()
    data["cells"][0][4] = GREEN
    data["cells"][1][1] = "purple"
    with pytest.raises(MatrixError) as raised:
        RiskMatrix.from_dict(data)
    assert {path for path, _ in raised.value.errors} == {"cells[0][4]", "cells[1][1]"}


def test_reading_a_snapshot_of_an_unknown_format_is_refused():
    data = default_matrix().to_dict()
    data["format"] = 99
    with pytest.raises(MatrixError):
        RiskMatrix.from_dict(data)


def test_a_matrix_is_hashable_and_equal_however_it_was_built():
    built_from_lists = RiskMatrix.from_dict(
        {
            "probability_labels": ["a", "b", "c"],
            "consequence_labels": ["a", "b", "c"],
            "cells": [[G, G, Y], [G, Y, R], [Y, R, R]],
        }
    )
    built_from_tuples = RiskMatrix(("a", "b", "c"), ("a", "b", "c"), ((G, G, Y), (G, Y, R), (Y, R, R)))
    assert built_from_lists == built_from_tuples
    assert hash(built_from_lists) == hash(built_from_tuples)


@given(
    st.integers(3, 7).flatmap(
        lambda n_p: st.integers(3, 7).flatmap(
            lambda n_c: st.lists(
                st.lists(st.sampled_from(COLOURS), min_size=n_c, max_size=n_c), min_size=n_p, max_size=n_p
            )
        )
    )
)
def test_any_matrix_is_valid_exactly_when_no_worst_consequence_cell_is_green(cells):
    n_p, n_c = len(cells), len(cells[0])
    data = {
        "probability_labels": [f"P{i}" for i in range(n_p)],
        "consequence_labels": [f"K{i}" for i in range(n_c)],
        "cells": cells,
    }
    errors = validate_matrix(data)
    assert (errors == []) == all(row[-1] != GREEN for row in cells)
    if not errors:
        assert RiskMatrix.from_dict(data).to_dict()["cells"] == cells


# --- Heat map -----------------------------------------------------------------------------------


def test_the_heatmap_counts_hazards_per_cell_and_per_colour():
    result = heatmap([(1, 1), (1, 1), (3, 4), (5, 5), (2, 5)])
    assert result["counts"][0][0] == 2
    assert result["counts"][2][3] == 1
    assert result["counts"][4][4] == 1
    assert result["counts"][1][4] == 1
    assert sum(map(sum, result["counts"])) == 5
    assert result["by_colour"] == {GREEN: 2, YELLOW: 1, RED: 2}
    assert result["total"] == 5 and result["unscored"] == 0
    assert result["colours"] == [list(row) for row in default_matrix().cells]


def test_the_heatmap_counts_unscored_hazards_apart():
    result = heatmap([(None, None), (2, None), (4, 4)])
    assert result["total"] == 1 and result["unscored"] == 2


def test_the_heatmap_of_no_hazards_is_all_zero():
    result = heatmap([], simple_matrix())
    assert result["counts"] == [[0, 0, 0]] * 3
    assert result["by_colour"] == {GREEN: 0, YELLOW: 0, RED: 0}


def test_the_heatmap_uses_the_given_matrix_and_is_json_safe():
    result = heatmap([(3, 3)], simple_matrix())
    assert result["counts"] == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert json.loads(json.dumps(result)) == result


def test_a_hazard_scored_outside_the_matrix_makes_the_heatmap_fail_loudly():
    with pytest.raises(ValueError):
        heatmap([(4, 4)], simple_matrix())
