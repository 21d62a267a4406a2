"""The heat-map SVG: the grid as printed, the counts, and tenant text escaped."""
import xml.etree.ElementTree as ET

from saas.hms.risk import default_matrix, heatmap, simple_matrix
from saas.hms.svg import FILL, heatmap_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def _cells(svg: str) -> dict[tuple[int, int], ET.Element]:
    root = ET.fromstring(svg)
    return {(int(g.get("data-p")), int(g.get("data-c"))): g for g in root.iterfind("svg:g", NS)}


def test_every_cell_of_the_matrix_is_drawn_in_its_colour_with_its_count():
    data = heatmap([(5, 5), (5, 5), (1, 1), (3, 2)], default_matrix())
    cells = _cells(heatmap_svg(data))
    assert len(cells) == 25
    assert cells[(5, 5)].get("data-count") == "2"
    assert cells[(5, 5)].find("svg:rect", NS).get("fill") == FILL["red"]
    assert cells[(1, 1)].find("svg:rect", NS).get("fill") == FILL["green"]
    assert cells[(3, 2)].find("svg:rect", NS).get("fill") == FILL["yellow"]
    assert cells[(5, 5)].find("svg:text", NS).text == "2"
    assert cells[(2, 2)].find("svg:text", NS) is None  # an empty cell shows no number


def test_the_highest_probability_is_drawn_on_top():
    cells = _cells(heatmap_svg(heatmap([], simple_matrix())))
    assert len(cells) == 9
    top = float(cells[(3, 1)].find("svg:rect", NS).get("y"))
    bottom = float(cells[(1, 1)].find("svg:rect", NS).get("y"))
    assert top < bottom


def test_labels_and_title_from_a_tenant_are_escaped():
    evil = '<script>alert("x")</script>'
    svg = heatmap_svg(heatmap([(1, 1)], simple_matrix()), [evil, "b", "c"], ["d & e", "f", "g"], title=evil)
    assert "<script>" not in svg
    root = ET.fromstring(svg)  # still well-formed XML
    assert root.find("svg:title", NS).text == evil
    tooltip = _cells(svg)[(1, 1)].find("svg:title", NS).text
    assert evil in tooltip and "d & e" in tooltip


def test_the_label_says_how_many_hazards_the_map_holds():
    svg = heatmap_svg(heatmap([(1, 1), (2, 2), (None, None)], simple_matrix()), title="Risiko før tiltak")
    assert ET.fromstring(svg).get("aria-label") == "Risiko før tiltak: 2 farer"
