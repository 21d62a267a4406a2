"""Scoring of the psychosocial survey, and the k-anonymity that guards every number it shows.

Pure: standard library only; plain data in (a questionnaire in the import format, answers as
{item_key: option position or None}), plain JSON-safe data out. Nothing here outputs one
respondent's answers or scores: `respondent_dimension_scores` is an input to aggregation only.

Anonymity (DOMAIN.md, "Psychosocial survey"): no aggregate of fewer than k respondents (k >= 5)
may be shown or be derivable from what is shown. Within one report this module guarantees:
- every shown group, dimension score and item distribution covers at least k respondents;
- complementary (secondary) suppression: when the total is shown, "total minus the shown groups"
  is 0 or at least k, for respondent counts, for each dimension's n and for each item's n.
  Choice: for groups of 12 and 3 (total 15) both groups are hidden and the total stays shown;
- a dimension score is the mean of per-respondent means, so it is not a linear function of its
  item distributions when someone answered a dimension only partly. Showing both would let
  "score*n - item sums" isolate the partial answerers; so a scope's item distributions for a
  dimension are withheld when 1..k-1 of its respondents answered that dimension partly.
What the caller must ensure (it can't be seen from here):
- groups partition the survey's respondents (no nesting, one grouping per survey), since two
  reports cut differently can be subtracted from each other;
- a report is built once the survey is closed, and `reference` is a different survey: two
  snapshots of one survey differ by the few who answered in between;
- per-option counts in a shown distribution may be below k: a distribution over >= k people is
  the accepted aggregate (as in any k-anonymous report), the option counts are not separate groups.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MIN_K = 5
POINTS = 5  # every scale has 5 options; position 0 scores 100, position 4 scores 0

# Colour classes work on "goodness" (the score, or 100 - score where high is bad), so one rule
# serves both directions: good from 70 (on average better than "often"/"to a large extent"
# minus a little), bad below 50 (worse than the scale's midpoint), medium in between.
# Prevalence dimensions (bullying etc.) are "good" only at 0: any reported exposure is "bad".
GOOD_FROM = 70.0
BAD_BELOW = 50.0

Answers = Mapping[str, "int | None"]


def effective_k(tenant_k: int | None = None, survey_k: int | None = None) -> int:
    """The k to apply: tenants and surveys may raise it, nothing lowers it below MIN_K."""
    chosen = MIN_K
    for value in (tenant_k, survey_k):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"k must be an integer, got {value!r}")
        chosen = max(chosen, value)
    return chosen


def item_score(position: int, reversed: bool = False) -> float:
    """Score of the option at `position` (0..4): 100/75/50/25/0, or 0..100 when reversed."""
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < POINTS:
        raise ValueError(f"answer position must be an integer 0..{POINTS - 1}, got {position!r}")
    score = 100.0 * (POINTS - 1 - position) / (POINTS - 1)
    return 100.0 - score if reversed else score


def colour_class(score: float, direction: str, prevalence: bool = False) -> str:
    """"good", "medium" or "bad" for a 0..100 score, aware of the dimension's direction."""
    if prevalence:
        return "good" if score == 0 else "bad"
    goodness = score if direction == "high_is_good" else 100.0 - score
    if goodness >= GOOD_FROM:
        return "good"
    return "bad" if goodness < BAD_BELOW else "medium"


@dataclass(frozen=True)
class _Dimension:
    key: str
    direction: str
    prevalence: bool
    items: tuple[str, ...]


@dataclass(frozen=True)
class _Layout:
    dimensions: tuple[_Dimension, ...]
    reversed: Mapping[str, bool]


def _layout(questionnaire: Mapping[str, Any]) -> _Layout:
    """The parts of a (validated) questionnaire that scoring needs."""
    items_of: dict[str, list[str]] = {d["key"]: [] for d in questionnaire["dimensions"]}
    reversed_: dict[str, bool] = {}
    for item in questionnaire["items"]:
        items_of[item["dimension"]].append(item["key"])
        reversed_[item["key"]] = bool(item.get("reversed", False))
    dims = tuple(
        _Dimension(
            d["key"], d["direction"], bool(d.get("prevalence", False)), tuple(items_of[d["key"]])
        )
        for d in questionnaire["dimensions"]
        if items_of[d["key"]]
    )
    return _Layout(dims, reversed_)


