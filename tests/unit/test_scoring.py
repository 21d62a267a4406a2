"""Survey scoring and k-anonymity: no aggregate of fewer than k respondents ever comes out."""

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saas.surveys.questionnaire_builtin import BUILTIN_QUESTIONNAIRE
from saas.surveys.scoring import (
    MIN_K,
    build_report,
    colour_class,
    effective_k,
    group_report,
    item_score,
    respondent_dimension_scores,
    suppress,
)


def questionnaire(**dims):
    """A small questionnaire: dims maps key -> (item count, direction[, reversed item indexes])."""
    scale = {"key": "s", "options": [{"nb": str(i)} for i in range(5)]}
    dimensions, items = [], []
    for key, (count, direction, *rest) in dims.items():
        reversed_ = rest[0] if rest else ()
        dimensions.append({"key": key, "name": {"nb": key}, "direction": direction,
                           "prevalence": key == "bullying"})
        items += [{"key": f"{key}_{i}", "dimension": key, "text": {"nb": "?"}, "scale": "s",
                   "reversed": i in reversed_} for i in range(1, count + 1)]
    return {"key": "q", "version": "1", "title": {"nb": "Q"}, "scales": [scale],
            "dimensions": dimensions, "items": items}


Q = questionnaire(support=(4, "high_is_good"), demands=(3, "high_is_bad", (3,)),
                  bullying=(2, "high_is_bad"))


def answers(position=1, **overrides):
    """One respondent answering every item of Q at `position`, with per-item overrides."""
    base = {item["key"]: position for item in Q["items"]}
    return {**base, **overrides}


def people(n, **kw):
    return [answers(**kw) for _ in range(n)]


def dim(scope, key):
    return next(d for d in scope["dimensions"] if d["key"] == key)


def group(report, key):
    return next(g for g in report["groups"] if g["key"] == key)


def walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# ---------------------------------------------------------------- scores

@pytest.mark.parametrize("position, reversed_, expected", [
    (0, False, 100.0), (1, False, 75.0), (2, False, 50.0), (3, False, 25.0), (4, False, 0.0),
    (0, True, 0.0), (1, True, 25.0), (2, True, 50.0), (3, True, 75.0), (4, True, 100.0),
])
def test_an_item_scores_100_75_50_25_0_by_position_and_reversal_turns_it_round(
        position, reversed_, expected):
    assert item_score(position, reversed_) == expected


@pytest.mark.parametrize("position", [-1, 5, True, 2.0, "2", None])
def test_an_answer_outside_the_five_positions_is_refused(position):
    with pytest.raises(ValueError):
        item_score(position, False)


@pytest.mark.parametrize("given_answers, expected_support", [
    ({"support_1": 0, "support_2": 0, "support_3": 0, "support_4": 0}, 100.0),
    ({"support_1": 0, "support_2": 4, "support_3": None, "support_4": None}, 50.0),  # half is ok
    ({"support_1": 0, "support_2": None, "support_3": None, "support_4": None}, None),  # 1 of 4
    ({"support_1": 1}, None),
    ({}, None),
])
def test_a_dimension_score_is_the_mean_of_answered_items_when_at_least_half_are_answered(
        given_answers, expected_support):
    assert respondent_dimension_scores(given_answers, Q)["support"] == expected_support


@pytest.mark.parametrize("given_answers, expected", [
    ({"demands_1": 0, "demands_2": 0, "demands_3": 0}, 200 / 3),  # item 3 reversed
    ({"demands_1": 0, "demands_2": None, "demands_3": 4}, 100.0),  # 2 of 3 answered
    ({"demands_1": 0, "demands_2": None, "demands_3": None}, None),  # 1 of 3 is below half
])
def test_reversed_items_count_the_other_way_in_the_dimension(given_answers, expected):
    score = respondent_dimension_scores(given_answers, Q)["demands"]
    assert score is None if expected is None else score == pytest.approx(expected)


@pytest.mark.parametrize("score, direction, prevalence, expected", [
    (80, "high_is_good", False, "good"), (70, "high_is_good", False, "good"),
    (60, "high_is_good", False, "medium"), (50, "high_is_good", False, "medium"),
    (49.9, "high_is_good", False, "bad"),
    (20, "high_is_bad", False, "good"), (30, "high_is_bad", False, "good"),
    (40, "high_is_bad", False, "medium"), (50.1, "high_is_bad", False, "bad"),
    (0, "high_is_bad", True, "good"), (2.5, "high_is_bad", True, "bad"),
])
def test_the_colour_class_depends_on_the_direction_and_any_exposure_is_bad(
        score, direction, prevalence, expected):
    assert colour_class(score, direction, prevalence) == expected


# ---------------------------------------------------------------- k

