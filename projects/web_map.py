"""An interactive web map (one self-contained HTML file) of an analysis, for sharing with people without the app.

The page works with no network at all: Leaflet's JS and CSS (vendored in ``projects/vendor/leaflet``) are inlined,
its images are data: URIs, there is no tile layer (an optional local basemap image is embedded as a data: PNG),
and folium's default CDN resources (jQuery, Bootstrap, Font Awesome, awesome-markers) are not referenced at all.
Class names, colours and the order of the layers come from the facility class registry (:mod:`layers.classes`):
there is a layer per class present on the map, and popups name classes, statuses and missed targets in Chinese.
Qt-free: this module only uses folium/branca, geopandas and shapely (and the registry and target labels).
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
from branca.element import Element, Figure

from layers.classes import ClassRegistry, registry
from spatial.targets import StandardProfile, target_label

from .outputs import atomic_write, run_notes

VENDOR = Path(__file__).resolve().parent / "vendor" / "leaflet"
LEAFLET_VERSION = "1.9.4"

#: the colour of a class the registry does not know
OTHER_COLOR = "#6a3d9a"
CHANGE_LABELS = {"gained": "新增覆盖", "lost": "失去覆盖"}
CHANGE_COLORS = {"gained": "#1a9641", "lost": "#d7191c"}

#: covered share classes of the township choropleth: (lower bound, label, colour), red → green
SHARE_CLASSES = (
    (0.00, "< 25%", "#d7191c"),
    (0.25, "25–50%", "#fdae61"),
    (0.50, "50–75%", "#ffffbf"),
    (0.75, "75–90%", "#a6d96a"),
    (0.90, "≥ 90%", "#1a9641"),
)
NO_DATA_COLOR = "#bdbdbd"
#: service-circle bands, outermost first (drawn first, so the inner, darker bands lie on top)
BANDS = (15.0, 10.0, 5.0)
BAND_OPACITY = {15.0: 0.12, 10.0: 0.22, 5.0: 0.35}

SIMPLIFY_M = 5.0
#: service circles are traced on the analysis' 10 m cells: simplifying at the cell size drops the staircase only
CIRCLE_SIMPLIFY_M = 10.0
DIGITS = 6


@dataclass
class WebLayers:
    """What goes on the web map. Every frame may be in any CRS; ``None`` or empty frames are left out.

    ``profile`` names the targets in the townships' ``flags`` (target ids) and adds the classes its targets
    count to those shown. ``classes`` are the class ids shown (default: :func:`shown_classes`).
    ``display_type`` is the class whose covered share colours the townships (default: day_care if shown,
    else the first shown class with a ``share_<id>`` column)."""

    townships: gpd.GeoDataFrame | None = None  # name, share_<class id> per class, flags (target ids, ';')
    circles: gpd.GeoDataFrame | None = None  # type, minutes (facility service circles)
    gaps: gpd.GeoDataFrame | None = None  # type, township, elderly, area_ha
    facilities: gpd.GeoDataFrame | None = None  # fid, name, type, beds, nursing_beds, status
    compare: gpd.GeoDataFrame | None = None  # type, change ('gained' | 'lost'), area_ha
    profile: StandardProfile | None = None
    classes: Sequence[str] | None = None
    display_type: str | None = None
    #: what the run counted (profile, statuses, elderly basis): printed under the legend
    notes: str = ""

    @classmethod
    def from_result(cls, result, *, townships: gpd.GeoDataFrame | None = None,
                    facilities: gpd.GeoDataFrame | None = None, compare: gpd.GeoDataFrame | None = None,
                    display_type: str | None = None) -> "WebLayers":
        """The layers of an :class:`~spatial.analysis.AnalysisResult`: its facility circles (else its merged
        circles), gaps and profile; ``townships`` as the workspace's coverage layer."""
        circles = result.facility_circles if result.facility_circles is not None else result.isochrones
        return cls(townships=townships, circles=circles, gaps=result.gaps, facilities=facilities, compare=compare,
                   profile=result.params.profile, display_type=display_type, notes=run_notes(result))