def respondent_dimension_scores(
    answers: Answers, questionnaire: Mapping[str, Any]
) -> dict[str, float | None]:
    """One respondent's score per dimension (None when fewer than half its items are answered).

    For aggregation only: never show or store the result per respondent.
    """
    return _dimension_scores(answers, _layout(questionnaire))


def _dimension_scores(answers: Answers, layout: _Layout) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for dim in layout.dimensions:
        answered = [
            item_score(answers[key], layout.reversed[key])
            for key in dim.items
            if answers.get(key) is not None
        ]
        enough = answered and 2 * len(answered) >= len(dim.items)
        scores[dim.key] = sum(answered) / len(answered) if enough else None
    return scores


@dataclass
class _Tally:
    """Raw aggregates of one scope. Never leaves this module unsuppressed."""

    respondents: int
    sums: dict[str, float]  # dimension key -> sum of respondent dimension scores
    n: dict[str, int]  # dimension key -> respondents with a dimension score
    partial: dict[str, int]  # dimension key -> respondents who answered some but not all items
    counts: dict[str, list[int]]  # item key -> respondents per option position


def _tally(responses: Iterable[Answers], layout: _Layout) -> _Tally:
    dims = layout.dimensions
    tally = _Tally(
        respondents=0,
        sums={d.key: 0.0 for d in dims},
        n={d.key: 0 for d in dims},
        partial={d.key: 0 for d in dims},
        counts={key: [0] * POINTS for d in dims for key in d.items},
    )
    for answers in responses:
        tally.respondents += 1
        for key, score in _dimension_scores(answers, layout).items():
            if score is not None:
                tally.sums[key] += score
                tally.n[key] += 1
        for dim in dims:
            positions = [answers.get(key) for key in dim.items]
            answered = sum(p is not None for p in positions)
            tally.partial[dim.key] += int(0 < answered < len(positions))
            for key, position in zip(dim.items, positions):
                if position is not None:
                    tally.counts[key][position] += 1
    return tally


def _merge(tallies: Iterable[_Tally], layout: _Layout) -> _Tally:
    total = _tally((), layout)
    for t in tallies:
        total.respondents += t.respondents
        for key in total.n:
            total.sums[key] += t.sums[key]
            total.n[key] += t.n[key]
            total.partial[key] += t.partial[key]
        for key, counts in t.counts.items():
            total.counts[key] = [a + b for a, b in zip(total.counts[key], counts)]
    return total


# A count vector for suppression: (count per group, count for the whole survey, whether that whole
# count is shown, whether a group count of 0 may be shown).
_Vector = tuple[Mapping[Hashable, int], int, bool, bool]


def _hide(
    vectors: Sequence[_Vector], k: int, order: Sequence[Hashable], hidden: Iterable[Hashable] = ()
) -> set:
    """Primary then secondary suppression over groups sharing one hidden set.

    Primary: a group with a count in 1..k-1 (or 0 where a 0 may not be shown) is hidden.
    Secondary: while a shown total minus the shown groups' counts is in 1..k-1, the smallest
    shown group (by the first vector, ties in `order`) is hidden too.
    """
    hidden = set(hidden)
    for counts, _total, _shown, zero_ok in vectors:
        for g in order:
            count = counts.get(g, 0)
            if count < k and not (zero_ok and count == 0):
                hidden.add(g)
    size, position = vectors[0][0], {g: i for i, g in enumerate(order)}
    while True:
        visible = [g for g in order if g not in hidden]
        leaks = any(
            shown and 0 < total - sum(counts.get(g, 0) for g in visible) < k
            for counts, total, shown, _zero_ok in vectors
        )
        if not visible or not leaks:
            return hidden
        hidden.add(min(visible, key=lambda g: (size.get(g, 0), position[g])))


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_K:
        raise ValueError(f"k must be an integer >= {MIN_K}; use effective_k()")


def suppress(
    groups: Mapping[Hashable, int],
    total: int,
    k: int = MIN_K,
    *,
    already_hidden: Iterable[Hashable] = (),
) -> set:
    """The group keys to hide so that no count below k is shown or derivable.

    Hides groups below k, then (secondary suppression) the next-smallest shown groups until
    `total` minus the shown groups is 0 or >= k. With `total` < k every group is hidden, and the
    caller must hide the total as well. `total` may exceed the groups' sum (respondents in no
    group). `already_hidden` seeds the hidden set (e.g. groups hidden at a coarser level).
    """
    _check_k(k)
    if any(c < 0 for c in groups.values()) or total < sum(groups.values()):
        raise ValueError("counts must be >= 0 and total >= the sum of the groups")
    if total < k:
        return set(groups)
    return _hide([(groups, total, True, False)], k, list(groups), already_hidden)