@pytest.mark.parametrize("tenant_k, survey_k, expected", [
    (None, None, 5), (3, None, 5), (0, 2, 5), (-10, None, 5), (7, None, 7),
    (7, 6, 7), (5, 9, 9), (None, 8, 8),
])
def test_effective_k_can_be_raised_but_never_below_five(tenant_k, survey_k, expected):
    assert effective_k(tenant_k, survey_k) == expected == max(MIN_K, expected)


@pytest.mark.parametrize("k", [4, 0, True, 5.0])
def test_a_report_with_k_below_five_is_refused(k):
    with pytest.raises(ValueError):
        build_report(Q, {None: people(10)}, k=k)
    with pytest.raises(ValueError):
        suppress({"a": 10}, 10, k)


# ---------------------------------------------------------------- suppression of groups

SUPPRESSION = [
    # name, groups, total, k, hidden
    ("a group of 4 is hidden and so is everything when the total is 4",
     {"a": 4}, 4, 5, {"a"}),
    ("a lone group of 5 is shown", {"a": 5}, 5, 5, set()),
    ("12 and 3 with total 15: both hidden, the total stays shown",
     {"a": 12, "b": 3}, 15, 5, {"a", "b"}),
    ("three groups with one small: the next-smallest is hidden with it",
     {"a": 10, "b": 8, "c": 2}, 20, 5, {"b", "c"}),
    ("two small groups that together reach k protect each other",
     {"a": 10, "b": 3, "c": 3}, 16, 5, {"b", "c"}),
    ("hiding continues until the hidden sum reaches k",
     {"a": 20, "b": 1, "c": 5, "d": 6}, 32, 5, {"b", "c"}),
    ("all groups large: nothing hidden", {"a": 6, "b": 7, "c": 50}, 63, 5, set()),
    ("an empty group is hidden but needs no partner", {"a": 9, "b": 0}, 9, 5, {"b"}),
    ("respondents outside any group count like a hidden group",
     {"a": 10, "b": 10}, 22, 5, {"a"}),
    ("a raised k hides more", {"a": 6, "b": 6}, 12, 7, {"a", "b"}),
    ("a total below k hides every group", {"a": 2, "b": 2}, 4, 5, {"a", "b"}),
]


@pytest.mark.parametrize("groups, total, k, hidden", [c[1:] for c in SUPPRESSION],
                         ids=[c[0] for c in SUPPRESSION])
def test_suppression_hides_small_groups_and_their_complements(groups, total, k, hidden):
    assert suppress(groups, total, k) == hidden


@pytest.mark.parametrize("groups, total", [({"a": -1}, 5), ({"a": 5, "b": 5}, 9)])
def test_suppression_refuses_counts_that_do_not_add_up(groups, total):
    with pytest.raises(ValueError):
        suppress(groups, total, 5)


@settings(max_examples=400, deadline=None, database=None)
@given(sizes=st.lists(st.integers(0, 30), min_size=1, max_size=7),
       outside=st.integers(0, 8), k=st.integers(5, 10))
def test_property_no_count_below_k_can_be_derived_from_total_and_visible_groups(sizes, outside, k):
    groups = {f"g{i}": n for i, n in enumerate(sizes)}
    total = sum(sizes) + outside
    hidden = suppress(groups, total, k)
    visible = [g for g in groups if g not in hidden]
    if total < k:
        assert hidden == set(groups)  # and the caller hides the total
        return
    assert all(groups[g] >= k for g in visible)
    # total minus any selection of visible groups: 0 or at least k, never 1..k-1
    for r in range(len(visible) + 1):
        for chosen in itertools.combinations(visible, r):
            derived = total - sum(groups[g] for g in chosen)
            assert derived == 0 or derived >= k


# ---------------------------------------------------------------- the report

def test_a_group_of_four_gives_a_report_with_no_numbers_at_all():
    report = build_report(Q, {None: people(4)}, {None: 10})
    assert report["total"] == {"suppressed": True}
    assert report["groups"] == []


def test_a_group_of_five_is_scored_with_n_direction_colour_and_distributions():
    scope = group_report(Q, people(5, position=1), invited=10)
    assert (scope["respondents"], scope["invited"], scope["response_rate"]) == (5, 10, 0.5)
    support = dim(scope, "support")
    assert (support["score"], support["n"], support["direction"], support["colour"]) == \
        (75.0, 5, "high_is_good", "good")
    assert support["items"][0] == {"key": "support_1", "suppressed": False, "n": 5,
                                   "counts": [0, 5, 0, 0, 0]}


def test_a_group_score_is_the_mean_of_its_respondents_dimension_scores():
    # 4 people answer all four items (100) and 1 answers only two of them (0): mean 80, not 88.9
    partly = answers(0, support_1=4, support_2=4, support_3=None, support_4=None)
    scope = group_report(Q, people(4, position=0) + [partly])
    assert dim(scope, "support")["score"] == 80.0


