"""An interactive web map (one self-contained HTML file) of an analysis, for sharing with people without the app.

The page works with no network at all: Leaflet's JS and CSS (vendored in ``projects/vendor/leaflet``) are inlined,
its images are data: URIs, there is no tile layer (an optional local basemap image is embedded as a data: PNG),
and folium's default CDN resources (jQuery, Bootstrap, Font Awesome, awesome-markers) are not referenced at all.

It looks like the printed map: every colour, opacity, symbol and road class comes from :mod:`layers.styling` (the
one style of screen, PDF, PNG and web map), so facilities are drawn with their class's symbol (filled when
existing, hollow when planned, dashed when to close), the walking circles in the bands the user chose, the
choropleth and its legend at the same opacity. The page carries the map's thematic title, township names (placed
without overlaps, from :data:`LABEL_MIN_ZOOM` on), major and middle roads (dropped by scale as on the PDF), a
legend of symbols, bands, choropleth classes and gaps, and a metric scale bar. The class the map shows
(``display_type``) is on at first; the layers of the other classes are in the layer control, off.
Class names and the order of the layers come from the facility class registry (:mod:`layers.classes`), and
popups name classes, statuses and missed targets in Chinese.
Qt-free: this module only uses folium/branca, geopandas and shapely (and the registry, styles and target labels).
"""
from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from layers import styling
from layers.classes import ClassRegistry, registry
from layers.styling import DEFAULT_STYLES, SHARE_CLASSES, Style, band_style, facility_style, share_colour
from spatial.targets import StandardProfile, target_label

from .outputs import atomic_write, run_notes

VENDOR = Path(__file__).resolve().parent / "vendor" / "leaflet"
LEAFLET_VERSION = "1.9.4"

CHANGE_LABELS = {"gained": "新增覆盖", "lost": "失去覆盖"}

SIMPLIFY_M = 5.0
#: service circles are traced on the analysis' 10 m cells: simplifying at the cell size drops the staircase only
CIRCLE_SIMPLIFY_M = 10.0
#: roads are drawn for orientation: 10 m is below a pixel at the zoom levels they are shown
ROAD_SIMPLIFY_M = 10.0
DIGITS = 6
#: township names are shown from this Leaflet zoom level on (about 1:2,000,000 at 32°N); below it they would
#: only cover each other
LABEL_MIN_ZOOM = 8.0
#: the padding (CSS px) kept free around the county when the page opens: top-left for the title and the legend,
#: bottom-right for the layer control
FIT_PADDING_TOP_LEFT = (250, 90)
FIT_PADDING_BOTTOM_RIGHT = (230, 20)
#: the equator's length (m) over a 256 px Web Mercator tile: metres per CSS pixel at zoom 0 are this × cos(lat)
MERCATOR_M_PER_PX_Z0 = 40075016.686 / 256
FONT_FAMILY = ('"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",'
               '"Noto Serif CJK SC",sans-serif')

#: map panes, bottom to top, in the order the printed map draws its layers (see projects.workspace.LAYER_KINDS)
PANES = (("cc_coverage", 380), ("cc_townships", 385), ("cc_circles", 400), ("cc_compare", 410), ("cc_roads", 420),
         ("cc_gaps", 430), ("cc_labels", 640))


@dataclass
class WebLayers:
    """What goes on the web map. Every frame may be in any CRS; ``None`` or empty frames are left out.

    ``profile`` names the targets in the townships' ``flags`` (target ids) and adds the classes its targets
    count to those shown. ``classes`` are the class ids shown (default: :func:`shown_classes`).
    ``display_type`` is the class the map shows when it opens: its covered share colours the townships and its
    circles, gaps, facilities and comparison are on; the other classes' layers start off (default: day_care if
    shown, else the first shown class with a ``share_<id>`` column). ``minutes`` are the walking bands the user
    chose (default: those of the circles frame); ``roads`` are road segments with a ``highway`` column."""

    townships: gpd.GeoDataFrame | None = None  # name, share_<class id> per class, flags (target ids, ';')
    circles: gpd.GeoDataFrame | None = None  # type, minutes (merged or per facility; merged per band when drawn)
    gaps: gpd.GeoDataFrame | None = None  # type, township, elderly, area_ha
    facilities: gpd.GeoDataFrame | None = None  # fid, name, type, beds, nursing_beds, status
    compare: gpd.GeoDataFrame | None = None  # type, change ('gained' | 'lost'), area_ha
    roads: gpd.GeoDataFrame | None = None  # highway (OSM classes), any line geometry
    profile: StandardProfile | None = None
    classes: Sequence[str] | None = None
    display_type: str | None = None
    minutes: Sequence[float] | None = None
    #: what the run counted (profile, statuses, elderly basis): printed under the legend
    notes: str = ""

    @classmethod
    def from_result(cls, result, *, townships: gpd.GeoDataFrame | None = None,
                    facilities: gpd.GeoDataFrame | None = None, compare: gpd.GeoDataFrame | None = None,
                    roads: gpd.GeoDataFrame | None = None, display_type: str | None = None) -> "WebLayers":
        """The layers of an :class:`~spatial.analysis.AnalysisResult`: its merged circles per band (as the
        printed map draws them; else its facility circles), gaps, profile and the bands of its parameters;
        ``townships`` as the workspace's coverage layer, ``roads`` as the workspace's road layer."""
        circles = result.isochrones if not _empty(result.isochrones) else result.facility_circles
        return cls(townships=townships, circles=circles, gaps=result.gaps, facilities=facilities, compare=compare,
                   roads=roads, profile=result.params.profile, display_type=display_type,
                   minutes=tuple(float(m) for m in result.params.minutes), notes=run_notes(result))