@dataclass(frozen=True)
class _Visibility:
    hidden: set  # groups hidden entirely
    dim_total: dict[str, bool]  # dimension key -> total's score shown
    dim_hidden: dict[str, set]  # dimension key -> groups whose score is hidden
    items_total: dict[str, bool]  # dimension key -> total's item distributions shown
    items_hidden: dict[str, set]  # dimension key -> groups whose item distributions are hidden


def _visibility(
    tallies: Mapping[Hashable, _Tally], total: _Tally, layout: _Layout, k: int
) -> _Visibility:
    order = list(tallies)
    hidden = suppress({g: t.respondents for g, t in tallies.items()}, total.respondents, k)
    dim_total, dim_hidden, items_total, items_hidden = {}, {}, {}, {}
    for dim in layout.dimensions:
        d = dim.key
        dim_total[d] = total.respondents >= k and total.n[d] >= k
        n_vector = ({g: t.n[d] for g, t in tallies.items()}, total.n[d], dim_total[d], False)
        dim_hidden[d] = _hide([n_vector], k, order, hidden)
        # Item distributions only where the dimension score is shown (so both are over >= k), and
        # never beside it when 1..k-1 answered the dimension partly (see the module docstring).
        items_total[d] = (
            dim_total[d]
            and all(sum(total.counts[i]) >= k for i in dim.items)
            and not 0 < total.partial[d] < k
        )
        answered = [
            ({g: sum(t.counts[i]) for g, t in tallies.items()}, sum(total.counts[i]))
            for i in dim.items
        ]
        partial = ({g: t.partial[d] for g, t in tallies.items()}, total.partial[d])
        vectors = [n_vector]
        vectors += [(by_group, count, items_total[d], False) for by_group, count in answered]
        vectors.append((*partial, items_total[d], True))
        items_hidden[d] = _hide(vectors, k, order, dim_hidden[d])
    return _Visibility(hidden, dim_total, dim_hidden, items_total, items_hidden)


def _json_key(key: Hashable) -> Any:
    plain = key is None or (isinstance(key, (str, int)) and not isinstance(key, bool))
    return key if plain else str(key)


def _reference_scores(scope: Any, k: int) -> dict[str, float]:
    """Shown dimension scores of a scope from an earlier report, re-checked against today's k."""
    if not isinstance(scope, Mapping) or scope.get("suppressed", True):
        return {}
    found = {}
    for entry in scope.get("dimensions") or ():
        if not isinstance(entry, Mapping) or entry.get("suppressed", True):
            continue
        score, n = entry.get("score"), entry.get("n")
        if isinstance(score, (int, float)) and isinstance(n, int) and n >= k:
            found[entry.get("key")] = float(score)
    return found


def _scope(
    tally: _Tally,
    invited: int | None,
    layout: _Layout,
    dim_shown: Mapping[str, bool],
    items_shown: Mapping[str, bool],
    reference: Mapping[str, float],
) -> dict[str, Any]:
    """One shown scope (the total or a group); only call it after the visibility checks."""
    dimensions = []
    for dim in layout.dimensions:
        d = dim.key
        if not dim_shown[d]:
            dimensions.append({"key": d, "suppressed": True})
            continue
        score = tally.sums[d] / tally.n[d]
        if items_shown[d]:
            items = [
                {"key": i, "suppressed": False, "n": sum(tally.counts[i]),
                 "counts": list(tally.counts[i])}
                for i in dim.items
            ]
        else:
            items = [{"key": i, "suppressed": True} for i in dim.items]
        dimensions.append({
            "key": d,
            "suppressed": False,
            "score": round(score, 1),
            "n": tally.n[d],
            "direction": dim.direction,
            "colour": colour_class(score, dim.direction, dim.prevalence),
            "reference": reference.get(d),
            "items": items,
        })
    rate = round(tally.respondents / invited, 4) if invited else None
    return {
        "suppressed": False,
        "respondents": tally.respondents,
        "invited": invited,
        "response_rate": rate,
        "dimensions": dimensions,
    }


