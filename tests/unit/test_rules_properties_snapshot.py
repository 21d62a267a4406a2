"""The facts snapshot a decision stores: any facts survive the trip to JSON and back, give the same verdict,
and hash the same however the JSON was spelled.  Pure: no app, no database."""
import json

from hypothesis import given, settings

from saas.certification.snapshot import digest, facts_from_dict, facts_to_dict
from saas.hms.rules import evaluate
from tests.unit.test_rules import compliant_facts, nearly_a_plus_facts, random_facts


@settings(database=None)
@given(facts=random_facts | nearly_a_plus_facts)
def test_any_facts_survive_the_snapshot_and_give_the_same_verdict(facts):
    stored = json.loads(json.dumps(facts_to_dict(facts)))  # as the JSON column gives it back

    assert facts_from_dict(stored) == facts
    assert evaluate(facts_from_dict(stored)) == evaluate(facts)


@settings(database=None)
@given(facts=random_facts)
def test_the_hash_does_not_depend_on_how_the_json_was_spelled(facts):
    plain = facts_to_dict(facts)
    respelled = json.loads(json.dumps(dict(reversed(list(plain.items()))), indent=2))

    assert digest(respelled) == digest(plain)


def test_a_changed_fact_changes_the_hash():
    plain = facts_to_dict(compliant_facts())
    changed = json.loads(json.dumps(plain))
    changed["risk_assessments"][0]["assessed_on"] = "2026-03-11"

    assert digest(changed) != digest(plain)
    assert len(digest(plain)) == 64
