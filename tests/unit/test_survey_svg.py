"""The survey charts: escaped text, a grey row for a hidden result, markers for the references (pure)."""
import re
import xml.etree.ElementTree as ET

from saas.surveys.svg import COLOURS, dimension_chart, distribution_bar, option_legend

NS = "{http://www.w3.org/2000/svg}"


def test_a_dimension_chart_is_valid_svg_with_escaped_labels_and_direction_colours():
    rows = [dict(label='Støtte <script>alert("x")</script> & co', score=80.0, n=12, colour="good", reference=70.0, company=None),
            dict(label="Arbeidsmengde", score=62.5, n=12, colour="bad", reference=None, company=55.0)]
    svg = dimension_chart(rows)
    root = ET.fromstring(svg)  # well-formed: every text was escaped
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    fills = [r.get("fill") for r in root.iter(f"{NS}rect")]
    assert COLOURS["good"] in fills and COLOURS["bad"] in fills
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "80" in texts and "n=12" in texts and "63" in texts or "62" in texts
    dashed = [line for line in root.iter(f"{NS}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1  # the whole company's marker on the second row only


def test_a_hidden_dimension_shows_the_hidden_text_and_no_numbers():
    svg = dimension_chart([dict(label="Mobbing", score=None, n=None, colour=None, reference=44.0, company=30.0)],
                          hidden_text="Skjult (færre enn 5 svar)")
    texts = [t.text or "" for t in ET.fromstring(svg).iter(f"{NS}text")]
    row_texts = [t for t in texts if t not in ("0", "25", "50", "75", "100")]
    assert "Skjult (færre enn 5 svar)" in row_texts
    assert not any(re.search(r"\d", t.replace("5 svar", "")) for t in row_texts)
    markers = [line for line in ET.fromstring(svg).iter(f"{NS}line") if line.get("stroke-width") == "2"]
    assert markers == []  # no reference or company marker on a hidden row


def test_a_distribution_bar_has_one_segment_per_answered_option_with_counts_in_titles():
    svg = distribution_bar([3, 0, 2, 0, 5], ["A", "B", "C", "D", "E&F"])
    root = ET.fromstring(svg)
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert titles == ["A: 3", "C: 2", "E&F: 5"]
    assert distribution_bar(None, ["A"], "Skjult").count("Skjult") == 1
    assert ET.fromstring(option_legend(["Alltid", "Aldri <b>"]))
