"""Checklist templates (per tenant, versioned) and filled-in checklists (runs) with their answers.

Every edit of a template makes a new immutable version; a run keeps the version it was made from, so a
mapping renders as it was filled in whatever the tenant edits later.  A finding on a run becomes an
action item in the same transaction.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.services import NotFound
from saas.hms import checklist_diff as diff
from saas.hms.checklist_defaults import PHYSICAL_MAPPING_CHECKLIST, SAFETY_ROUND_CHECKLIST
from saas.hms.services.actions import create_action_item
from saas.hms.models import ActionItem, ChecklistAnswer, ChecklistRun, ChecklistTemplate, ChecklistTemplateVersion
from saas.schemas import FieldErrors
from saas.tenants.models import User

KINDS = {"physical": "Fysisk kartlegging", "safety_round": "Vernerunde"}
# kind -> the shipped checklist its default template is seeded from
SHIPPED = {"physical": PHYSICAL_MAPPING_CHECKLIST, "safety_round": SAFETY_ROUND_CHECKLIST}
ANSWERS = ("ok", "finding", "not_relevant")
GRADES = ("serious", "minor", "observation")

EDITS = ("add_section", "update_section", "remove_section", "move_section", "add_item", "update_item", "remove_item",
         "move_item")


# -- templates ---------------------------------------------------------------------------------------

def ensure_default_templates(session: Session) -> dict[str, ChecklistTemplate]:
    """The tenant's default template of each kind, seeded from the shipped checklist the first time.

    Idempotent, and safe when two first requests race: the unique (tenant, default_key) makes the loser
    re-read the winner's row.
    """
    found = {t.kind: t for t in session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.default_key.is_not(None)))}
    for kind, shipped in SHIPPED.items():
        if kind in found:
            continue
        try:
            with session.begin_nested():
                template = ChecklistTemplate(kind=kind, name=shipped["title_nb"], is_default=True, default_key=shipped["key"])
                session.add(template)
                session.flush()
                session.add(ChecklistTemplateVersion(template_id=template.id, version=1, content=diff.from_shipped(shipped)))
                session.flush()
        except IntegrityError:
            template = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.default_key == shipped["key"]))
        found[kind] = template
    return found


def get_template(session: Session, template_id: int) -> ChecklistTemplate:
    template = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.id == template_id))
    if template is None:
        raise NotFound(template_id)
    return template


def current_version(session: Session, template_id: int) -> ChecklistTemplateVersion:
    return session.scalar(select(ChecklistTemplateVersion).where(ChecklistTemplateVersion.template_id == template_id)
                          .order_by(ChecklistTemplateVersion.version.desc()).limit(1))


def template_for(session: Session, kind: str, template_id: int | None) -> ChecklistTemplate:
    """The template a new run of ``kind`` uses: the chosen one, or the tenant's default.  FieldErrors for a
    template of another kind or an archived one."""
    defaults = ensure_default_templates(session)
    if template_id is None:
        return defaults[kind]
    template = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.id == template_id))
    if template is None or template.kind != kind or template.archived:
        raise FieldErrors({"template_id": "Velg en sjekkliste av riktig type."})
    return template


def list_templates(session: Session) -> list[dict]:
    """Every template with its current version, item count and number of runs (three queries)."""
    ensure_default_templates(session)
    templates = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.kind, ChecklistTemplate.name)).all()
    latest = (select(ChecklistTemplateVersion.template_id, func.max(ChecklistTemplateVersion.version).label("v"))
              .group_by(ChecklistTemplateVersion.template_id).subquery())
    versions = {v.template_id: v for v in session.scalars(select(ChecklistTemplateVersion).join(
        latest, (latest.c.template_id == ChecklistTemplateVersion.template_id) & (latest.c.v == ChecklistTemplateVersion.version)))}
    runs = dict(session.execute(select(ChecklistTemplateVersion.template_id, func.count(ChecklistRun.id))
                                .join(ChecklistRun, ChecklistRun.template_version_id == ChecklistTemplateVersion.id)
                                .group_by(ChecklistTemplateVersion.template_id)).all())
    return [dict(id=t.id, kind=t.kind, kind_label=KINDS.get(t.kind, t.kind), name=t.name, is_default=t.is_default,
                 archived=t.archived, version=versions[t.id].version if t.id in versions else 0,
                 item_count=diff.item_count(versions[t.id].content) if t.id in versions else 0, run_count=runs.get(t.id, 0))
            for t in templates]


def template_detail(session: Session, template: ChecklistTemplate) -> dict:
    """The template with its current content and the list of its versions (plain data)."""
    versions = session.execute(select(ChecklistTemplateVersion.id, ChecklistTemplateVersion.version,
                                      ChecklistTemplateVersion.created_at, User.name)
                               .outerjoin(User, User.id == ChecklistTemplateVersion.created_by)
                               .where(ChecklistTemplateVersion.template_id == template.id)
                               .order_by(ChecklistTemplateVersion.version.desc())).all()
    current = session.get(ChecklistTemplateVersion, versions[0].id)
    return dict(id=template.id, kind=template.kind, kind_label=KINDS.get(template.kind, template.kind), name=template.name,
                is_default=template.is_default, version=current.version, version_id=current.id,
                sections=current.content.get("sections", []),
                versions=[dict(id=v.id, version=v.version, created_at=v.created_at, created_by_name=v.name or "") for v in versions])


def edit_template(session: Session, actor: User, template: ChecklistTemplate, operation: str, values: dict) -> ChecklistTemplateVersion:
    """Apply one edit (``EDITS``) to the current content and save it as a new version.

    ``values`` holds section_key / item_key, the texts and, for moves, ``step`` (-1 or 1).  An edit that
    changes nothing makes no version.  Raises FieldErrors naming the field.
    """
    if operation not in EDITS:
        raise FieldErrors({"operation": "Ukjent endring."})
    # Lock the template so two admins saving at once get versions n+1 and n+2, not a clash.
    session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.id == template.id).with_for_update())
    current = current_version(session, template.id)
    content = current.content
    try:
        if operation == "add_section":
            new, _key = diff.add_section(content, values)
        elif operation == "update_section":
            new = diff.update_section(content, values.get("section_key", ""), values)
        elif operation == "remove_section":
            new = diff.remove_section(content, values.get("section_key", ""))
        elif operation == "move_section":
            new = diff.move_section(content, values.get("section_key", ""), _step(values))
        elif operation == "add_item":
            new, _key = diff.add_item(content, values.get("section_key", ""), values)
        elif operation == "update_item":
            new = diff.update_item(content, values.get("item_key", ""), values)
        elif operation == "remove_item":
            new = diff.remove_item(content, values.get("item_key", ""))
        else:
            new = diff.move_item(content, values.get("item_key", ""), _step(values))
    except diff.ContentError as error:
        raise FieldErrors({error.field: error.message}) from None
    if diff.same_content(content, new):
        return current
    version = ChecklistTemplateVersion(template_id=template.id, version=current.version + 1, content=new, created_by=actor.id)
    session.add(version)
    session.flush()
    record(session, actor, "checklist_template.edited", template, f"{template.name}: versjon {version.version}", operation=operation)
    return version


def _step(values: dict) -> int:
    return -1 if str(values.get("step", "1")) == "-1" else 1


def rename_template(session: Session, actor: User, template: ChecklistTemplate, name: str) -> None:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise FieldErrors({"name": "Navnet må være mellom 1 og 200 tegn."})
    template.name = name
    record(session, actor, "checklist_template.renamed", template, name)


# -- runs ----------------------------------------------------------------------------------------------

def new_run(session: Session, version: ChecklistTemplateVersion, previous: ChecklistRun | None = None) -> ChecklistRun:
    """A run with one unanswered answer per item of ``version``.

    With ``previous`` (last year's run), each answer carries last year's answer and comment as hints and
    a change flag against the version last year used: "new", "changed"; items that were removed since are
    kept as answers flagged "removed", so the page can list them.
    """
    run = ChecklistRun(template_version_id=version.id, previous_run_id=previous.id if previous else None)
    session.add(run)
    session.flush()
    old_answers, changes = {}, None
    if previous is not None:
        old_answers = {a.item_key: a for a in previous.answers if a.change_flag != "removed"}
        changes = diff.diff_versions(previous.template_version.content, version.content)
    answers = []
    for section, item in diff.iter_items(version.content):
        old = old_answers.get(item["key"])
        answers.append(ChecklistAnswer(
            run_id=run.id, section_key=section["key"], item_key=item["key"], item_text=item.get("text_nb") or "",
            unit=item.get("unit") or "", comment="", change_flag=changes.flag(item["key"]) if changes else None,
            previous_answer=old.answer if old else None, previous_comment=old.comment if old else "",
        ))
    for removed in changes.removed if changes else ():
        old = old_answers.get(removed.key)
        answers.append(ChecklistAnswer(
            run_id=run.id, section_key=removed.section_key, item_key=removed.key, item_text=removed.text_nb,
            change_flag="removed", previous_answer=old.answer if old else None, previous_comment=old.comment if old else "",
        ))
    session.add_all(answers)
    session.flush()
    return run


def run_sections(session: Session, run: ChecklistRun) -> dict:
    """The run as plain data: sections in template order with their answers, and the removed items."""
    content = run.template_version.content
    answers = session.scalars(select(ChecklistAnswer).where(ChecklistAnswer.run_id == run.id).order_by(ChecklistAnswer.id)).all()
    by_key = {a.item_key: a for a in answers if a.change_flag != "removed"}
    sections = []
    for section in content.get("sections", []):
        rows = []
        for item in section.get("items", []):
            answer = by_key.get(item["key"])
            if answer is not None:
                rows.append({**answer_dict(answer), "guidance": item.get("guidance_nb") or ""})
        sections.append(dict(key=section["key"], title=section.get("title_nb") or "", phase=section.get("phase"), answers=rows))
    answered = [a for a in by_key.values() if a.answer]
    return dict(
        sections=sections,
        removed=[answer_dict(a) for a in answers if a.change_flag == "removed"],
        total=len(by_key), answered=len(answered), findings=sum(1 for a in answered if a.answer == "finding"),
        template_version=run.template_version.version, template_name=run.template_version.template.name,
        filled_by_client=run.filled_by_client, submitted_at=run.submitted_at,
    )


def answer_dict(a: ChecklistAnswer) -> dict:
    return dict(id=a.id, section_key=a.section_key, item_key=a.item_key, item_text=a.item_text, answer=a.answer,
                comment=a.comment, measured_value=a.measured_value, measured_text=measured_text(a.measured_value),
                unit=a.unit, finding_grade=a.finding_grade,
                action_item_id=a.action_item_id, change_flag=a.change_flag, previous_answer=a.previous_answer,
                previous_comment=a.previous_comment)


def measured_text(value) -> str:
    """500.000 → "500", 21.500 → "21,5" (the Norwegian decimal comma)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text.replace(".", ",")


def save_answers(session: Session, actor: User, run: ChecklistRun, entries: list[dict], *, year, area: str,
                 source_type: str, fill_unanswered_ok: bool = False) -> list[ActionItem]:
    """Save answers of ``run`` (each entry: id and any of answer, comment, measured_value, unit,
    finding_grade) and turn new findings into action items in the same transaction.

    A finding needs a grade.  Returns the action items created.  Raises FieldErrors keyed
    "<answer id>.<field>" (an unknown id is "<id>.id").
    """
    answers = {a.id: a for a in session.scalars(select(ChecklistAnswer).where(ChecklistAnswer.run_id == run.id))}
    errors: dict[str, str] = {}
    for entry in entries:
        answer = answers.get(entry["id"])
        if answer is None or answer.change_flag == "removed":
            errors[f"{entry['id']}.id"] = "Punktet finnes ikke i denne sjekklisten."
            continue
        value = entry.get("answer", answer.answer)
        grade = entry.get("finding_grade", answer.finding_grade)
        if value == "finding" and grade not in GRADES:
            errors[f"{answer.id}.finding_grade"] = "Velg alvorlighetsgrad for avviket."
    if errors:
        raise FieldErrors(errors)
    for entry in entries:
        answer = answers[entry["id"]]
        for name in ("answer", "measured_value", "finding_grade"):
            if name in entry:
                setattr(answer, name, entry[name])
        for name in ("comment", "unit"):
            if name in entry:
                setattr(answer, name, entry[name] or "")
        if answer.answer != "finding":
            answer.finding_grade = None
    if fill_unanswered_ok:
        for answer in answers.values():
            if answer.answer is None and answer.change_flag != "removed":
                answer.answer = "ok"
    if not actor.is_staff:
        run.filled_by_client = True
    session.flush()
    return _sync_findings(session, actor, answers.values(), year=year, area=area, source_type=source_type)


def _sync_findings(session: Session, actor: User, answers, *, year, area: str, source_type: str) -> list[ActionItem]:
    """Give each graded finding its action item; keep an existing item's grade in step with the answer.

    An item whose answer is no longer a finding stays in the action plan: work may have started on it.
    """
    from saas.hms.services.actions import finding_action_fields

    findings = [a for a in answers if a.answer == "finding" and a.finding_grade]
    linked_ids = [a.action_item_id for a in findings if a.action_item_id]
    linked = {i.id: i for i in session.scalars(select(ActionItem).where(ActionItem.id.in_(linked_ids)))} if linked_ids else {}
    created = []
    for answer in findings:
        item = linked.get(answer.action_item_id)
        if item is not None:
            item.grade = answer.finding_grade
            continue
        item = create_action_item(session, actor, year, area=area, source_type=source_type, source_id=answer.id,
                                  **finding_action_fields(session, year, answer))
        answer.action_item_id = item.id
        created.append(item)
    session.flush()
    return created


def completion_errors(run_data: dict) -> list[str]:
    """Why a run can't be completed yet (plain data from ``run_sections``); empty when it can."""
    problems = []
    unanswered = run_data["total"] - run_data["answered"]
    if unanswered:
        problems.append(f"{unanswered} punkt(er) er ikke besvart.")
    return problems