def over_headcount(
    respondents: Mapping[Hashable, int],
    headcount_by_group: Mapping[Hashable, int | None],
    total_headcount: int | None = None,
) -> tuple[set, bool]:
    """(groups with more answers than people, whether the total must be hidden too).

    More answers than people means some were forged, and the forger knows their values: the rest's
    scores would follow by subtraction, whatever k says.  Such a group is hidden, and so is the total
    (total minus the shown groups is the group again).  When only the total is over its headcount, the
    answers without a group (key None) are hidden with it.
    """
    over = {g for g, n in respondents.items()
            if headcount_by_group.get(g) is not None and n > headcount_by_group[g]}
    total_over = total_headcount is not None and sum(respondents.values()) > total_headcount
    if total_over and not over and None in respondents:
        over.add(None)
    return over, bool(over) or total_over


def build_report(
    questionnaire: Mapping[str, Any],
    responses_by_group: Mapping[Hashable, Sequence[Answers]],
    invited_by_group: Mapping[Hashable, int | None] | None = None,
    k: int = MIN_K,
    reference: Mapping[str, Any] | None = None,
    headcount_by_group: Mapping[Hashable, int | None] | None = None,
    total_headcount: int | None = None,
) -> dict[str, Any]:
    """The survey report as JSON-safe data, with everything below k suppressed.

    `responses_by_group` maps a group key (department ...) to its respondents' answers; the key
    None holds respondents without a group, and `{None: [...]}` alone is an ungrouped survey.
    `invited_by_group` gives invitations or headcount per group; the total's denominator is the
    sum of those given. `reference` is an earlier report of another survey (last year's); its
    shown scores are attached per group and dimension. Suppressed entries are
    {"key": ..., "suppressed": True} and nothing else, or with "over_headcount": True when a
    group (or the total) has more answers than `headcount_by_group` (`total_headcount`) allows:
    see `over_headcount`. Raises ValueError for k < MIN_K or an answer position outside 0..4.
    """
    _check_k(k)
    invited_by_group = invited_by_group or {}
    layout = _layout(questionnaire)
    order = list(responses_by_group) + [g for g in invited_by_group if g not in responses_by_group]
    tallies = {g: _tally(responses_by_group.get(g, ()), layout) for g in order}
    total = _merge(tallies.values(), layout)
    seen = _visibility(tallies, total, layout, k)
    over, total_over = over_headcount({g: t.respondents for g, t in tallies.items()}, headcount_by_group or {},
                                      total_headcount)

    given = [v for v in invited_by_group.values() if v is not None]
    ref = reference or {}
    ref_groups = {e.get("key"): e for e in ref.get("groups") or () if isinstance(e, Mapping)}
    if total_over:
        total_out = {"suppressed": True, "over_headcount": True}
    elif total.respondents >= k:
        total_out = _scope(total, sum(given) if given else None, layout, seen.dim_total,
                           seen.items_total, _reference_scores(ref.get("total"), k))
    else:
        total_out = {"suppressed": True}

    groups_out = []
    for g in order if order != [None] else ():
        key = _json_key(g)
        if g in over:
            groups_out.append({"key": key, "suppressed": True, "over_headcount": True})
            continue
        if g in seen.hidden:
            groups_out.append({"key": key, "suppressed": True})
            continue
        shown = {d.key: g not in seen.dim_hidden[d.key] for d in layout.dimensions}
        items = {d.key: g not in seen.items_hidden[d.key] for d in layout.dimensions}
        scope = _scope(tallies[g], invited_by_group.get(g), layout, shown, items,
                       _reference_scores(ref_groups.get(key), k))
        groups_out.append({"key": key, **scope})

    return {
        "questionnaire": {"key": questionnaire.get("key"), "version": questionnaire.get("version")},
        "k": k,
        "thresholds": {"good_from": GOOD_FROM, "bad_below": BAD_BELOW},
        "dimensions": [
            {
                "key": d["key"],
                "name": dict(d["name"]),
                "direction": d["direction"],
                "factor_4_3": d.get("factor_4_3"),
                "prevalence": bool(d.get("prevalence", False)),
            }
            for d in questionnaire["dimensions"]
            if any(dim.key == d["key"] for dim in layout.dimensions)
        ],
        "total": total_out,
        "groups": groups_out,
    }


def group_report(
    questionnaire: Mapping[str, Any],
    responses: Sequence[Answers],
    invited: int | None = None,
    k: int = MIN_K,
    reference: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One group's (or an ungrouped survey's) scope: score and n per dimension, distributions,
    response rate; {"suppressed": True} below k. `reference` is an earlier scope of this shape."""
    ref = {"total": reference} if reference is not None else None
    return build_report(questionnaire, {None: responses}, {None: invited}, k, ref)["total"]
