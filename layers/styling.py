"""How layers look: Qt-free style descriptions (colours as hex strings, sizes in screen pixels).

The GUI's renderer turns these into pens and brushes; exports use the same renderer, so a style is
defined once here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .classes import registry

GAP_COLOUR = "#6a3d9a"
#: covered-share classes (upper bounds) and their colours, red (poor) to green (good)
SHARE_CLASSES: tuple[tuple[float, str], ...] = (
    (0.25, "#d7191c"),
    (0.5, "#fdae61"),
    (0.75, "#ffffbf"),
    (0.9, "#a6d96a"),
    (1.0001, "#1a9641"),
)


@dataclass(frozen=True)
class Style:
    """Stroke, fill and point symbol of a layer (or of one category of it)."""

    stroke: str = "#333333"
    stroke_width_px: float = 1.0
    fill: str | None = None
    fill_opacity: float = 0.35
    symbol: str = "circle"  # circle | square | triangle | diamond
    size_px: float = 8.0
    hollow: bool = False
    dash: bool = False


@dataclass(frozen=True)
class RoadStyle:
    """Road classes drawn wider and darker for bigger roads; minor classes hidden when zoomed out."""

    major: frozenset[str] = frozenset({"primary", "primary_link", "secondary", "secondary_link", "trunk", "trunk_link"})
    middle: frozenset[str] = frozenset({"tertiary", "tertiary_link", "unclassified", "residential", "road", "living_street"})
    major_style: Style = Style(stroke="#b35806", stroke_width_px=2.0)
    middle_style: Style = Style(stroke="#7f7f7f", stroke_width_px=1.0)
    minor_style: Style = Style(stroke="#b0b0b0", stroke_width_px=0.8)

    def road_class(self, highway: object) -> int:
        """0 major, 1 middle, 2 minor (footways, tracks, service, unknown)."""
        if highway in self.major:
            return 0
        if highway in self.middle:
            return 1
        return 2


def share_colour(share: float) -> str:
    """Choropleth colour for a covered share (NaN -> grey)."""
    if share != share:  # NaN
        return "#cccccc"
    for upper, colour in SHARE_CLASSES:
        if share < upper:
            return colour
    return SHARE_CLASSES[-1][1]


def class_colour(type_: str) -> str:
    """A facility class's colour (from the class registry; grey for an unknown class)."""
    reg = registry()
    return reg[type_].colour if type_ in reg else "#444444"


def facility_style(type_: str, status: str) -> Style:
    """Existing facilities filled, planned ones hollow, ones to close dashed; symbol and colour of the class."""
    reg = registry()
    colour = class_colour(type_)
    return Style(
        stroke="#000000" if status != "planned" else colour,
        stroke_width_px=1.0 if status != "planned" else 2.0,
        fill=colour,
        fill_opacity=1.0,
        symbol=reg[type_].symbol if type_ in reg else "circle",
        size_px=10.0 if type_ in reg and reg[type_].level == "county" else 9.0,
        hollow=status == "planned",
        dash=status == "to_close",
    )


def band_style(type_: str, band_index: int, n_bands: int) -> Style:
    """Fill of a circle band: inner bands more opaque."""
    opacity = 0.15 + 0.25 * (n_bands - 1 - band_index) / max(n_bands - 1, 1)
    return Style(stroke=class_colour(type_), stroke_width_px=0.6, fill=class_colour(type_),
                 fill_opacity=opacity)


@dataclass(frozen=True)
class LayerStyles:
    """Default styles per layer kind."""

    townships: Style = Style(stroke="#404040", stroke_width_px=1.6, fill=None)
    communities_urban: Style = Style(stroke="#225522", fill="#66bb66", fill_opacity=1.0, symbol="diamond", size_px=6.0)
    communities_village: Style = Style(stroke="#556655", fill="#cfe8cf", fill_opacity=1.0, symbol="circle", size_px=4.0)
    population: Style = Style(stroke="#555555", fill="#999999", fill_opacity=0.8, symbol="circle", size_px=4.0)
    gaps: Style = Style(stroke=GAP_COLOUR, stroke_width_px=1.2, fill=GAP_COLOUR, fill_opacity=0.55)
    highlight: Style = Style(stroke="#00e5ff", stroke_width_px=3.0, fill=None)
    roads: RoadStyle = field(default_factory=RoadStyle)


DEFAULT_STYLES = LayerStyles()
