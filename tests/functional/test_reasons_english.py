"""Every reason the class rules can give reads in English on an English page (issue 13): random facts
through the rules, each reason through saas.certification.reasons, and not one is left in bokmål."""
from __future__ import annotations

import re

from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings

from saas.certification.reasons import translate
from saas.hms.rules import evaluate
from tests.unit.test_rules import nearly_a_plus_facts, random_facts

BOKMAL = re.compile(r"\b(og|ikke|er|det|finnes|kartlegging|tiltak|med|fra|måneder|sertifikat|utført)\b", re.I)


@settings(database=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=random_facts | nearly_a_plus_facts)
def test_every_reason_has_an_english_text(app, facts):
    with app.test_request_context(), force_locale("en"):
        for criterion in evaluate(facts).criteria:
            english = translate(criterion.reason)
            # Titles, notes and justifications inside «» are the company's own words and stay as written.
            words = re.sub(r"[«“][^»”]*[»”]", "", english)
            assert english != criterion.reason and not BOKMAL.search(words), (criterion.id, criterion.reason, english)


def test_bokmal_pages_keep_the_rules_words(app):
    reason = "Risikovurdering er gjennomført 01.03.2026."
    with app.test_request_context(), force_locale("nb"):
        assert translate(reason) == reason
    with app.test_request_context(), force_locale("en"):
        assert translate(reason) == "A risk assessment was carried out 01.03.2026."