class OfflineMap(folium.Map):
    """A folium Map that links no CDN resources (Leaflet is inlined by :func:`render_html`)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


def share_color(share) -> str:
    """The choropleth colour of a covered share (0–1), from :func:`layers.styling.share_colour`; its no-data
    grey for a missing share (never drawn as 0 %)."""
    return share_colour(float(share) if _finite(share) else math.nan)


def shown_classes(layers: WebLayers, classes: ClassRegistry | None = None) -> list[str]:
    """The class ids the map shows, in registry order: ``layers.classes`` if set, else every class with a
    facility or a service circle on the map and every class a target of ``layers.profile`` counts (with no
    facility or circle frame at all: the classes of the gap and comparison frames)."""
    reg = classes if classes is not None else registry()
    if layers.classes is not None:
        present = {str(c) for c in layers.classes}
    else:
        present = _frame_types(layers.facilities) | _frame_types(layers.circles)
        if layers.profile is not None:
            present |= {c for t in layers.profile.targets for c in t.classes}
        if not present and _empty(layers.facilities) and _empty(layers.circles):
            present = _frame_types(layers.gaps) | _frame_types(layers.compare)
    if layers.display_type is not None:  # the class the map shows is always among the classes shown
        present.add(str(layers.display_type))
    order = list(reg.ids)
    return sorted(present, key=lambda t: (order.index(t) if t in order else len(order), t))


def display_class(layers: WebLayers, shown: Sequence[str]) -> str | None:
    """The class whose covered share colours the townships (see :class:`WebLayers`)."""
    frame = layers.townships
    columns = set(frame.columns) if frame is not None else set()
    if layers.display_type is not None:
        return layers.display_type
    if "day_care" in shown and "share_day_care" in columns:
        return "day_care"
    return next((c for c in shown if f"share_{c}" in columns), None)


def write_html(path, *, layers: WebLayers, title: str, subtitle: str = "",
               basemap: tuple[np.ndarray, tuple[float, float, float, float]] | None = None) -> Path:
    """Write the interactive map of ``layers`` to ``path`` (atomically) and return the path.

    ``title`` is the map's thematic title (the page's title and the title box on the map), ``subtitle`` an
    optional second line. ``basemap`` is an optional local image: an RGBA array and its (minx, miny, maxx, maxy)
    bounds in EPSG:4326.
    """
    text = render_html(layers=layers, title=title, subtitle=subtitle, basemap=basemap)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def render_html(*, layers: WebLayers, title: str, subtitle: str = "",
                basemap: tuple[np.ndarray, tuple[float, float, float, float]] | None = None) -> str:
    """The whole HTML page as text (see :func:`write_html`)."""
    figure = Figure(title=title)
    figure.header.add_child(Element('<meta charset="utf-8">'), name="cc_charset")
    figure.header.add_child(Element(_PLACEHOLDER), name="cc_leaflet")
    figure.header.add_child(Element(_page_css()), name="cc_css")
    m = OfflineMap(tiles=None, control_scale=False, attribution_control=False, zoom_start=11, zoom_snap=0.25,
                   zoom_delta=0.5)
    figure.add_child(m)
    for pane, z in PANES:
        folium.map.CustomPane(pane, z_index=z, pointer_events=pane not in ("cc_roads", "cc_labels")).add_to(m)

    reg = registry()
    shown = shown_classes(layers, reg)
    display = display_class(layers, shown)
    style = _Style(reg, shown, display, display if display in shown or not shown else shown[0],
                   _flag_labels(layers.profile, reg))
    group_starts: list[str] = []
    townships = _web_frame(layers.townships)
    circles = _web_frame(layers.circles, tolerance_m=CIRCLE_SIMPLIFY_M)
    bands = _bands(layers, circles)
    bounds = _bounds(townships, layers)
    if basemap is not None:
        _add_basemap(m, *basemap)
    coverage = _add_townships(m, townships, style) if townships is not None else None
    labels = _add_labels(m, layers.townships) if townships is not None else None
    roads = _add_roads(m, layers.roads)
    hatches: dict[str, Style] = {}
    gap_layers: list[folium.GeoJson] = []
    band_halos: list[tuple[folium.GeoJson, dict]] = []
    gaps, compare, facilities = (_web_frame(layers.gaps), _web_frame(layers.compare),
                                 _web_frame(layers.facilities))
    # one block per class in the layer control, in registry order; only the class on show starts on
    for t in style.shown:
        names = [
            _add_facilities(m, facilities, style, t) if facilities is not None else None,
            _add_circles(m, circles, style, t, bands, band_halos) if circles is not None else None,
            _add_gaps(m, gaps, style, t, hatches, gap_layers) if gaps is not None else None,
        ]
        group_starts += [n for n in names if n][:1]
    if compare is not None:
        _add_compare(m, compare, style, hatches)
    fit = None
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        fit = [[miny, minx], [maxy, maxx]]
        m.fit_bounds(fit, padding_top_left=list(FIT_PADDING_TOP_LEFT),
                     padding_bottom_right=list(FIT_PADDING_BOTTOM_RIGHT))
    else:
        m.location = [32.0, 120.0]
    folium.LayerControl(collapsed=False).add_to(m)
    _MapScript(m, coverage=coverage, labels=labels, roads=roads, fit=fit, group_starts=group_starts,
               gaps=gap_layers, halos=band_halos).add_to(m)

    figure.html.add_child(Element(_title_html(title, subtitle)), name="cc_title")
    figure.html.add_child(Element(_hatch_defs(hatches)), name="cc_hatches")
    figure.html.add_child(Element(_legend_html(layers, style, bands, has_townships=townships is not None,
                                               has_roads=roads is not None, has_gaps=gaps is not None,
                                               has_compare=compare is not None)), name="cc_legend")

    text = figure.render()
    text = _compact_coordinates(_unescape_cjk(text))
    return text.replace(_PLACEHOLDER, _leaflet_inline(), 1)


@dataclass(frozen=True)
class _Style:
    """Names for one page: the registry, the classes shown, the choropleth class, the class on show when the
    page opens, target labels."""

    reg: ClassRegistry
    shown: Sequence[str]
    display: str | None
    on: str | None
    flags: dict[str, str]

    def label(self, class_id: str) -> str:
        return self.reg.label(class_id)

    def has_beds(self, class_id: str) -> bool:
        return class_id not in self.reg or self.reg[class_id].has_beds

    def status(self, status_id: str) -> str:
        return self.reg.status_label(status_id) if status_id else ""

    @property
    def share_title(self) -> str:
        return f"{self.label(self.display)}覆盖率" if self.display else "覆盖率"


def _flag_labels(profile: StandardProfile | None, reg: ClassRegistry) -> dict[str, str]:
    if profile is None:
        return {}
    return {t.id: target_label(t, class_label=reg.label, minutes=profile.minutes_of(t)) for t in profile.targets}


# --- styles (all from layers.styling) ------------------------------------------------------------------------------

def _choropleth_opacity() -> float:
    """The choropleth's fill opacity: the shared style's (the legend uses the same); 0.55, the screen map's
    value, while :mod:`layers.styling` has none."""
    return float(getattr(styling, "CHOROPLETH_OPACITY", 0.55))


def _compare_style(change: str) -> Style:
    fn = getattr(styling, "compare_style", None)
    if fn is not None:
        return fn(change)
    colour = "#1a9641" if change == "gained" else "#d7191c"
    return Style(stroke=colour, stroke_width_px=1.2, fill=colour, fill_opacity=0.45)


def _gap_marker_style() -> Style | None:
    """The ring the printed map draws around a gap area smaller than ``GAP_MIN_DRAWN_PX`` across (None: the
    shared style draws no rings): ``layers.styling.gap_marker_style()`` if it has one, else the screen
    renderer's ring of the gap colour (1.4 px outline, 30 % fill)."""
    min_px = getattr(styling, "GAP_MIN_DRAWN_PX", None)
    if not min_px:
        return None
    fn = getattr(styling, "gap_marker_style", None)
    if fn is not None:
        return fn()
    gaps = DEFAULT_STYLES.gaps
    return Style(stroke=gaps.stroke, stroke_width_px=1.4, fill=gaps.fill, fill_opacity=0.3, size_px=float(min_px))


def _gap_ring_options() -> dict | None:
    ring = _gap_marker_style()
    if ring is None:
        return None
    return {"minPx": float(getattr(styling, "GAP_MIN_DRAWN_PX")),
            "style": {**_path_style(ring), "radius": ring.size_px / 2}}