def test_two_groups_where_total_minus_one_would_reveal_the_other_are_both_hidden():
    report = build_report(Q, {"lager": people(12), "kontor": people(3)})
    assert report["total"]["respondents"] == 15
    assert report["groups"] == [{"key": "lager", "suppressed": True},
                                {"key": "kontor", "suppressed": True}]


def test_three_groups_with_one_small_hide_the_small_and_the_next_smallest():
    report = build_report(Q, {"a": people(10), "b": people(8), "c": people(2)},
                          {"a": 12, "b": 10, "c": 5})
    assert group(report, "a")["respondents"] == 10
    assert group(report, "b") == {"key": "b", "suppressed": True}
    assert group(report, "c") == {"key": "c", "suppressed": True}
    assert report["total"]["response_rate"] == round(20 / 27, 4)


def test_a_dimension_with_n_below_k_is_hidden_even_when_the_group_is_large_enough():
    skipped = {"support_1": None, "support_2": None, "support_3": None, "support_4": None}
    scope = group_report(Q, people(4) + people(3, **skipped))
    assert scope["respondents"] == 7
    assert dim(scope, "support") == {"key": "support", "suppressed": True}
    assert dim(scope, "demands")["n"] == 7


def test_a_group_dimension_is_hidden_when_the_total_minus_it_would_reveal_fewer_than_k():
    skipped = {"support_1": None, "support_2": None, "support_3": None, "support_4": None}
    # group a: 8 answered support; group b: 6 respondents, 3 of them skipped support
    report = build_report(Q, {"a": people(8), "b": people(3) + people(3, **skipped)})
    assert dim(report["total"], "support")["n"] == 11
    assert dim(group(report, "a"), "support") == {"key": "support", "suppressed": True}
    assert dim(group(report, "b"), "support") == {"key": "support", "suppressed": True}
    assert dim(group(report, "a"), "demands")["n"] == 8


@pytest.mark.parametrize("partial, items_shown", [(0, True), (1, False), (4, False), (5, True)])
def test_distributions_are_withheld_beside_the_score_when_1_to_k_minus_1_answered_partly(
        partial, items_shown):
    # score*n minus the item sums would otherwise isolate the few who answered only partly
    half = {"support_3": None, "support_4": None}
    scope = group_report(Q, people(10) + people(partial, **half))
    support = dim(scope, "support")
    assert support["suppressed"] is False
    assert all(item["suppressed"] is not items_shown for item in support["items"])
    if not items_shown:
        assert support["items"][0] == {"key": "support_1", "suppressed": True}


def test_an_item_answered_by_fewer_than_k_has_its_distribution_withheld():
    # everyone scores the dimension (3 of 4 answered) but only 4 answered support_4
    three = {"support_4": None}
    scope = group_report(Q, people(4) + people(6, **three))
    assert dim(scope, "support")["n"] == 10
    assert all(item["suppressed"] for item in dim(scope, "support")["items"])


def test_any_reported_bullying_colours_the_dimension_bad():
    exposed = answers(4, bullying_1=3)  # "Ja, noen få ganger" once
    scope = group_report(Q, people(9, position=4) + [exposed])
    assert dim(scope, "bullying")["colour"] == "bad"
    assert dim(group_report(Q, people(10, position=4)), "bullying")["colour"] == "good"


def test_the_reference_from_last_year_is_attached_only_where_it_was_shown_with_n_at_least_k():
    last_year = build_report(Q, {"a": people(6, position=2), "b": people(6, position=2)})
    raised = build_report(Q, {"a": people(6), "b": people(6)}, k=6, reference=last_year)
    assert dim(group(raised, "a"), "support")["reference"] == 50.0
    assert dim(raised["total"], "support")["reference"] == 50.0
    stricter = build_report(Q, {"a": people(7), "b": people(7)}, k=7, reference=last_year)
    assert dim(group(stricter, "a"), "support")["reference"] is None
    assert dim(stricter["total"], "support")["reference"] == 50.0


def test_groups_invited_but_without_answers_are_listed_as_suppressed():
    report = build_report(Q, {"a": people(6)}, {"a": 6, "b": 4})
    assert group(report, "b") == {"key": "b", "suppressed": True}


def test_the_report_is_json_safe_plain_data():
    report = build_report(BUILTIN_QUESTIONNAIRE, {1: [{}] * 5, None: [{"dem_1": 0}] * 5})
    assert json.loads(json.dumps(report)) == report


