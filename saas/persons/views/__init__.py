"""Person certification pages: one tenant blueprint (/t/<slug>/persons) and the public verification."""
from saas.persons.views.common import bp
from saas.persons.views import people, training, register, cases, matrix, submissions  # noqa: F401  (attach the routes)
from saas.persons.views.public import bp as public_bp

BLUEPRINTS = (bp, public_bp)
