"""The template environment's shortcuts give what Jinja's own lookups give: dict keys and methods, and
``_()`` with and without variables, in bokmål and in English."""
from flask import render_template_string
from flask_babel import force_locale


def _render(app, source: str, **context) -> str:
    with app.test_request_context("/"):
        return render_template_string(source, **context)


def test_a_dict_key_reads_as_an_attribute_and_a_dict_method_still_wins(app):
    row = {"title": "<b>Tiltak</b>", "items": "a key", "n": 0}
    assert _render(app, "{{ row.title }}|{{ row['title'] }}|{{ row.n }}", row=row) == "&lt;b&gt;Tiltak&lt;/b&gt;|" * 2 + "0"
    # ``items`` is a dict method: Jinja gives the method, not the key, and so does this environment.
    assert _render(app, "{{ row.items()|list|length }}", row=row) == "3"
    assert _render(app, "{{ row.missing is undefined }}|{{ row.missing or '—' }}", row=row) == "True|—"


def test_a_dict_subclass_keeps_jinjas_own_lookup(app):
    class Row(dict):
        title = "attribute"

    assert _render(app, "{{ row.title }}", row=Row(title="key")) == "attribute"


def test_gettext_without_variables_is_the_same_markup_every_time(app):
    source = "{{ _('Åpne') }}|{{ _('100%% ferdig') }}|{{ _('<i>') }}"
    first = _render(app, source)
    assert first == _render(app, source) == "Åpne|100% ferdig|<i>"


def test_gettext_with_variables_escapes_the_values(app):
    assert _render(app, "{{ _('Viser %(n)s av %(total)s.', n='<b>', total=3) }}") == "Viser &lt;b&gt; av 3."


def test_gettext_follows_the_locale_of_the_moment(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            english = render_template_string("{{ _('Åpne') }}")
        bokmal = render_template_string("{{ _('Åpne') }}")
    assert (bokmal, english) == ("Åpne", "Open")


def test_ngettext_and_pgettext_are_jinjas_newstyle_on_the_evaluation_context(app):
    """The product's own ngettext/pgettext (saas.i18n) give what the i18n extension's newstyle ones give:
    ``num`` as a variable, values escaped, ``%%`` a percent sign; in bokmål and English, also inside a loop."""
    source = ("{% for n in [1, 2] %}{{ ngettext('%(num)d dag over', '%(num)d dager over', n) }};{% endfor %}"
              "{{ ngettext('%(num)d fil av %(what)s', '%(num)d filer av %(what)s', 3, what='<b>') }}|"
              "{{ pgettext('risk measures', 'Tiltak') }}|{{ pgettext('x', '100%% <i>') }}")
    with app.test_request_context("/"):
        bokmal = render_template_string(source)
        with force_locale("en"):
            english = render_template_string(source)
        plain = app.jinja_env.overlay(autoescape=False).from_string("{{ ngettext('%(num)d dag over', '%(num)d dager over', 2, x='<b>') }}").render()
    assert bokmal == "1 dag over;2 dager over;3 filer av &lt;b&gt;|Tiltak|100% <i>"
    assert english == "1 day over;2 days over;3 filer av &lt;b&gt;|Measures|100% <i>"
    assert plain == "2 dager over"
