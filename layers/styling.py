"""How layers look: Qt-free style descriptions (colours as hex strings, sizes in screen pixels).

One style serves the screen, the PDF/PNG exports (both drawn by :mod:`gui.render`) and the web map
(:mod:`projects.web_map`): a colour, an opacity or a symbol is defined once here.

Colour choices: the covered-share choropleth is a ColorBrewer *YlGnBu* sequential ramp (light = low
coverage; safe for red-green colour blindness, no red-to-green ramp), newly covered / newly uncovered
areas are a blue/orange pair, gap areas purple with a hatch and an outline. Facility symbols carry a dark
outline and a white halo so that they never sit colour-on-same-colour on a fill.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .classes import registry

GAP_COLOUR = "#6a3d9a"
#: gap areas smaller than this on the page (screen pixels across) are drawn as a ring of this size (around
#: the village symbol that usually sits in them)
GAP_MIN_DRAWN_PX = 9.0
#: covered-share classes (upper bounds) and their colours: ColorBrewer YlGnBu, light (low) to dark (high)
SHARE_CLASSES: tuple[tuple[float, str], ...] = (
    (0.25, "#ffffcc"),
    (0.5, "#c7e9b4"),
    (0.75, "#7fcdbb"),
    (0.9, "#41b6c4"),
    (1.0001, "#225ea8"),
)
#: the choropleth's fill opacity; the legend draws its swatches with the same opacity (times the layer's)
CHOROPLETH_OPACITY = 0.6
#: township without a figure (missing is never drawn as 0 %)
NO_DATA_COLOUR = "#cccccc"
#: scenario comparison: newly covered (blue) and newly uncovered (orange), a colour-blind-safe pair
GAINED_COLOUR = "#2c7bb6"
LOST_COLOUR = "#e66101"
#: township map by one planning target: fill opacity (the legend uses the same)
TARGET_OPACITY = 0.6
HALO_COLOUR = "#ffffff"


@dataclass(frozen=True)
class Style:
    """Stroke, fill and point symbol of a layer (or of one category of it)."""

    stroke: str = "#333333"
    stroke_width_px: float = 1.0
    fill: str | None = None
    fill_opacity: float = 0.35
    symbol: str = "circle"  # circle | square | triangle | diamond | pentagon | hexagon | star | cross
    size_px: float = 8.0
    hollow: bool = False
    dash: bool = False
    #: a light casing drawn under the stroke / symbol (None: none), in screen pixels beyond the stroke
    halo: str | None = None
    halo_px: float = 0.0
    hatch: bool = False  # fills: diagonal hatching in the stroke colour
    stroke_opacity: float = 1.0


@dataclass(frozen=True)
class RoadStyle:
    """Road classes drawn wider and darker for bigger roads; smaller classes dropped as the map zooms out
    (see :func:`road_visible`): at county scale only major and middle roads, simplified."""

    major: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                                       "secondary", "secondary_link"})
    middle: frozenset[str] = frozenset({"tertiary", "tertiary_link", "unclassified", "residential", "road", "living_street"})
    major_style: Style = Style(stroke="#a0522d", stroke_width_px=1.8)
    middle_style: Style = Style(stroke="#8c8c8c", stroke_width_px=0.9)
    minor_style: Style = Style(stroke="#b0b0b0", stroke_width_px=0.7)
    #: middle roads that are streets of a built-up grid (dropped before the rural middle roads)
    local: frozenset[str] = frozenset({"residential", "road", "living_street"})
    #: the lighter, thinner middle roads drawn at county scale
    county_middle_style: Style = Style(stroke="#a6a6a6", stroke_width_px=0.55)

    def road_class(self, highway: object) -> int:
        """0 major, 1 middle, 2 minor (footways, tracks, service, unknown)."""
        if highway in self.major:
            return 0
        if highway in self.middle:
            return 1
        return 2

    def road_rank(self, highway: object) -> int:
        """0 major, 1 middle (not a local street), 2 local street, 3 minor: the order roads are dropped in."""
        if highway in self.major:
            return 0
        if highway in self.local:
            return 2
        if highway in self.middle:
            return 1
        return 3


#: above these metres per screen pixel (1/96 inch), a road rank is no longer drawn: minor roads go first,
#: then the streets of built-up grids (so a town is not a grey blob at county scale)
ROAD_RANK_MAX_M_PER_PX: dict[int, float] = {0: float("inf"), 1: float("inf"), 2: 20.0, 3: 12.0}
#: metres per screen pixel from which the map counts as county scale (lighter middle roads, bolder circles)
COUNTY_SCALE_M_PER_PX = 25.0


def road_visible(rank: int, *, m_per_px: float) -> bool:
    """Whether roads of ``rank`` (see :meth:`RoadStyle.road_rank`) are drawn at ``m_per_px`` metres per
    screen pixel."""
    return m_per_px <= ROAD_RANK_MAX_M_PER_PX.get(rank, 12.0)


def road_style(rank: int, *, m_per_px: float, roads: RoadStyle | None = None) -> Style:
    """The style of a road rank at a scale (thinner, lighter middle roads at county scale)."""
    rs = roads or DEFAULT_STYLES.roads
    if rank == 0:
        return rs.major_style
    if rank in (1, 2):
        return rs.county_middle_style if m_per_px > COUNTY_SCALE_M_PER_PX else rs.middle_style
    return rs.minor_style


def share_colour(share: float) -> str:
    """Choropleth colour for a covered share (NaN -> grey: no figure, never drawn as 0 %)."""
    if share != share:  # NaN
        return NO_DATA_COLOUR
    for upper, colour in SHARE_CLASSES:
        if share < upper:
            return colour
    return SHARE_CLASSES[-1][1]


def share_style(share: float) -> Style:
    """The choropleth fill of a township (no outline: the township layer draws the boundaries)."""
    return Style(stroke="#00000000", stroke_width_px=0.0, fill=share_colour(share), fill_opacity=CHOROPLETH_OPACITY)


def class_colour(type_: str) -> str:
    """A facility class's colour (from the class registry; grey for an unknown class)."""
    reg = registry()
    return reg[type_].colour if type_ in reg else "#444444"