class OfflineMap(folium.Map):
    """A folium Map that links no CDN resources (Leaflet is inlined by :func:`render_html`)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


def share_color(share) -> str:
    """The choropleth colour of a covered share (0–1); grey for no data."""
    if share is None or not _finite(share):
        return NO_DATA_COLOR
    color = SHARE_CLASSES[0][2]
    for lower, _label, c in SHARE_CLASSES:
        if float(share) >= lower:
            color = c
    return color


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


def write_html(path, *, layers: WebLayers, title: str,
               basemap: tuple[np.ndarray, tuple[float, float, float, float]] | None = None) -> Path:
    """Write the interactive map of ``layers`` to ``path`` (atomically) and return the path.

    ``basemap`` is an optional local image: an RGBA array and its (minx, miny, maxx, maxy) bounds in EPSG:4326.
    """
    text = render_html(layers=layers, title=title, basemap=basemap)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def render_html(*, layers: WebLayers, title: str,
                basemap: tuple[np.ndarray, tuple[float, float, float, float]] | None = None) -> str:
    """The whole HTML page as text (see :func:`write_html`)."""
    figure = Figure(title=title)
    figure.header.add_child(Element('<meta charset="utf-8">'), name="cc_charset")
    figure.header.add_child(Element(_PLACEHOLDER), name="cc_leaflet")
    m = OfflineMap(tiles=None, control_scale=True, attribution_control=False, zoom_start=11, zoom_snap=0.25,
                   zoom_delta=0.5)
    figure.add_child(m)

    reg = registry()
    shown = shown_classes(layers, reg)
    style = _Style(reg, shown, display_class(layers, shown), _flag_labels(layers.profile, reg))
    townships = _web_frame(layers.townships)
    bounds = _bounds(townships, layers)
    if basemap is not None:
        _add_basemap(m, *basemap)
    # drawing order: townships under circles under gaps under changes under facilities
    for frame, add in ((townships, _add_townships), (_web_frame(layers.circles, tolerance_m=CIRCLE_SIMPLIFY_M), _add_circles),
                       (_web_frame(layers.gaps), _add_gaps), (_web_frame(layers.compare), _add_compare),
                       (_web_frame(layers.facilities), _add_facilities)):
        if frame is not None:
            add(m, frame, style)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    else:
        m.location = [32.0, 120.0]
    folium.LayerControl(collapsed=False).add_to(m)
    if townships is not None:
        figure.html.add_child(Element(_legend_html(style.share_title, notes=layers.notes)), name="cc_legend")

    text = figure.render()
    text = _compact_coordinates(_unescape_cjk(text))
    return text.replace(_PLACEHOLDER, _leaflet_inline(), 1)


@dataclass(frozen=True)
class _Style:
    """Names and colours for one page: the registry, the classes shown, the choropleth class, target labels."""

    reg: ClassRegistry
    shown: Sequence[str]
    display: str | None
    flags: dict[str, str]

    def label(self, class_id: str) -> str:
        return self.reg.label(class_id)

    def color(self, class_id: str) -> str:
        return self.reg[class_id].colour if class_id in self.reg else OTHER_COLOR

    def has_beds(self, class_id: str) -> bool:
        return class_id not in self.reg or self.reg[class_id].has_beds

    def status(self, status_id: str) -> str:
        return self.reg.status_label(status_id) if status_id else ""

    @property
    def share_title(self) -> str:
        return f"{self.label(self.display)}覆盖率" if self.display else "覆盖率"

    def types(self, frame: gpd.GeoDataFrame) -> list[str]:
        """The shown classes that have rows in ``frame``, in registry order."""
        present = _frame_types(frame)
        return [t for t in self.shown if t in present]


def _flag_labels(profile: StandardProfile | None, reg: ClassRegistry) -> dict[str, str]:
    if profile is None:
        return {}
    return {t.id: target_label(t, class_label=reg.label, minutes=profile.minutes_of(t)) for t in profile.targets}


# --- layers --------------------------------------------------------------------------------------------------------

def _add_basemap(m: folium.Map, image: np.ndarray, bounds) -> None:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    image = _mercator_rows(_rgba_uint8(np.asarray(image)), miny, maxy)
    folium.map.CustomPane("cc_basemap", z_index=150, pointer_events=False).add_to(m)
    overlay = folium.raster_layers.ImageOverlay(image, bounds=[[miny, minx], [maxy, maxx]], name="底图",
                                                 pane="cc_basemap", interactive=False, pixelated=False)
    overlay.add_to(m)


def _add_townships(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> None:
    shares = [t for t in style.shown if f"share_{t}" in frame.columns]
    if style.display and style.display not in shares and f"share_{style.display}" in frame.columns:
        shares.insert(0, style.display)

    def props(row):
        flags = _flag_list(row.get("flags"))
        out = {"name": _text(row.get("name"))}
        out.update({f"share_{t}": _pct(row.get(f"share_{t}")) for t in shares})
        out["flags"] = "、".join(style.flags.get(f, f) for f in flags) or "无"
        out["color"] = share_color(_num(row.get(f"share_{style.display}"))) if style.display else NO_DATA_COLOR
        return out

    data = _feature_collection(frame, props)
    folium.GeoJson(
        data, name=f"乡镇{style.share_title}",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#555555", "weight": 1,
                                  "fillOpacity": 0.55},
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        popup=folium.GeoJsonPopup(
            fields=["name", *(f"share_{t}" for t in shares), "flags"],
            aliases=["乡镇/街道", *(f"{style.label(t)}覆盖率" for t in shares), "未达标项"], localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(m)


def _add_circles(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> None:
    for t in style.types(frame):
        sub = frame[frame["type"].astype(str) == t]
        label = style.label(t)
        group = folium.FeatureGroup(name=f"服务圈 · {label}", show=True)
        color = style.color(t)
        minutes = sub["minutes"].astype(float) if "minutes" in sub else None
        bands = sorted({float(v) for v in minutes.dropna()}, reverse=True) if minutes is not None else []
        for band in bands or [None]:
            part = sub if band is None else sub[minutes == band]
            opacity = BAND_OPACITY.get(band, 0.2) if band is not None else 0.2
            walk = f"{band:g} 分钟" if band is not None else ""

            def props(row, walk=walk, label=label):
                return {"name": _text(row.get("name")), "type": label, "minutes": walk}

            folium.GeoJson(
                _feature_collection(part, props),
                style_function=lambda f, c=color, o=opacity: {"fillColor": c, "color": c, "weight": 0.6,
                                                              "opacity": 0.5, "fillOpacity": o},
                tooltip=folium.GeoJsonTooltip(fields=["name", "minutes"], aliases=["设施", "步行"]),
            ).add_to(group)
        group.add_to(m)


def _add_gaps(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> None:
    for t in style.types(frame):
        sub = frame[frame["type"].astype(str) == t]
        label = style.label(t)

        def props(row, label=label):
            return {"type": label, "township": _text(row.get("township")),
                    "elderly": _int_text(row.get("elderly")), "area_ha": _num_text(row.get("area_ha"), 2)}

        folium.GeoJson(
            _feature_collection(sub, props), name=f"服务缺口 · {label}", show=(t == style.display),
            style_function=lambda f, c=style.color(t): {
                "fillColor": c, "color": "#000000", "weight": 0.8, "dashArray": "3 2", "fillOpacity": 0.45},
            popup=folium.GeoJsonPopup(fields=["type", "township", "elderly", "area_ha"],
                                      aliases=["缺口类型", "乡镇/街道", "老年人口", "面积 公顷"], localize=False),
        ).add_to(m)


def _add_compare(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> None:
    def props(row):
        change = _text(row.get("change"))
        type_ = _text(row.get("type"))
        return {"type": style.label(type_) if type_ else "", "change": CHANGE_LABELS.get(change, change),
                "area_ha": _num_text(row.get("area_ha"), 2), "color": CHANGE_COLORS.get(change, OTHER_COLOR)}

    folium.GeoJson(
        _feature_collection(frame, props), name="方案对比 · 覆盖变化",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": f["properties"]["color"],
                                  "weight": 1, "fillOpacity": 0.5},
        popup=folium.GeoJsonPopup(fields=["type", "change", "area_ha"], aliases=["类型", "变化", "面积 公顷"],
                                  localize=False),
    ).add_to(m)


def _add_facilities(m: folium.Map, frame: gpd.GeoDataFrame, style: _Style) -> None:
    frame = frame[frame.geometry.geom_type == "Point"]
    for t in style.types(frame):
        sub = frame[frame["type"].astype(str) == t]
        label = style.label(t)
        beds = style.has_beds(t)

        def props(row, label=label):
            status = _text(row.get("status"))
            return {"fid": _text(row.get("fid")), "name": _text(row.get("name")), "type": label,
                    "status": style.status(status), "status_code": status,
                    "beds": _int_text(row.get("beds")), "nursing_beds": _int_text(row.get("nursing_beds"))}

        def marker_style(f, c=style.color(t)):
            status = f["properties"]["status_code"]
            return {"color": c, "fillColor": c, "weight": 2.5 if status == "planned" else 1.5,
                    "fillOpacity": 0.0 if status == "planned" else 0.85,
                    "dashArray": "3 3" if status == "to_close" else None, "radius": 7}

        fields = ["name", "type", "status", *(("beds", "nursing_beds") if beds else ())]
        aliases = ["名称", "类型", "状态", *(("床位数", "护理型床位数") if beds else ())]
        folium.GeoJson(
            _feature_collection(sub, props), name=f"设施 · {label}",
            marker=folium.CircleMarker(radius=7), style_function=marker_style,
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)


def _legend_html(title: str, *, notes: str = "") -> str:
    rows = "".join(
        f'<div><span class="cc-swatch" style="background:{c}"></span>{html.escape(label)}</div>'
        for _lower, label, c in SHARE_CLASSES)
    rows += f'<div><span class="cc-swatch" style="background:{NO_DATA_COLOR}"></span>无数据</div>'
    return (
        "<style>.cc-legend{position:fixed;right:10px;bottom:24px;z-index:1000;background:rgba(255,255,255,.92);"
        "padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.5 sans-serif;}"
        ".cc-legend .cc-swatch{display:inline-block;width:14px;height:10px;margin-right:6px;"
        "border:1px solid #777;vertical-align:middle;}.cc-legend .cc-note{color:#777;font-size:10px;}"
        ".cc-legend .cc-run{color:#333;font-size:11px;max-width:340px;}</style>"
        f'<div class="cc-legend"><b>{html.escape(title)}</b>{rows}'
        + "".join(f'<div class="cc-run">{html.escape(line)}</div>' for line in notes.splitlines()[:2])
        + f'<div class="cc-note">Leaflet {LEAFLET_VERSION}</div></div>'
    )


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
