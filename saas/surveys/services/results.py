"""Results of a closed survey: the report built once at closing, and the plain data every output is made of.

Every page, the PDF, the CSV export and the API read ``Survey.report`` — the output of
``scoring.build_report``, suppressed below k including complementary groups — and never the raw answers,
which may already be deleted (retention).  So nothing here can show what the report hides.  The caller's
duties named in ``scoring`` are kept here: the report is built only at closing (one snapshot), the survey
has one grouping (its groups partition the respondents), and the reference is another survey.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.hms.models import CertificationYear
from saas.surveys import svg
from saas.surveys.models import Survey, SurveyResponse
from saas.surveys.pages import text
from saas.surveys.scoring import build_report
from saas.surveys.services.surveys import survey_k
from saas.tenants.models import Tenant

WHOLE_COMPANY = "Hele virksomheten"
NO_GROUP_NAME = "Vil ikke oppgi avdeling"
COLOUR_LABELS = {"good": "God", "medium": "Middels", "bad": "Svak"}
DIRECTION_LABELS = {"high_is_good": "høy score er bra", "high_is_bad": "høy score er belastende"}
HIDDEN = "Skjult (færre enn {k} svar)"
OVER = "Skjult (flere svar enn ansatte)"


def reference_survey(session: Session, survey: Survey) -> Survey | None:
    """The company's most recent closed survey of an earlier certification year ("last year's")."""
    return session.scalar(
        select(Survey).join(CertificationYear, CertificationYear.id == Survey.year_id)
        .where(CertificationYear.company_id == survey.year.company_id, CertificationYear.year < survey.year.year,
               Survey.status == "closed", Survey.id != survey.id)
        .order_by(CertificationYear.year.desc(), Survey.closed_at.desc()).limit(1))


def build_report_for(session: Session, tenant: Tenant, survey: Survey, today: date) -> dict:
    """The k-suppressed report of ``survey`` from its raw answers, to be stored at closing."""
    content = survey.questionnaire_version.content
    names = {g.id: g.name for g in survey.groups}
    if survey.groups:
        responses: dict = {g.name: [] for g in survey.groups}
        responses[None] = []  # "rather not say" is a group of its own, suppressed like any other
        invited: dict = {g.name: g.employee_count for g in survey.groups}
    else:
        responses = {None: []}
        invited = {None: survey.year.company.employee_count or survey.invited_count or None}
    for group_id, answers in session.execute(select(SurveyResponse.group_id, SurveyResponse.answers)
                                             .where(SurveyResponse.survey_id == survey.id)):
        responses[names.get(group_id) if survey.groups else None].append(answers)
    previous = reference_survey(session, survey)
    reference = previous.report["data"] if previous is not None and previous.report else None
    k = survey_k(tenant, survey)
    headcount, total_headcount = _headcounts(survey)
    return {
        "built_on": today.isoformat(),
        "k": k,
        "open_link": survey.open_link,
        "reference": dict(survey_id=previous.id, title=previous.title, year=previous.year.year) if reference else None,
        "data": build_report(content, responses, invited, k, reference, headcount, total_headcount),
    }


def _headcounts(survey: Survey) -> tuple[dict, int | None]:
    """The most answers each group (and the whole survey) can honestly have.

    A group's headcount is fixed from publishing on (groups of an open survey never change), and with
    invitations no group can get more of them than its headcount, so this only ever bites on an open link
    (or links made before invitations were bound to groups).  For an ungrouped survey with invitations the
    answers can't exceed the invitations; with an open link the company's headcount is the limit.
    """
    if survey.groups:
        counts = [g.employee_count for g in survey.groups]
        return ({g.name: g.employee_count for g in survey.groups},
                sum(counts) if all(c is not None for c in counts) else None)
    return {}, survey.year.company.employee_count if survey.open_link else None


def _options(content: dict) -> dict[str, list[str]]:
    return {s["key"]: [text(o) for o in s["options"]] for s in content["scales"]}