def _path_style(style: Style, *, fill: bool = True, hatch_id: str | None = None) -> dict:
    """Leaflet path options of a style (a hatched fill is an SVG pattern, see :func:`_hatch_defs`)."""
    out = {"color": style.stroke[:7], "weight": style.stroke_width_px,
           "opacity": _hex_alpha(style.stroke) * float(getattr(style, "stroke_opacity", 1.0)),
           "stroke": style.stroke_width_px > 0 and _hex_alpha(style.stroke) > 0}
    if fill and style.fill is not None and not style.hollow:
        if hatch_id is not None:
            out.update(fillColor=f"url(#{hatch_id})", fillOpacity=1.0)
        else:
            out.update(fillColor=style.fill[:7], fillOpacity=style.fill_opacity)
    else:
        out["fill"] = False
    if style.dash:
        w = max(style.stroke_width_px, 1.0)
        out["dashArray"] = f"{4 * w:g} {2 * w:g}"
    return out


def _hex_alpha(colour: str) -> float:
    h = colour.lstrip("#")
    return int(h[6:8], 16) / 255 if len(h) == 8 else 1.0


def _rgba(colour: str, opacity: float) -> str:
    h = colour.lstrip("#")[:6]
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{opacity:.3g})"


def _hatch_id(style: Style) -> str:
    colours = re.sub(r"[^0-9a-fA-F]", "", f"{style.fill}{style.stroke}")
    return f"cc-hatch-{colours}-{round(style.fill_opacity * 100)}"


def _hatch_defs(hatches: dict[str, Style]) -> str:
    """SVG patterns of the hatched fills (gaps, lost areas): the fill at its opacity under diagonal lines in the
    stroke colour, as the printed map draws them. Paths refer to them by ``fill="url(#id)"``."""
    if not hatches:
        return ""
    patterns = "".join(
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{s.fill[:7]}" fill-opacity="{s.fill_opacity:g}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{s.stroke[:7]}" stroke-width="1.5" stroke-opacity="0.9"/>'
        f'</pattern>' for pid, s in hatches.items())
    return (f'<svg class="cc-defs" width="0" height="0" aria-hidden="true" '
            f'style="position:absolute;width:0;height:0;overflow:hidden"><defs>{patterns}</defs></svg>')


def _symbol_shape(symbol: str, r: float) -> str:
    """An SVG element of a point symbol centred on (0, 0), radius ``r`` px (the shapes of the printed map)."""
    def polygon(points):
        return '<polygon points="' + " ".join(f"{x:.2f},{y:.2f}" for x, y in points) + '"/>'

    if symbol == "square":
        return f'<rect x="{-r:.2f}" y="{-r:.2f}" width="{2 * r:.2f}" height="{2 * r:.2f}"/>'
    if symbol == "triangle":
        return polygon([(0, -r * 1.15), (r, r * 0.8), (-r, r * 0.8)])
    if symbol == "diamond":
        return polygon([(0, -r), (r, 0), (0, r), (-r, 0)])
    if symbol in ("pentagon", "hexagon", "star"):
        n = {"pentagon": 5, "hexagon": 6, "star": 10}[symbol]
        radii = [r * 1.1, r * 0.45] if symbol == "star" else [r * 1.05]
        return polygon([(radii[i % len(radii)] * math.sin(2 * math.pi * i / n),
                         -radii[i % len(radii)] * math.cos(2 * math.pi * i / n)) for i in range(n)])
    if symbol == "cross":
        w = r * 0.38
        return polygon([(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w),
                        (-r, -w), (-w, -w)])
    return f'<circle cx="0" cy="0" r="{r:.2f}"/>'


def symbol_svg(style: Style) -> tuple[str, int]:
    """An inline SVG of a point symbol (its shape, fill, outline, dash and halo as :mod:`layers.styling` says)
    and its width in px (the SVG is square and centred on the point)."""
    r = style.size_px / 2.0
    halo = getattr(style, "halo", None)
    halo_px = float(getattr(style, "halo_px", 0.0)) if halo else 0.0
    half = r * 1.2 + style.stroke_width_px / 2 + halo_px + 1.0
    width = int(math.ceil(2 * half))
    half = width / 2
    shape = _symbol_shape(style.symbol, r)
    parts = []
    if halo:
        parts.append(f'<g fill="none" stroke="{halo[:7]}" stroke-width="{style.stroke_width_px + 2 * halo_px:g}" '
                     f'stroke-linejoin="round">{shape}</g>')
    filled = style.fill is not None and not style.hollow
    fill = (f'fill="{style.fill[:7]}" fill-opacity="{style.fill_opacity:g}"' if filled else 'fill="none"')
    dash = ""
    if style.dash:
        w = max(style.stroke_width_px, 1.0)
        dash = f' stroke-dasharray="{3 * w:g} {1.5 * w:g}"'
    parts.append(f'<g class="cc-sym-shape" {fill} stroke="{style.stroke[:7]}" '
                 f'stroke-width="{style.stroke_width_px:g}" stroke-linejoin="round"{dash}>{shape}</g>')
    svg = (f'<svg width="{width}" height="{width}" '
           f'viewBox="{-half:g} {-half:g} {width} {width}">{"".join(parts)}</svg>')
    return svg, width


# --- layers --------------------------------------------------------------------------------------------------------

def _add_basemap(m: folium.Map, image: np.ndarray, bounds) -> None:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    image = _mercator_rows(_rgba_uint8(np.asarray(image)), miny, maxy)
    folium.map.CustomPane("cc_basemap", z_index=150, pointer_events=False).add_to(m)
    overlay = folium.raster_layers.ImageOverlay(image, bounds=[[miny, minx], [maxy, maxx]], name="底图",
                                                 pane="cc_basemap", interactive=False, pixelated=False)
    overlay.add_to(m)