def darker(hex_: str, factor: float = 0.6) -> str:
    """A darker shade of a colour (each channel times ``factor``), for outlines of fills of that colour."""
    h = hex_.lstrip("#")[:6]
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, round(c * factor))) for c in (r, g, b)))


def facility_style(type_: str, status: str) -> Style:
    """Existing facilities filled, planned ones hollow, ones to close dashed; symbol and colour of the class.
    A dark outline and a white halo keep a symbol readable on any fill (never colour on the same colour)."""
    reg = registry()
    colour = class_colour(type_)
    planned = status == "planned"
    return Style(
        stroke=colour if planned else "#1a1a1a",
        stroke_width_px=2.0 if planned else 1.0,
        fill=colour,
        fill_opacity=1.0,
        symbol=reg[type_].symbol if type_ in reg else "circle",
        size_px=10.0 if type_ in reg and reg[type_].level == "county" else 9.0,
        hollow=planned,
        dash=status == "to_close",
        halo=HALO_COLOUR,
        halo_px=1.5,
    )


def band_style(type_: str, band_index: int, n_bands: int) -> Style:
    """Fill of a circle band (``band_index`` 0 = the shortest walk): inner bands more opaque; a dark outline
    in the class's colour with a light casing so the band edges read on the choropleth at county scale."""
    opacity = 0.18 + 0.32 * (n_bands - 1 - band_index) / max(n_bands - 1, 1)
    colour = class_colour(type_)
    outer = band_index == n_bands - 1
    return Style(stroke=darker(colour), stroke_width_px=1.2 if outer else 0.6, fill=colour, fill_opacity=opacity,
                 halo=HALO_COLOUR if outer else None, halo_px=1.0 if outer else 0.0, stroke_opacity=0.95 if outer else 0.7)


def compare_style(change: str) -> Style:
    """Newly covered (``gained``, blue) or newly uncovered (``lost``, orange, hatched) areas."""
    colour = GAINED_COLOUR if change == "gained" else LOST_COLOUR
    return Style(stroke=darker(colour, 0.8), stroke_width_px=1.2, fill=colour, fill_opacity=0.5, hatch=change != "gained")


@dataclass(frozen=True)
class LayerStyles:
    """Default styles per layer kind."""

    townships: Style = Style(stroke="#404040", stroke_width_px=1.6, fill=None, halo=HALO_COLOUR, halo_px=1.0)
    communities_urban: Style = Style(stroke="#225522", fill="#66bb66", fill_opacity=1.0, symbol="diamond", size_px=6.0)
    communities_village: Style = Style(stroke="#556655", fill="#cfe8cf", fill_opacity=1.0, symbol="circle", size_px=4.0)
    population: Style = Style(stroke="#555555", fill="#999999", fill_opacity=0.8, symbol="circle", size_px=4.0)
    gaps: Style = Style(stroke=GAP_COLOUR, stroke_width_px=1.2, fill=GAP_COLOUR, fill_opacity=0.45, hatch=True)
    highlight: Style = Style(stroke="#00e5ff", stroke_width_px=3.0, fill=None)
    roads: RoadStyle = field(default_factory=RoadStyle)


DEFAULT_STYLES = LayerStyles()