def _scope_view(name: str, key, scope: dict, content: dict, k: int, company: dict | None, with_charts: bool) -> dict:
    """One scope as plain data; ``company`` (the whole company's scores) is None for the total itself."""
    is_total = company is None
    if scope.get("suppressed", True):
        return dict(name=name, key=key, is_total=is_total, suppressed=True, over_headcount=bool(scope.get("over_headcount")),
                    dimensions=[], chart="")
    dim_info = {d["key"]: d for d in content["dimensions"]}
    items = {i["key"]: i for i in content["items"]}
    options = _options(content)
    dimensions = []
    for d in scope["dimensions"]:
        info = dim_info[d["key"]]
        base = dict(key=d["key"], name=text(info["name"]), suppressed=d["suppressed"], direction=info["direction"],
                    direction_label=DIRECTION_LABELS[info["direction"]])
        if d["suppressed"]:
            dimensions.append(dict(base, items=[], company=None, reference=None))
            continue
        item_rows = []
        for entry in d["items"]:
            item = items[entry["key"]]
            opts = options[item["scale"]]
            shown = not entry["suppressed"]
            item_rows.append(dict(
                key=entry["key"], text=text(item["text"]), reversed=bool(item.get("reversed")), suppressed=not shown,
                n=entry.get("n"), counts=entry.get("counts"), options=opts,
                bar=svg.distribution_bar(entry["counts"] if shown else None, opts, HIDDEN.format(k=k)) if with_charts else ""))
        dimensions.append(dict(base, score=d["score"], n=d["n"], colour=d["colour"], colour_label=COLOUR_LABELS[d["colour"]],
                               reference=d.get("reference"), company=(company or {}).get(d["key"]), items=item_rows))
    chart = svg.dimension_chart(
        [dict(label=x["name"], score=x.get("score"), n=x.get("n"), colour=x.get("colour"), reference=x.get("reference"),
              company=x.get("company")) for x in dimensions],
        hidden_text=HIDDEN.format(k=k), legend={"title": f"Resultater per dimensjon: {name}"}) if with_charts else ""
    rate = scope.get("response_rate")
    return dict(name=name, key=key, is_total=is_total, suppressed=False, respondents=scope["respondents"], invited=scope.get("invited"),
                rate_percent=round(100 * rate) if rate is not None else None, dimensions=dimensions, chart=chart)


def results_view(survey: Survey, with_charts: bool = True) -> dict | None:
    """The stored report as plain data for the page, the PDF and the export; None before closing."""
    stored = survey.report
    if survey.status != "closed" or not stored:
        return None
    content = survey.questionnaire_version.content
    data, k = stored["data"], stored["k"]
    total = _scope_view(WHOLE_COMPANY, None, data["total"], content, k, None, with_charts)
    company = {d["key"]: d["score"] for d in total["dimensions"] if not d["suppressed"]}
    groups = [_scope_view(g["key"] if g["key"] is not None else NO_GROUP_NAME, g["key"], g, content, k, company, with_charts)
              for g in data["groups"]]
    scales = list(_options(content).values())
    legend = [" / ".join(dict.fromkeys(scale[i] for scale in scales if i < len(scale))) for i in range(max(map(len, scales)))]
    return dict(k=k, built_on=stored["built_on"], reference=stored.get("reference"), total=total, groups=groups,
                open_link=bool(stored.get("open_link")),
                legend=svg.option_legend(legend) if with_charts else "",
                weak=[dict(key=d["key"], name=d["name"], score=d["score"], colour_label=d["colour_label"])
                      for d in total["dimensions"] if not d["suppressed"] and d["colour"] in ("bad", "medium")],
                hidden_label=HIDDEN.format(k=k))


def export_rows(view: dict) -> list[dict]:
    """The aggregate rows of the export: one per scope and dimension and one per shown item distribution.
    Hidden numbers are written as the word, never as a number; there is no per-respondent row."""
    hidden = view["hidden_label"]
    rows = []
    for scope in [view["total"], *view["groups"]]:
        if scope["suppressed"]:
            rows.append(dict(scope=scope["name"], dimension="", item="", respondents=OVER if scope.get("over_headcount") else hidden,
                             n="", score="", reference="", distribution=""))
            continue
        for d in scope["dimensions"]:
            if d["suppressed"]:
                rows.append(dict(scope=scope["name"], dimension=d["name"], item="", respondents=str(scope["respondents"]),
                                 n=hidden, score=hidden, reference="", distribution=""))
                continue
            rows.append(dict(scope=scope["name"], dimension=d["name"], item="", respondents=str(scope["respondents"]),
                             n=str(d["n"]), score=f"{d['score']:.1f}".replace(".", ","),
                             reference="" if d["reference"] is None else f"{d['reference']:.1f}".replace(".", ","), distribution=""))
            for item in d["items"]:
                distribution = hidden if item["suppressed"] else " / ".join(
                    f"{option}: {count}" for option, count in zip(item["options"], item["counts"]))
                rows.append(dict(scope=scope["name"], dimension=d["name"], item=item["text"], respondents="",
                                 n="" if item["suppressed"] else str(item["n"]), score="", reference="", distribution=distribution))
    return rows


EXPORT_HEADERS = {"scope": "Gruppe", "dimension": "Dimensjon", "item": "Spørsmål", "respondents": "Svar i gruppen",
                  "n": "n", "score": "Score (0-100)", "reference": "Fjorårets score", "distribution": "Fordeling"}


def export_csv(view: dict) -> bytes:
    """The aggregate export as CSV for Excel (UTF-8 with BOM, semicolons)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_HEADERS), delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for row in export_rows(view):
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def group_scope(view: dict, group_name: str) -> dict | None:
    return next((g for g in view["groups"] if g["key"] == group_name), None)