def _add_townships(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> folium.GeoJson:
    """The township choropleth of the class on show (its boundaries are added by the page script)."""
    shares = [t for t in style.shown if f"share_{t}" in frame.columns]
    if style.display and style.display not in shares and f"share_{style.display}" in frame.columns:
        shares.insert(0, style.display)
    opacity = _choropleth_opacity()

    def props(row):
        flags = _flag_list(row.get("flags"))
        out = {"name": _text(row.get("name"))}
        out.update({f"share_{t}": _pct(row.get(f"share_{t}")) for t in shares})
        out["flags"] = "、".join(style.flags.get(f, f) for f in flags) or "无"
        out["color"] = share_color(_num(row.get(f"share_{style.display}"))) if style.display else share_color(None)
        return out

    layer = folium.GeoJson(
        _feature_collection(frame, props), name=f"乡镇{style.share_title}", pane="cc_coverage",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "fillOpacity": opacity, "stroke": False},
        highlight_function=lambda f: {"stroke": True, "weight": 3, "color": "#222222", "opacity": 1},
        popup=folium.GeoJsonPopup(
            fields=["name", *(f"share_{t}" for t in shares), "flags"],
            aliases=["乡镇/街道", *(f"{style.label(t)}覆盖率" for t in shares), "未达标项"], localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    )
    layer.add_to(m)
    return layer


def _add_labels(m: folium.Map, frame: gpd.GeoDataFrame) -> folium.FeatureGroup | None:
    """Township names at a point inside each township, biggest township first (it wins an overlap)."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if "name" not in frame.columns or len(frame) == 0:
        return None
    metric = frame.crs if _is_metric(frame.crs) else frame.estimate_utm_crs()
    proj = frame.to_crs(metric)
    points = gpd.GeoSeries(shapely.point_on_surface(proj.geometry.values), crs=metric).to_crs(4326)
    group = folium.FeatureGroup(name="乡镇/街道名称", show=True)
    for i in np.argsort(-proj.geometry.area.to_numpy(), kind="stable"):
        name = _text(frame["name"].iloc[i])
        if not name:
            continue
        pt = points.iloc[i]
        folium.Marker(
            [round(pt.y, DIGITS), round(pt.x, DIGITS)], pane="cc_labels", interactive=False, keyboard=False,
            icon=folium.DivIcon(html=f'<span class="cc-label-text">{html.escape(name)}</span>', icon_size=(0, 0),
                                icon_anchor=(0, 0), class_name="cc-label"),
        ).add_to(group)
    group.add_to(m)
    return group


@dataclass(frozen=True)
class _RoadTier:
    """Roads of one rank: shown up to ``max_m_per_px`` (metres per CSS pixel), in ``near`` style, in ``far``
    style beyond ``far_from_m_per_px`` (county scale)."""

    rank: int
    max_m_per_px: float
    near: Style
    far: Style
    far_from_m_per_px: float


def _road_tiers() -> tuple[list[_RoadTier], object]:
    """The road ranks the web map draws (major and middle roads, never the minor ones) and a function giving a
    highway class's rank, as the shared style generalises roads by scale."""
    rs = DEFAULT_STYLES.roads
    rank_of = getattr(rs, "road_rank", None)
    road_style = getattr(styling, "road_style", None)
    limits = getattr(styling, "ROAD_RANK_MAX_M_PER_PX", None)
    if rank_of is not None and road_style is not None and limits is not None:
        county = float(getattr(styling, "COUNTY_SCALE_M_PER_PX", math.inf))
        # ranks of major and middle roads (minor roads, the last rank, stay off the web map)
        ranks = sorted({rank_of(h) for h in (*rs.major, *rs.middle)})
        tiers = [_RoadTier(r, float(limits.get(r, math.inf)), road_style(r, m_per_px=0.0),
                           road_style(r, m_per_px=math.inf), county) for r in ranks]
        return tiers, rank_of
    tiers = [_RoadTier(0, math.inf, rs.major_style, rs.major_style, math.inf),
             _RoadTier(1, math.inf, rs.middle_style, rs.middle_style, math.inf)]
    return tiers, rs.road_class


def _add_roads(m: folium.Map, frame: gpd.GeoDataFrame | None) -> list[tuple[folium.GeoJson, _RoadTier]] | None:
    """Major and middle roads (merged into lines per rank, simplified) in one "道路" overlay; the page script
    drops and restyles ranks by scale."""
    if _empty(frame) or "highway" not in frame.columns:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.crs is None:
        raise ValueError("the road layer has no CRS")
    tiers, rank_of = _road_tiers()
    ranks = np.array([rank_of(h) for h in frame["highway"]])
    metric = frame.crs if _is_metric(frame.crs) else frame.estimate_utm_crs()
    geoms = frame.geometry.to_crs(metric).to_numpy()
    group = folium.FeatureGroup(name="道路", show=True)
    out = []
    for tier in reversed(tiers):  # smaller roads first, major roads on top
        sel = geoms[ranks == tier.rank]
        if sel.size == 0:
            continue
        lines = shapely.line_merge(shapely.multilinestrings(shapely.get_parts(sel)))
        merged = gpd.GeoDataFrame({"rank": [tier.rank]}, geometry=[lines], crs=metric)
        web = _web_frame(merged, tolerance_m=ROAD_SIMPLIFY_M)
        if web is None:
            continue
        layer = folium.GeoJson(
            _feature_collection(web, lambda row: {}), pane="cc_roads", interactive=False, control=False,
            style_function=lambda f, s=_path_style(tier.near, fill=False): s)
        layer.add_to(group)
        out.append((layer, tier))
    if not out:
        return None
    group.add_to(m)
    return out


def _bands(layers: WebLayers, circles: gpd.GeoDataFrame | None) -> list[float]:
    """The walking bands (minutes, shortest first): the ones the user chose, else those of the circles."""
    if layers.minutes is not None:
        chosen = sorted({float(v) for v in layers.minutes})
    elif circles is not None and "minutes" in circles.columns:
        chosen = sorted({float(v) for v in circles["minutes"].dropna()})
    else:
        chosen = []
    if circles is not None and "minutes" in circles.columns and chosen:
        other = sorted({float(v) for v in circles["minutes"].dropna()} - set(chosen))
        if other:
            raise ValueError(f"service circles of {', '.join(f'{v:g}' for v in other)} minutes are not among the "
                             f"chosen bands ({', '.join(f'{v:g}' for v in chosen)} minutes)")
    return chosen


def _add_circles(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style, t: str, bands: list[float],
                 halos: list[tuple[folium.GeoJson, dict]]) -> str | None:
    """The class's walking circles, one merged polygon per band, longest walk first (inner bands on top), in
    :func:`layers.styling.band_style`; a band whose style has a halo gets it from the page script (in
    ``halos``)."""
    sub = frame[frame["type"].astype(str) == t] if "type" in frame.columns else frame.iloc[0:0]
    if len(sub) == 0 or "minutes" not in sub.columns or not bands:
        return None
    label = style.label(t)
    group = folium.FeatureGroup(name=f"服务圈 · {label}", show=(t == style.on))
    minutes = sub["minutes"].astype(float)
    n = len(bands)
    for i in reversed(range(n)):
        band = bands[i]
        part = sub[minutes == band]
        if len(part) == 0:
            continue
        geom = part.geometry.iloc[0] if len(part) == 1 else shapely.union_all(part.geometry.to_numpy())
        walk = f"步行 {band:g} 分钟"
        merged = gpd.GeoDataFrame({"name": [f"{label} · {walk}服务圈"]}, geometry=[geom], crs=4326)
        band_s = band_style(t, i, n)
        layer = folium.GeoJson(
            _feature_collection(merged, lambda row: {"name": row["name"]}), pane="cc_circles",
            style_function=lambda f, s=_path_style(band_s): s,
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        )
        layer.add_to(group)
        halo = getattr(band_s, "halo", None)
        if halo:
            halos.append((layer, {"color": halo[:7], "opacity": 1.0, "fill": False,
                                  "weight": band_s.stroke_width_px + 2 * float(getattr(band_s, "halo_px", 0.0))}))
    group.add_to(m)
    return group.layer_name


def _add_gaps(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style, t: str, hatches: dict[str, Style],
              layers: list[folium.GeoJson]) -> str | None:
    """The class's gap areas, hatched; the page script rings those too small to see at the zoom level (as the
    printed map does, see :func:`_gap_marker_style`)."""
    sub = frame[frame["type"].astype(str) == t] if "type" in frame.columns else frame.iloc[0:0]
    if len(sub) == 0:
        return None
    label = style.label(t)
    gap_style = DEFAULT_STYLES.gaps
    hatch = None
    if getattr(gap_style, "hatch", False):
        hatch = _hatch_id(gap_style)
        hatches[hatch] = gap_style

    def props(row):
        return {"type": label, "township": _text(row.get("township")),
                "elderly": _int_text(row.get("elderly")), "area_ha": _num_text(row.get("area_ha"), 2)}

    layer = folium.GeoJson(
        _feature_collection(sub, props), name=f"服务缺口 · {label}", show=(t == style.on), pane="cc_gaps",
        style_function=lambda f, s=_path_style(gap_style, hatch_id=hatch): s,
        popup=folium.GeoJsonPopup(fields=["type", "township", "elderly", "area_ha"],
                                  aliases=["缺口类型", "乡镇/街道", "老年人口", "面积 公顷"], localize=False),
    )
    layer.add_to(m)
    layers.append(layer)
    return layer.layer_name


def _add_compare(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style, hatches: dict[str, Style]) -> None:
    """Newly covered / newly uncovered areas: a layer per class (the class on show on)."""
    styles = {}
    for change in ("gained", "lost"):
        s = _compare_style(change)
        hatch = None
        if getattr(s, "hatch", False):
            hatch = _hatch_id(s)
            hatches[hatch] = s
        styles[change] = _path_style(s, hatch_id=hatch)

    def props(row):
        change = _text(row.get("change"))
        type_ = _text(row.get("type"))
        return {"type": style.label(type_) if type_ else "", "change": CHANGE_LABELS.get(change, change),
                "area_ha": _num_text(row.get("area_ha"), 2), "code": change}

    types = [t for t in style.shown if t in _frame_types(frame)] if "type" in frame.columns else [None]
    for t in types:
        sub = frame if t is None else frame[frame["type"].astype(str) == t]
        name = "方案对比 · 覆盖变化" if t is None else f"方案对比 · {style.label(t)}"
        folium.GeoJson(
            _feature_collection(sub, props), name=name, show=(t is None or t == style.on), pane="cc_compare",
            style_function=lambda f: styles.get(f["properties"]["code"], styles["lost"]),
            popup=folium.GeoJsonPopup(fields=["type", "change", "area_ha"], aliases=["类型", "变化", "面积 公顷"],
                                      localize=False),
        ).add_to(m)


def _add_facilities(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style, t: str) -> str | None:
    """The class's facilities with its symbol: existing filled, planned hollow, to close dashed."""
    frame = frame[frame.geometry.geom_type == "Point"]
    sub = frame[frame["type"].astype(str) == t] if "type" in frame.columns else frame.iloc[0:0]
    if len(sub) == 0:
        return None
    label = style.label(t)
    beds = style.has_beds(t)
    icons: dict[str, dict] = {}

    def props(row):
        status = _text(row.get("status"))
        if status not in icons:
            svg, width = symbol_svg(facility_style(t, status))
            svg = svg.replace("<svg ", f'<svg class="cc-status-{html.escape(status)}" ', 1)
            icons[status] = {"html": svg, "iconSize": [width, width], "iconAnchor": [width / 2, width / 2]}
        return {"fid": _text(row.get("fid")), "name": _text(row.get("name")), "type": label,
                "status": style.status(status), "status_code": status,
                "beds": _int_text(row.get("beds")), "nursing_beds": _int_text(row.get("nursing_beds"))}

    data = _feature_collection(sub, props)
    fields = ["name", "type", "status", *(("beds", "nursing_beds") if beds else ())]
    aliases = ["名称", "类型", "状态", *(("床位数", "护理型床位数") if beds else ())]
    layer = folium.GeoJson(
        data, name=f"设施 · {label}", show=(t == style.on),
        marker=folium.Marker(icon=folium.DivIcon(class_name=f"cc-sym cc-sym-{t}")),
        style_function=lambda f: icons[f["properties"]["status_code"]],
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    )
    layer.add_to(m)
    return layer.layer_name


# --- the page script, title and legend -----------------------------------------------------------------------------

class _MapScript(MacroElement):
    """What folium has no element for: a metric-only scale bar, the township boundaries (drawn from the
    choropleth's own features, with the shared style's halo), township names shown from a zoom level on and never
    over each other, and road ranks dropped and restyled by scale."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, m: folium.Map, *, coverage: folium.GeoJson | None, labels: folium.FeatureGroup | None,
                 roads: list[tuple[folium.GeoJson, _RoadTier]] | None,
                 fit: list[list[float]] | None = None, group_starts: Sequence[str] = (),
                 gaps: Sequence[folium.GeoJson] = (), halos: Sequence[tuple[folium.GeoJson, dict]] = ()) -> None:
        super().__init__()
        self._name = "CareCircleMapScript"
        outline = DEFAULT_STYLES.townships
        halo = getattr(outline, "halo", None)
        config = {
            "labelMinZoom": LABEL_MIN_ZOOM,
            "groupStarts": list(group_starts),
            "gapRing": _gap_ring_options(),
            "halos": [h for _layer, h in halos],
            "fit": ({"bounds": fit, "topLeft": list(FIT_PADDING_TOP_LEFT),
                     "bottomRight": list(FIT_PADDING_BOTTOM_RIGHT)} if fit is not None else None),
            "mPerPxZ0": MERCATOR_M_PER_PX_Z0,
            "outline": _path_style(outline, fill=False),
            "halo": ({"color": halo[:7], "weight": outline.stroke_width_px + 2 * float(getattr(outline, "halo_px", 0)),
                      "opacity": 1, "fill": False} if halo else None),
            "roads": [{"max": _js_num(t.max_m_per_px), "farFrom": _js_num(t.far_from_m_per_px),
                       "near": _path_style(t.near, fill=False), "far": _path_style(t.far, fill=False)}
                      for _layer, t in (roads or [])],
        }
        names = {
            "map": m.get_name(),
            "coverage": coverage.get_name() if coverage is not None else "null",
            "labels": labels.get_name() if labels is not None else "null",
            "roads": "[" + ", ".join(layer.get_name() for layer, _t in (roads or [])) + "]",
            "roadGroup": roads[0][0]._parent.get_name() if roads else "null",
            "gaps": "[" + ", ".join(layer.get_name() for layer in gaps) + "]",
            "halos": "[" + ", ".join(layer.get_name() for layer, _h in halos) + "]",
        }
        self.code = _SCRIPT.replace("__CONFIG__", json.dumps(config, ensure_ascii=False)).replace(
            "__MAP__", names["map"]).replace("__COVERAGE__", names["coverage"]).replace(
            "__LABELS__", names["labels"]).replace("__ROADS__", names["roads"]).replace(
            "__ROADGROUP__", names["roadGroup"]).replace("__GAPS__", names["gaps"]).replace(
            "__HALOS__", names["halos"])


def _js_num(v: float) -> float | None:
    """JSON has no infinity: ``None`` (no limit)."""
    return None if not math.isfinite(v) else float(v)


_SCRIPT = r"""
(function () {
  var map = __MAP__, cfg = __CONFIG__, coverage = __COVERAGE__, labels = __LABELS__;
  var roads = __ROADS__, roadGroup = __ROADGROUP__, gapLayers = __GAPS__, rings = [], haloed = __HALOS__;
  L.control.scale({metric: true, imperial: false, maxWidth: 160, position: "bottomleft"}).addTo(map);
  if (coverage) {  // township boundaries over the choropleth: a light halo under a dark line
    var shapes = coverage.toGeoJSON();
    if (cfg.halo) coverage.addLayer(L.geoJson(shapes, {pane: "cc_townships", interactive: false, style: cfg.halo}));
    coverage.addLayer(L.geoJson(shapes, {pane: "cc_townships", interactive: false, style: cfg.outline}));
  }
  haloed.forEach(function (band, i) {  // a light casing under a band's outline (under every band's fill)
    var casing = L.geoJson(band.toGeoJSON(), {pane: "cc_circles", interactive: false, style: cfg.halos[i]});
    casing.on("add", function () { casing.bringToBack(); });
    band.addLayer(casing);
  });
  function mPerPx() {
    return cfg.mPerPxZ0 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom());
  }
  function styleRoads() {
    if (!roadGroup) return;
    var mpp = mPerPx();
    roads.forEach(function (layer, i) {
      var tier = cfg.roads[i], on = tier.max === null || mpp <= tier.max;
      if (on && !roadGroup.hasLayer(layer)) roadGroup.addLayer(layer);
      if (!on && roadGroup.hasLayer(layer)) roadGroup.removeLayer(layer);
      if (on) layer.setStyle(tier.farFrom !== null && mpp > tier.farFrom ? tier.far : tier.near);
    });
    roads.forEach(function (layer) { if (roadGroup.hasLayer(layer) && map.hasLayer(layer)) layer.bringToFront(); });
  }
  // a gap area too small to see at the zoom level gets a ring around it (its popup too), as on the printed map
  if (cfg.gapRing) {
    gapLayers.forEach(function (gapLayer) {
      gapLayer.eachLayer(function (area) {
        if (!area.getBounds) return;
        var b = area.getBounds(), c = b.getCenter();
        var size = Math.max((b.getEast() - b.getWest()) * 111320 * Math.cos(c.lat * Math.PI / 180),
                            (b.getNorth() - b.getSouth()) * 110574);
        var ring = L.circleMarker(c, Object.assign({pane: "cc_gaps"}, cfg.gapRing.style));
        ring.feature = area.feature;
        rings.push({layer: gapLayer, ring: ring, size: size});
      });
    });
  }
  function ringGaps() {
    var mpp = mPerPx();
    rings.forEach(function (r) {
      var small = r.size / mpp < cfg.gapRing.minPx;
      if (small && !r.layer.hasLayer(r.ring)) r.layer.addLayer(r.ring);
      if (!small && r.layer.hasLayer(r.ring)) r.layer.removeLayer(r.ring);
    });
  }
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function placeLabels() {
    // biggest township first, at the first of a few spots near its point that covers no name placed before and
    // no facility symbol on show (else the first that covers no name); a name with no free spot is hidden
    if (!labels || !map.hasLayer(labels)) return;
    var on = map.getZoom() >= cfg.labelMinZoom, placed = [], symbols = [];
    if (on) {
      document.querySelectorAll(".leaflet-marker-pane .cc-sym").forEach(function (el) {
        var r = el.getBoundingClientRect();
        if (r.width > 0) symbols.push({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
      });
    }
    labels.eachLayer(function (marker) {
      var el = marker.getElement();
      if (!el) return;
      var span = el.firstElementChild || el;
      el.style.visibility = "hidden";
      span.style.transform = "";
      if (!on) return;
      var r = span.getBoundingClientRect(), w = r.width, h = r.height, best = null;
      var spots = [[0, 0], [0, -(h / 2 + 9)], [0, h / 2 + 9], [w / 2 + 10, 0], [-(w / 2 + 10), 0],
                   [0, -(h + 16)], [0, h + 16], [w / 2 + 10, -(h / 2 + 9)], [-(w / 2 + 10), h / 2 + 9]];
      for (var pass = 0; pass < 2 && !best; pass++) {
        for (var i = 0; i < spots.length && !best; i++) {
          var box = {left: r.left + spots[i][0] - 3, right: r.right + spots[i][0] + 3,
                     top: r.top + spots[i][1] - 2, bottom: r.bottom + spots[i][1] + 2};
          var free = !placed.some(function (b) { return overlaps(b, box); }) &&
                     (pass === 1 || !symbols.some(function (b) { return overlaps(b, box); }));
          if (free) best = [spots[i], box];
          if (pass === 1) break;  // the second pass only tries the point itself
        }
      }
      if (!best) return;
      placed.push(best[1]);
      span.style.transform = "translate(calc(-50% + " + best[0][0] + "px), calc(-50% + " + best[0][1] + "px))";
      el.style.visibility = "visible";
    });
  }
  // until the reader moves the map, it keeps the whole county in view when the window changes size
  var touched = false, container = map.getContainer();
  ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (ev) {
    container.addEventListener(ev, function () { touched = true; }, {passive: true});
  });
  if (cfg.fit) {
    var refit = null;
    map.on("resize", function () {  // after Leaflet's own (debounced) redraw of the resized map
      clearTimeout(refit);
      refit = setTimeout(function () {
        if (!touched) map.fitBounds(cfg.fit.bounds, {paddingTopLeft: cfg.fit.topLeft,
                                                     paddingBottomRight: cfg.fit.bottomRight, animate: false});
      }, 300);
    });
  }
  // a rule above the first layer of each class in the layer control
  document.querySelectorAll(".leaflet-control-layers-overlays label").forEach(function (label) {
    if (cfg.groupStarts.indexOf(label.textContent.trim()) >= 0) label.className += " cc-class-first";
  });
  function update() { styleRoads(); ringGaps(); placeLabels(); }
  map.on("zoomend moveend overlayadd overlayremove", update);
  map.whenReady(update);
  update();
})();
"""


def _page_css() -> str:
    return (
        "<style>"
        f"html,body{{font-family:{FONT_FAMILY};}}"
        ".leaflet-container{background:#f4f3ef;font-family:inherit;}"
        ".cc-title{position:fixed;top:10px;left:50%;transform:translateX(-50%);z-index:1000;"
        "max-width:calc(100% - 520px);"
        "background:rgba(255,255,255,.94);padding:6px 18px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);"
        "text-align:center;pointer-events:none;}"
        ".cc-title h1{margin:0;font-size:20px;line-height:1.4;font-weight:bold;color:#111;}"
        ".cc-title div{font-size:12px;line-height:1.5;color:#444;}.cc-title .cc-nw{white-space:nowrap;}"
        ".cc-label{background:none;border:none;}"
        ".cc-label .cc-label-text{position:absolute;left:0;top:0;transform:translate(-50%,-50%);white-space:nowrap;"
        "font-size:13px;font-weight:bold;color:#1a1a1a;text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,"
        "1px 1px 0 #fff,0 0 3px #fff;pointer-events:none;}"
        ".cc-sym{background:none;border:none;}.cc-sym svg{display:block;overflow:visible;}"
        ".cc-legend{position:fixed;left:10px;bottom:34px;z-index:1000;background:rgba(255,255,255,.94);"
        "padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);font-size:12px;line-height:1.45;"
        "max-height:calc(100% - 140px);overflow-y:auto;max-width:330px;}"
        ".cc-legend summary{font-weight:bold;font-size:13px;cursor:pointer;}"
        ".cc-legend h4{margin:5px 0 1px;font-size:12px;}"
        ".cc-legend table{border-collapse:collapse;}.cc-legend td,.cc-legend th{padding:0 4px 0 0;font-weight:normal;"
        "text-align:center;vertical-align:middle;}.cc-legend td:first-child{text-align:left;}"
        ".cc-legend th{color:#555;font-size:11px;}"
        ".cc-legend .cc-swatch{display:inline-block;width:18px;height:11px;margin-right:6px;vertical-align:middle;"
        "box-sizing:border-box;}"
        ".cc-legend .cc-line{display:inline-block;width:18px;margin-right:6px;vertical-align:middle;}"
        ".cc-legend .cc-on{font-weight:bold;}"
        ".cc-legend .cc-ring{display:inline-block;border-radius:50%;margin:0 8px 0 -2px;vertical-align:middle;}"
        ".cc-legend .cc-run{color:#444;font-size:11px;margin-top:4px;}"
        ".cc-legend .cc-note{color:#888;font-size:10px;}"
        ".leaflet-control-layers-expanded{font-size:12px;line-height:1.35;max-width:230px;}"
        ".leaflet-control-layers-overlays .cc-class-first{border-top:1px solid #ddd;margin-top:3px;padding-top:3px;}"
        "</style>"
    )


def _title_html(title: str, subtitle: str) -> str:
    """The title box; a long subtitle wraps only between its " · " separated parts."""
    parts = [p for p in re.split(r"\s+·\s+", subtitle.strip()) if p]
    sub = ("<div>" + " · ".join(f'<span class="cc-nw">{html.escape(p)}</span>' for p in parts) + "</div>"
           if parts else "")
    return f'<div class="cc-title"><h1>{html.escape(title)}</h1>{sub}</div>'


def _swatch(background: str, border: str, *, extra: str = "") -> str:
    return f'<span class="cc-swatch" style="background:{background};border:1px solid {border};{extra}"></span>'


def _fill_swatch(style: Style, *, hatch: bool = False) -> str:
    """A legend swatch of a fill at the opacity it is drawn with (and its outline, hatched like the map)."""
    colour = _rgba(style.fill or "#ffffff", style.fill_opacity)
    background = colour
    if hatch:
        line = _rgba(style.stroke, 0.9)
        background = (f"repeating-linear-gradient(-45deg,{line} 0 1.5px,transparent 1.5px 4.2px),"
                      f"linear-gradient({colour},{colour})")
    return _swatch(background, _rgba(style.stroke, 1.0) if _hex_alpha(style.stroke) > 0 else "#888")


def _share_labels() -> list[tuple[str, str]]:
    """Legend rows of the choropleth classes of :data:`layers.styling.SHARE_CLASSES` (upper bounds)."""
    out = []
    lower = 0.0
    for i, entry in enumerate(SHARE_CLASSES):
        upper, colour = float(entry[0]), str(entry[-1])
        if i == 0:
            text = f"< {upper * 100:g}%"
        elif i == len(SHARE_CLASSES) - 1 or upper > 1.0:
            text = f"≥ {lower * 100:g}%"
        else:
            text = f"{lower * 100:g}–{upper * 100:g}%"
        out.append((text, colour))
        lower = upper
    return out


def _legend_html(layers: WebLayers, style: _Style, bands: list[float], *, has_townships: bool, has_roads: bool,
                 has_gaps: bool, has_compare: bool) -> str:
    parts = []
    reg = style.reg
    statuses = [s.id for s in reg.statuses] if hasattr(reg, "statuses") else ["existing", "planned", "to_close"]
    if style.shown:
        head = "".join(f"<th>{html.escape(style.status(s))}</th>" for s in statuses)
        rows = []
        for t in style.shown:
            cells = "".join(f"<td>{symbol_svg(facility_style(t, s))[0]}</td>" for s in statuses)
            cls = ' class="cc-on"' if t == style.on else ""
            rows.append(f"<tr><td{cls}>{html.escape(style.label(t))}</td>{cells}</tr>")
        parts.append(f"<h4>养老服务设施</h4><table><tr><th></th>{head}</tr>{''.join(rows)}</table>")
    if style.on and bands:
        n = len(bands)
        styles = [band_style(style.on, i, n) for i in range(n)]
        rows = []
        for i, band in enumerate(bands):
            # a band is drawn under every longer band: its swatch stacks their fills as the map does
            layers_css = ",".join(f"linear-gradient({_rgba(s.fill, s.fill_opacity)},{_rgba(s.fill, s.fill_opacity)})"
                                  for s in styles[i:])
            rows.append(f"<div>{_swatch(layers_css, _rgba(styles[i].stroke, 1.0))}步行 {band:g} 分钟</div>")
        parts.append(f"<h4>服务圈 · {html.escape(style.label(style.on))}</h4>{''.join(rows)}")
    if has_townships:
        opacity = _choropleth_opacity()
        rows = "".join(f"<div>{_swatch(_rgba(c, opacity), '#999')}{html.escape(text)}</div>"
                       for text, c in _share_labels())
        rows += f"<div>{_swatch(_rgba(share_colour(math.nan), opacity), '#999')}无数据</div>"
        outline = DEFAULT_STYLES.townships
        rows += (f'<div><span class="cc-line" style="border-top:{max(outline.stroke_width_px, 1):g}px solid '
                 f'{outline.stroke[:7]}"></span>乡镇（街道）界</div>')
        parts.append(f"<h4>乡镇{html.escape(style.share_title)}</h4>{rows}")
    if has_gaps:
        gap = DEFAULT_STYLES.gaps
        label = f"服务缺口 · {style.label(style.on)}" if style.on else "服务缺口"
        ring = _gap_marker_style()
        ring_html = ""
        if ring is not None:  # the ring of a gap too small to see at the zoom level
            d = ring.size_px
            ring_html = (f'<span class="cc-ring" style="width:{d:g}px;height:{d:g}px;border:{ring.stroke_width_px:g}px '
                         f'solid {ring.stroke[:7]};background:{_rgba(ring.fill or ring.stroke, ring.fill_opacity)}">'
                         f'</span>')
        parts.append(f"<div style='margin-top:4px'>{_fill_swatch(gap, hatch=getattr(gap, 'hatch', False))}"
                     f"{ring_html}{html.escape(label)}</div>")
    if has_compare:
        for change in ("gained", "lost"):
            s = _compare_style(change)
            parts.append(f"<div>{_fill_swatch(s, hatch=getattr(s, 'hatch', False))}{CHANGE_LABELS[change]}</div>")
    if has_roads:
        tiers, _rank = _road_tiers()
        names = ["主要道路", "次要道路", "街巷"]
        rows = "".join(f'<div><span class="cc-line" style="border-top:{max(t.near.stroke_width_px, 1):.1f}px solid '
                       f'{t.near.stroke[:7]}"></span>{names[min(k, len(names) - 1)]}</div>'
                       for k, t in enumerate(tiers))
        parts.append(f"<h4>道路</h4>{rows}")
    notes = "".join(f'<div class="cc-run">{html.escape(line)}</div>' for line in layers.notes.splitlines()[:2])
    return (f'<div class="cc-legend"><details open><summary>图例</summary>{"".join(parts)}{notes}'
            f'<div class="cc-note">Leaflet {LEAFLET_VERSION}</div></details></div>')


# --- geometry ------------------------------------------------------------------------------------------------------

def _web_frame(frame: gpd.GeoDataFrame | None, *, tolerance_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame | None:
    """Simplified (``tolerance_m``, ~5 m), EPSG:4326, coordinates rounded to 6 decimals; None for no/empty frames."""
    if frame is None or len(frame) == 0:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(frame) == 0:
        return None
    if frame.crs is None:
        raise ValueError("a web map layer has no CRS")
    metric = frame.crs if _is_metric(frame.crs) else frame.estimate_utm_crs()
    geoms = frame.geometry.to_crs(metric).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    rounded = shapely.transform(np.asarray(geoms.values, dtype=object), lambda xy: np.round(xy, DIGITS))
    out = frame.drop(columns=frame.geometry.name).copy()
    out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(rounded, index=frame.index, crs=4326), crs=4326)
    out = out[~out.geometry.is_empty]
    return out if len(out) else None


def _is_metric(crs) -> bool:
    if not crs.is_projected:
        return False
    unit = (crs.axis_info[0].unit_name or "").lower() if crs.axis_info else ""
    return unit in ("metre", "meter", "m")


def _bounds(townships, layers: WebLayers):
    if townships is not None:
        return tuple(float(v) for v in townships.total_bounds)
    for frame in (layers.circles, layers.facilities, layers.gaps, layers.compare):
        if frame is not None and len(frame) and frame.crs is not None:
            b = frame.to_crs(4326).total_bounds
            if np.all(np.isfinite(b)):
                return tuple(float(v) for v in b)
    return None


def _feature_collection(frame: gpd.GeoDataFrame, props) -> dict:
    features = []
    for row, geom in zip(frame.drop(columns=frame.geometry.name).to_dict("records"), frame.geometry.values):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "properties": props(row), "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _frame_types(frame: gpd.GeoDataFrame | None) -> set[str]:
    if frame is None or "type" not in frame.columns:
        return set()
    return {str(t) for t in frame["type"].dropna().unique()}


def _empty(frame: gpd.GeoDataFrame | None) -> bool:
    return frame is None or len(frame) == 0


# --- basemap image -------------------------------------------------------------------------------------------------

def _rgba_uint8(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError("the basemap must be an RGB or RGBA array (rows, columns, bands)")
    if image.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(image.dtype, np.floating) and np.nanmax(image) <= 1.0 else 1.0
        image = np.clip(np.nan_to_num(image.astype(float) * scale), 0, 255).astype(np.uint8)
    if image.shape[2] == 3:
        image = np.concatenate([image, np.full(image.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(image)


def _mercator_rows(image: np.ndarray, miny: float, maxy: float) -> np.ndarray:
    """Resample the rows of a north-up equirectangular image so it lies right on Leaflet's Web Mercator map."""
    rows = image.shape[0]
    if rows < 2 or not (-85.0 < miny < maxy < 85.0):
        return image

    def merc(lat):
        return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))

    y = np.linspace(merc(maxy), merc(miny), rows)  # output row centres, top to bottom, evenly in Mercator
    lat = np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2)
    src = np.clip(np.round((maxy - lat) / (maxy - miny) * (rows - 1)).astype(int), 0, rows - 1)
    return image[src]


