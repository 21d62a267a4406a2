"""Pages of a certification year: opening it, the year page, physical and psychosocial mappings, safety
rounds and compliance checks.  Client contacts see their own company's pages; changes are staff work,
except answering the checklist of a mapping the company does itself."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_login import current_user

from saas.auth import staff_required
from saas.clients.services import NotFound
from saas.clients.views import company_or_404
from saas.db import current_session
from saas.hms.schemas_work import (AnswerInputSchema, ComplianceCheckSchema, PhysicalMappingSchema, PsychosocialFindingSchema,
                                   PsychosocialMappingSchema, SafetyRoundSchema, YearOpenSchema)
from saas.hms.services import checklists, compliance, mappings, reports, rounds, years
from saas.hms.services import evidence as evidence_services
from saas.hms.views import years_bp as bp
from saas.hygiene import db_int
from saas.schemas import FieldErrors, load_form, load_json

GRADE_LABELS = reports.GRADE_LABELS
ANSWER_LABELS = {"ok": lazy_gettext("OK"), "finding": lazy_gettext("Avvik"), "not_relevant": lazy_gettext("Ikke relevant")}


def _or_404(loader, object_id: int):
    try:
        return loader(current_session(), current_user, object_id)
    except NotFound:
        abort(404)


def year_or_404(year_id: int):
    return _or_404(years.get_year, year_id)


def _header(year) -> dict:
    return dict(id=year.id, year=year.year, status=year.status, open=year.status == "open",
                company_id=year.company_id, company_name=year.company.name)


def _act(object_id: int, loader, page, endpoint: str, param: str, action, message: str, keep_form: bool = False):
    """Run one change on an object of a year; its FieldErrors re-render ``page`` with 422 (and the posted
    values when ``keep_form``), success redirects to ``endpoint``."""
    obj, year = _or_404(loader, object_id)
    try:
        action(current_session(), current_user, year, obj)
    except FieldErrors as error:
        return page(obj, year, values=dict(request.form) if keep_form else None, errors=error.errors, status=422)
    flash(message, "success")
    return redirect(url_for(endpoint, **{param: obj.id}))


@bp.app_context_processor
def _company_years_helper():
    # The company page (clients/detail.html) includes hms/years/_company_years.html, which lists the years.
    return dict(hms_company_years=lambda company_id: years.company_years(current_session(), company_id))


# -- the year ------------------------------------------------------------------------------------------

def _open_page(company, values: dict, errors: dict, status: int = 200):
    return render_template("hms/years/open.html", company=dict(id=company.id, name=company.name),
                           history=years.company_years(current_session(), company.id), values=values, errors=errors), status


@bp.route("/companies/<int:company_id>/open", methods=["GET", "POST"])
@staff_required
def open_year(company_id: int):
    company = company_or_404(company_id)
    if request.method == "GET":
        # Starting from last year is the usual choice, but a company's first year has nothing to copy.
        has_history = bool(years.company_years(current_session(), company.id))
        return _open_page(company, {"year": years.oslo_today().year, "start_from_previous": has_history}, {})
    try:
        year = years.open_year(current_session(), current_user, company, load_form(YearOpenSchema(), request.form))
    except FieldErrors as error:
        return _open_page(company, dict(request.form), error.errors, 422)
    flash(gettext("Sertifiseringsåret %(year)s er åpnet for %(company)s.", year=year.year, company=company.name), "success")
    return redirect(url_for("years.detail", year_id=year.id))


def _year_page(year, errors: dict | None = None, status: int = 200):
    from saas.certification.services.facts import REFS_SHOWN, verdict_for_year
    from saas.certification.services.overview import client_verdict
    from saas.scheduler import today_in_oslo

    session = current_session()
    overview = years.year_overview(session, year)
    verdict = verdict_for_year(session, year.id, today_in_oslo(), overview=overview, linked=REFS_SHOWN)
    if not current_user.is_staff:
        verdict = client_verdict(verdict)
    return render_template("hms/years/year.html", o=overview, verdict=verdict, errors=errors or {}), status


@bp.get("/<int:year_id>")
def detail(year_id: int):
    return _year_page(year_or_404(year_id))


@bp.post("/<int:year_id>/start-from-last-year")
@staff_required
def start_from_previous(year_id: int):
    year = year_or_404(year_id)
    try:
        counts = years.start_from_previous(current_session(), current_user, year)
    except FieldErrors as error:
        return _year_page(year, error.errors, 422)
    flash(gettext("Startet fra fjorårets arbeid: %(mappings)s kartlegging(er), %(assessments)s risikovurdering(er), "
                  "%(actions)s åpne tiltak.", mappings=counts["mappings"], assessments=counts["assessments"],
                  actions=counts["actions"]), "success")
    return redirect(url_for("years.detail", year_id=year.id))


# -- checklist answers (shared by mappings and safety rounds) -------------------------------------------

def answers_from_form(form) -> tuple[list[dict], bool]:
    """The answer fields ``a<id>-answer``, ``-comment``, ``-value``, ``-unit``, ``-grade`` of each id in
    ``ids``; a comma works as the decimal sign.  FieldErrors keyed "<id>.<field>"."""
    entries, errors = [], {}
    for raw_id in form.getlist("ids"):
        if db_int(raw_id) is None:
            continue
        prefix = f"a{raw_id}-"
        value = form.get(prefix + "value", "").strip().replace(" ", "").replace(",", ".")
        entry = dict(id=int(raw_id), answer=form.get(prefix + "answer") or None, comment=form.get(prefix + "comment", "").strip(),
                     measured_value=value or None, unit=form.get(prefix + "unit", "").strip(),
                     finding_grade=form.get(prefix + "grade") or None)
        try:
            entries.append(load_json(AnswerInputSchema(), entry))
        except FieldErrors as error:
            errors.update({f"{raw_id}.{field}": messages for field, messages in error.errors.items()})
    if errors:
        raise FieldErrors(errors)
    return entries, form.get("fill_unanswered_ok") == "1"


def _answer_values(form) -> dict:
    return {key: value for key, value in form.items() if key.startswith("a")}


# -- physical mappings -----------------------------------------------------------------------------------

def mapping_or_404(mapping_id: int):
    return _or_404(mappings.get_physical, mapping_id)


def _mapping_page(mapping, year, values: dict | None = None, errors: dict | None = None, answer_values: dict | None = None,
                  status: int = 200):
    session = current_session()
    data = years.physical_mapping_dict(mapping)
    can_answer = year.status == "open" and mapping.status != "completed" and (current_user.is_staff or mapping.method == "self")
    checklist = checklists.run_sections(session, mapping.run)
    answer_ids = [a["id"] for section in checklist["sections"] for a in section["answers"]]
    return render_template(
        "hms/mappings/physical.html", year=_header(year), m=data, checklist=checklist,
        answer_files=evidence_services.files_for(session, "checklist_answer", answer_ids),
        actions=mappings.finding_actions(session, mapping.run),
        reports=evidence_services.files_for(session, "physical_mapping_report", [mapping.id])[mapping.id],
        values=values if values is not None else data, errors=errors or {}, answer_values=answer_values,
        can_answer=can_answer, grades=GRADE_LABELS, answer_labels=ANSWER_LABELS, methods=years.METHOD_LABELS), status


@bp.route("/<int:year_id>/mappings/new", methods=["GET", "POST"])
@staff_required
def new_mapping(year_id: int):
    year = year_or_404(year_id)
    session = current_session()
    templates = [t for t in checklists.list_templates(session) if t["kind"] == "physical" and not t["archived"]]
    if request.method == "POST":
        try:
            mapping = mappings.create_physical(session, current_user, year, load_form(PhysicalMappingSchema(), request.form))
        except FieldErrors as error:
            return render_template("hms/mappings/physical_new.html", year=_header(year), values=dict(request.form),
                                   errors=error.errors, templates=templates, methods=years.METHOD_LABELS), 422
        flash(gettext("Kartleggingen er opprettet."), "success")
        return redirect(url_for("years.mapping", mapping_id=mapping.id))
    values = {"method": "self" if year.self_mapping else "provider"}
    return render_template("hms/mappings/physical_new.html", year=_header(year), values=values, errors={},
                           templates=templates, methods=years.METHOD_LABELS)


@bp.get("/mappings/<int:mapping_id>")
def mapping(mapping_id: int):
    return _mapping_page(*mapping_or_404(mapping_id))


@bp.post("/mappings/<int:mapping_id>")
@staff_required
def update_mapping(mapping_id: int):
    return _mapping_action(mapping_id, lambda s, u, y, m: mappings.update_physical(s, u, y, m, load_form(PhysicalMappingSchema(), request.form)),
                           gettext("Kartleggingen er lagret."), keep_form=True)


def _section_ok(form, entries: list[dict]) -> None:
    """"Alt OK i denne delen": the unanswered items of the chosen section become OK (``sec-<id>`` names each
    item's section)."""
    section = form.get("section_ok", "")
    if not section:
        return
    for entry in entries:
        if entry.get("answer") is None and form.get(f"sec-{entry['id']}") == section:
            entry["answer"] = "ok"


def _answer_files(form_files, entries: list[dict]) -> list[tuple[int, bytes, str]]:
    """Files chosen in place next to each item (``a<id>-file``): (answer id, bytes, name)."""
    files = []
    for entry in entries:
        upload = form_files.get(f"a{entry['id']}-file")
        if upload is not None and upload.filename:
            files.append((entry["id"], upload.stream.read(), upload.filename))
    return files


def _upload_answer_files(session, files) -> None:
    errors = {}
    for answer_id, data, filename in files:
        try:
            target = evidence_services.resolve_target(session, "checklist_answer", answer_id, current_user)
            evidence_services.upload(session, current_user, target, data, filename)
        except FieldErrors as error:
            errors.update({f"{answer_id}.file": messages for messages in error.errors.values()})
    if errors:
        raise FieldErrors(errors)


@bp.post("/mappings/<int:mapping_id>/answers")
def mapping_answers(mapping_id: int):
    """The mapping's one form: its header (date, participants, ...) when staff edit it, every answer, and a
    file per item, saved together or not at all, so nothing typed is lost on the way."""
    mapping_row, year = mapping_or_404(mapping_id)
    if not (current_user.is_staff or mapping_row.method == "self"):
        abort(403)
    session = current_session()
    header = current_user.is_staff and "performed_on" in request.form
    errors, header_data, entries, fill = {}, None, [], False
    if header:
        try:
            header_data = load_form(PhysicalMappingSchema(), request.form)
        except FieldErrors as error:
            errors.update(error.errors)
    try:
        entries, fill = answers_from_form(request.form)
        _section_ok(request.form, entries)
    except FieldErrors as error:
        errors.update(error.errors)
    try:
        if errors:
            raise FieldErrors(errors)
        if header_data is not None:
            mappings.update_physical(session, current_user, year, mapping_row, header_data)
        files = _answer_files(request.files, entries)
        created = mappings.save_physical_answers(session, current_user, year, mapping_row, entries, fill)
        _upload_answer_files(session, files)
    except FieldErrors as error:
        return _mapping_page(mapping_row, year, values=dict(request.form) if header else None, errors=error.errors,
                             answer_values=_answer_values(request.form), status=422)
    if request.form.get("section_ok"):
        flash(gettext("Ubesvarte punkter i delen er satt til OK."), "info")
    flash(gettext("Svarene er lagret.") + ("" if not created else " " + ngettext(
        "%(num)d nytt tiltak er lagt i handlingsplanen.", "%(num)d nye tiltak er lagt i handlingsplanen.", len(created))), "success")
    return redirect(url_for("years.mapping", mapping_id=mapping_row.id) + "#sjekkliste")


def _mapping_action(mapping_id: int, action, message: str, keep_form: bool = False):
    return _act(mapping_id, mappings.get_physical, _mapping_page, "years.mapping", "mapping_id", action, message, keep_form)


@bp.post("/mappings/<int:mapping_id>/complete")
@staff_required
def complete_mapping(mapping_id: int):
    def complete_and_report(s, u, y, m):
        # The written report follows completion every time, so it is made without another click.
        mappings.complete_physical(s, u, y, m, years.oslo_today())
        reports.request_physical_report(s, u, y, m)

    return _mapping_action(mapping_id, complete_and_report,
                           gettext("Kartleggingen er fullført.") + " " + gettext("Rapporten lages nå."))


@bp.post("/mappings/<int:mapping_id>/reopen")
@staff_required
def reopen_mapping(mapping_id: int):
    return _mapping_action(mapping_id, mappings.reopen_physical, gettext("Kartleggingen er åpnet for endringer igjen."))


@bp.post("/mappings/<int:mapping_id>/verify")
@staff_required
def verify_mapping(mapping_id: int):
    return _mapping_action(mapping_id, mappings.verify_physical, gettext("Dokumentasjonen er verifisert."))


def _report_status_json(mapping, target_type: str):
    status = reports.report_status(mapping)
    files = evidence_services.files_for(current_session(), target_type, [mapping.id])[mapping.id]
    return jsonify(state=status["state"], label=gettext(status["label"]), error=status["error"], version=status["version"],
                   files=[dict(name=f["original_name"], url=url_for("evidence.download", evidence_id=f["id"]),
                               current=f["id"] == mapping.report_evidence_id) for f in files])


@bp.get("/mappings/<int:mapping_id>/report-status")
def mapping_report_status(mapping_id: int):
    """The report's state (none, pending, ready, failed) and files, for the page to follow without a reload."""
    return _report_status_json(mapping_or_404(mapping_id)[0], "physical_mapping_report")


@bp.get("/psychosocial/<int:psy_mapping_id>/report-status")
def psychosocial_report_status(psy_mapping_id: int):
    return _report_status_json(psy_or_404(psy_mapping_id)[0], "psychosocial_mapping_report")


@bp.post("/mappings/<int:mapping_id>/report")
@staff_required
def mapping_report(mapping_id: int):
    return _mapping_action(mapping_id, reports.request_physical_report,
                           gettext("Rapporten lages nå. Den dukker opp under «Rapport» når den er klar."))


# -- psychosocial mappings -----------------------------------------------------------------------------

def psy_or_404(psy_mapping_id: int):
    return _or_404(mappings.get_psychosocial, psy_mapping_id)


def _psy_page(psy, year, values: dict | None = None, errors: dict | None = None, finding_values: dict | None = None,
              status: int = 200):
    session = current_session()
    data = years.psychosocial_dict(psy)
    return render_template(
        "hms/mappings/psychosocial.html", year=_header(year), p=data, values=values if values is not None else data,
        errors=errors or {}, finding_values=finding_values or {}, actions=mappings.psychosocial_actions(session, year.id),
        reports=evidence_services.files_for(session, "psychosocial_mapping_report", [psy.id])[psy.id], grades=GRADE_LABELS), status


@bp.route("/<int:year_id>/psychosocial/new", methods=["GET", "POST"])
@staff_required
def new_psychosocial(year_id: int):
    year = year_or_404(year_id)
    if request.method == "POST":
        try:
            psy = mappings.create_psychosocial(current_session(), current_user, year, load_form(PsychosocialMappingSchema(), request.form))
        except FieldErrors as error:
            return render_template("hms/mappings/psychosocial_new.html", year=_header(year), values=dict(request.form),
                                   errors=error.errors), 422
        flash(gettext("Den psykososiale kartleggingen er opprettet."), "success")
        return redirect(url_for("years.psychosocial", psy_mapping_id=psy.id))
    return render_template("hms/mappings/psychosocial_new.html", year=_header(year),
                           values={"method_interviews": True, "done_by_provider": True}, errors={})


@bp.get("/psychosocial/<int:psy_mapping_id>")
def psychosocial(psy_mapping_id: int):
    return _psy_page(*psy_or_404(psy_mapping_id))


@bp.post("/psychosocial/<int:psy_mapping_id>")
@staff_required
def update_psychosocial(psy_mapping_id: int):
    return _psy_action(psy_mapping_id, lambda s, u, y, p: mappings.update_psychosocial(
        s, u, y, p, load_form(PsychosocialMappingSchema(), request.form)), gettext("Kartleggingen er lagret."), keep_form=True)


def _psy_action(psy_mapping_id: int, action, message: str, keep_form: bool = False):
    return _act(psy_mapping_id, mappings.get_psychosocial, _psy_page, "years.psychosocial", "psy_mapping_id", action, message, keep_form)


@bp.post("/psychosocial/<int:psy_mapping_id>/complete")
@staff_required
def complete_psychosocial(psy_mapping_id: int):
    def complete_and_report(s, u, y, p):
        mappings.complete_psychosocial(s, u, y, p, years.oslo_today())
        reports.request_psychosocial_report(s, u, y, p)

    return _psy_action(psy_mapping_id, complete_and_report,
                       gettext("Kartleggingen er fullført.") + " " + gettext("Rapporten lages nå."))


@bp.post("/psychosocial/<int:psy_mapping_id>/report")
@staff_required
def psychosocial_report(psy_mapping_id: int):
    return _psy_action(psy_mapping_id, reports.request_psychosocial_report,
                       gettext("Rapporten lages nå. Den dukker opp under «Rapport» når den er klar."))


@bp.post("/psychosocial/<int:psy_mapping_id>/findings")
@staff_required
def psychosocial_finding(psy_mapping_id: int):
    psy, year = psy_or_404(psy_mapping_id)
    try:
        mappings.add_psychosocial_finding(current_session(), current_user, year, load_form(PsychosocialFindingSchema(), request.form))
    except FieldErrors as error:
        return _psy_page(psy, year, errors={"finding": error.errors}, finding_values=dict(request.form), status=422)
    flash(gettext("Tiltaket er lagt i handlingsplanen."), "success")
    return redirect(url_for("years.psychosocial", psy_mapping_id=psy.id) + "#tiltak")


# -- safety rounds ---------------------------------------------------------------------------------------

def round_or_404(round_id: int):
    return _or_404(rounds.get_round, round_id)


def _round_page(safety_round, year, values: dict | None = None, errors: dict | None = None, answer_values: dict | None = None,
                status: int = 200):
    session = current_session()
    data = years.safety_round_dict(safety_round)
    return render_template(
        "hms/mappings/round.html", year=_header(year), r=data, checklist=checklists.run_sections(session, safety_round.run),
        actions=mappings.finding_actions(session, safety_round.run), values=values if values is not None else data,
        errors=errors or {}, answer_values=answer_values,
        can_answer=current_user.is_staff and year.status == "open" and safety_round.status != "completed",
        grades=GRADE_LABELS, answer_labels=ANSWER_LABELS), status


@bp.route("/<int:year_id>/rounds/new", methods=["GET", "POST"])
@staff_required
def new_round(year_id: int):
    year = year_or_404(year_id)
    if request.method == "POST":
        try:
            safety_round = rounds.create_round(current_session(), current_user, year, load_form(SafetyRoundSchema(), request.form))
        except FieldErrors as error:
            return render_template("hms/mappings/round_new.html", year=_header(year), values=dict(request.form),
                                   errors=error.errors), 422
        flash(gettext("Vernerunden er opprettet."), "success")
        return redirect(url_for("years.safety_round", round_id=safety_round.id))
    return render_template("hms/mappings/round_new.html", year=_header(year), values={}, errors={})


@bp.get("/rounds/<int:round_id>")
def safety_round(round_id: int):
    return _round_page(*round_or_404(round_id))


@bp.post("/rounds/<int:round_id>")
@staff_required
def update_round(round_id: int):
    return _act(round_id, rounds.get_round, _round_page, "years.safety_round", "round_id",
                lambda s, u, y, r: rounds.update_round(s, u, y, r, load_form(SafetyRoundSchema(), request.form)),
                gettext("Vernerunden er lagret."), keep_form=True)


@bp.post("/rounds/<int:round_id>/answers")
@staff_required
def round_answers(round_id: int):
    safety_round_row, year = round_or_404(round_id)
    session = current_session()
    try:
        entries, fill = answers_from_form(request.form)
        _section_ok(request.form, entries)
        files = _answer_files(request.files, entries)
        created = rounds.save_round_answers(session, current_user, year, safety_round_row, entries, fill)
        _upload_answer_files(session, files)
    except FieldErrors as error:
        return _round_page(safety_round_row, year, errors=error.errors, answer_values=_answer_values(request.form), status=422)
    flash(gettext("Svarene er lagret.") + ("" if not created else " " + ngettext(
        "%(num)d nytt tiltak er lagt i handlingsplanen.", "%(num)d nye tiltak er lagt i handlingsplanen.", len(created))), "success")
    return redirect(url_for("years.safety_round", round_id=safety_round_row.id) + "#sjekkliste")


@bp.post("/rounds/<int:round_id>/complete")
@staff_required
def complete_round(round_id: int):
    return _act(round_id, rounds.get_round, _round_page, "years.safety_round", "round_id",
                lambda s, u, y, r: rounds.complete_round(s, u, y, r, years.oslo_today()), gettext("Vernerunden er fullført."))


# -- compliance checks -----------------------------------------------------------------------------------

def _compliance_page(year, errors: dict | None = None, values: dict | None = None, status: int = 200):
    return render_template("hms/years/compliance.html", year=_header(year), c=compliance.year_checks(current_session(), year),
                           errors=errors or {}, values=values or {}, states=compliance.STATUS_LABELS), status


@bp.get("/<int:year_id>/compliance")
def compliance_checks(year_id: int):
    return _compliance_page(year_or_404(year_id))


@bp.post("/<int:year_id>/compliance/add-missing")
@staff_required
def add_missing_checks(year_id: int):
    year = year_or_404(year_id)
    try:
        years.check_open(year)
    except FieldErrors as error:
        return _compliance_page(year, error.errors, status=422)
    added = compliance.ensure_compliance_checks(current_session(), year)
    flash(ngettext("%(num)d kontroll er lagt til.", "%(num)d kontroller er lagt til.", len(added)), "success")
    return redirect(url_for("years.compliance_checks", year_id=year.id))


@bp.post("/compliance/<int:check_id>")
@staff_required
def update_check(check_id: int):
    session = current_session()
    try:
        check = compliance.get_check(session, check_id)
    except NotFound:
        abort(404)
    year = year_or_404(check.year_id)
    try:
        compliance.update_check(session, current_user, year, check, load_form(ComplianceCheckSchema(), request.form))
    except FieldErrors as error:
        return _compliance_page(year, {check.id: error.errors}, {check.id: dict(request.form)}, 422)
    flash(gettext("Kontrollen er lagret."), "success")
    return redirect(url_for("years.compliance_checks", year_id=year.id) + f"#kontroll-{check.id}")