def test_the_builtin_questionnaire_is_scored_end_to_end():
    everything_good = {item["key"]: (4 if item["dimension"] in ("demands", "role_conflict",
                                                                   "emotional", "bullying") else 0)
                       for item in BUILTIN_QUESTIONNAIRE["items"]}
    everything_good.update(dem_4=0, cla_3=4, lsu_4=4)  # the reversed items
    scope = group_report(BUILTIN_QUESTIONNAIRE, [everything_good] * 5)
    assert {d["colour"] for d in scope["dimensions"]} == {"good"}


# ---------------------------------------------------------------- the report, as a property

SMALL = questionnaire(x=(2, "high_is_good"), y=(3, "high_is_bad"))
SMALL_ITEMS = [item["key"] for item in SMALL["items"]]
respondent = st.fixed_dictionaries(
    {key: st.one_of(st.none(), st.integers(0, 4)) for key in SMALL_ITEMS})


def _assert_no_leak(counts_by_group, shown_groups, total, total_shown, k, zero_ok=False):
    for g in shown_groups:
        assert counts_by_group[g] >= k or (zero_ok and counts_by_group[g] == 0)
    if total_shown:
        derived = total - sum(counts_by_group[g] for g in shown_groups)
        assert derived == 0 or derived >= k


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.lists(st.lists(respondent, max_size=14), min_size=1, max_size=4),
       k=st.integers(5, 7))
def test_property_no_shown_or_derivable_aggregate_covers_fewer_than_k(groups, k):
    by_group = {f"g{i}": rs for i, rs in enumerate(groups)}
    report = build_report(SMALL, by_group, k=k)
    for node in walk(report):
        if isinstance(node, dict) and node.get("suppressed") is True:
            assert set(node) <= {"key", "suppressed"}
        if isinstance(node, dict) and node.get("suppressed") is False:
            for field in ("respondents", "n"):
                assert node.get(field, k) >= k
    total = report["total"]
    shown = [g for g in report["groups"] if not g["suppressed"]]
    sizes = {g: len(rs) for g, rs in by_group.items()}
    shown_keys = [g["key"] for g in shown]
    _assert_no_leak(sizes, shown_keys, sum(sizes.values()), not total["suppressed"], k)
    if total["suppressed"]:
        return

    def has_score(rs, key, n_items):
        answered = sum(rs.get(f"{key}_{i}") is not None for i in range(1, n_items + 1))
        return answered and 2 * answered >= n_items

    def partial(rs, key, n_items):
        answered = sum(rs.get(f"{key}_{i}") is not None for i in range(1, n_items + 1))
        return 0 < answered < n_items

    for key, n_items in (("x", 2), ("y", 3)):
        n = {g: sum(bool(has_score(r, key, n_items)) for r in rs) for g, rs in by_group.items()}
        p = {g: sum(partial(r, key, n_items) for r in rs) for g, rs in by_group.items()}
        total_dim = dim(total, key)
        with_score = [g["key"] for g in shown if not dim(g, key)["suppressed"]]
        _assert_no_leak(n, with_score, sum(n.values()), not total_dim["suppressed"], k)
        total_items = not total_dim["suppressed"] and not total_dim["items"][0]["suppressed"]
        with_items = [g["key"] for g in shown if not dim(g, key)["suppressed"]
                      and not dim(g, key)["items"][0]["suppressed"]]
        assert set(with_items) <= set(with_score)
        # partial answerers: shown scopes and the derivable remainder hold 0 or >= k of them
        _assert_no_leak(p, with_items, sum(p.values()), total_items, k, zero_ok=True)
        if total_items:
            assert sum(p.values()) == 0 or sum(p.values()) >= k
        for i in range(1, n_items + 1):
            item = f"{key}_{i}"
            a = {g: sum(r.get(item) is not None for r in rs) for g, rs in by_group.items()}
            _assert_no_leak(a, with_items, sum(a.values()), total_items, k)


# -- more answers than people (issue 12: ballot stuffing on an open link) ---------------------------------------

def test_a_group_with_more_answers_than_employees_is_hidden_and_so_is_the_total():
    from saas.surveys.scoring import over_headcount

    assert over_headcount({"Lager": 5, "Kontor": 12}, {"Lager": 3, "Kontor": 12}) == ({"Lager"}, True)
    assert over_headcount({"Lager": 3, "Kontor": 12}, {"Lager": 3, "Kontor": 12}, 15) == (set(), False)
    # Only the total over its headcount: the answers without a group are the ones that can't be checked.
    assert over_headcount({"Lager": 3, None: 4}, {"Lager": 3}, 5) == ({None}, True)
    assert over_headcount({None: 9}, {}, 8) == ({None}, True)  # an ungrouped survey: the total is all there is
    assert over_headcount({"Lager": 40}, {"Lager": None}) == (set(), False)  # unknown headcount: nothing to check