# --- inlined Leaflet -----------------------------------------------------------------------------------------------

_PLACEHOLDER = "<!-- carecircle:leaflet-inline -->"


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _leaflet_inline() -> str:
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\((['\"]?)images/([\w.-]+\.png)\1\)",
                 lambda mm: f'url("{_data_uri(VENDOR / "images" / mm.group(2))}")', css)
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    js = js.replace("</script", "<\\/script")
    icons = {
        "iconUrl": _data_uri(VENDOR / "images" / "marker-icon.png"),
        "iconRetinaUrl": _data_uri(VENDOR / "images" / "marker-icon-2x.png"),
        "shadowUrl": _data_uri(VENDOR / "images" / "marker-shadow.png"),
    }
    icon_js = f"L.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({json.dumps(icons)});"
    return (f"<style>/* Leaflet {LEAFLET_VERSION} (BSD-2-Clause), inlined for offline use */\n{css}\n</style>\n"
            f"<script>/* Leaflet {LEAFLET_VERSION} (BSD-2-Clause) */\n{js}\n</script>\n<script>{icon_js}</script>")


_COORDINATES = re.compile(r'"coordinates": (\[[\d\s,.\-\[\]eE+]*\])')


def _compact_coordinates(text: str) -> str:
    """folium writes GeoJSON with a space after every comma; drop them inside coordinate arrays (smaller)."""
    return _COORDINATES.sub(lambda mm: '"coordinates":' + mm.group(1).replace(" ", ""), text)


_EXTRA_CHARS = {0x00B7, 0x2013, 0x2014, 0x2265}  # · – — ≥
_CJK_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def _unescape_cjk(text: str) -> str:
    r"""folium writes JSON with \uXXXX escapes; put Chinese text back as characters (readable, and smaller)."""

    def repl(mm):
        code = int(mm.group(2), 16)
        if 0x3000 <= code <= 0x303F or 0x4E00 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF or code in _EXTRA_CHARS:
            return mm.group(1) + chr(code)
        return mm.group(0)

    return _CJK_ESCAPE.sub(repl, text)


# --- values --------------------------------------------------------------------------------------------------------

def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _num(v):
    return float(v) if _finite(v) else None


def _pct(v) -> str:
    return f"{float(v) * 100:.1f}%" if _finite(v) else "—"


def _int_text(v) -> str:
    return str(int(round(float(v)))) if _finite(v) else "—"


def _num_text(v, digits: int) -> str:
    return f"{float(v):.{digits}f}" if _finite(v) else "—"


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    try:
        import pandas as pd

        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _flag_list(v) -> list[str]:
    if isinstance(v, (list, tuple, set)):
        return [str(f) for f in v if str(f).strip()]
    return [f.strip() for f in re.split(r"[;,，；\s]+", _text(v)) if f.strip()]
