"""An interactive web map (one self-contained HTML file) of an analysis, for sharing with people without the app.

The page works with no network at all: Leaflet's JS and CSS (vendored in ``projects/vendor/leaflet``) are inlined,
its images are data: URIs, there is no tile layer (an optional local basemap image is embedded as a data: PNG),
and folium's default CDN resources (jQuery, Bootstrap, Font Awesome, awesome-markers) are not referenced at all.
Qt-free: this module only uses folium/branca, geopandas and shapely.
"""
from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure

from .outputs import atomic_write

VENDOR = Path(__file__).resolve().parent / "vendor" / "leaflet"
LEAFLET_VERSION = "1.9.4"

TYPE_LABELS = {"day_care": "日间照料中心", "nursing_home": "养老机构", "meal_point": "助餐点"}
TYPE_COLORS = {"day_care": "#1f78b4", "nursing_home": "#e31a1c", "meal_point": "#ff7f00"}
STATUS_LABELS = {"existing": "现状", "planned": "规划", "to_close": "拟关闭"}
FLAG_LABELS = {
    "no_day_care": "无日间照料中心",
    "day_care_coverage_low": "日照覆盖率不足",
    "beds_per_1000_low": "千人床位不足",
    "nursing_share_low": "护理型床位占比不足",
    "meal_point_gap": "社区助餐缺口",
}
CHANGE_LABELS = {"gained": "新增覆盖", "lost": "失去覆盖"}
CHANGE_COLORS = {"gained": "#1a9641", "lost": "#d7191c"}

#: day-care covered share classes: (lower bound, label, colour), red → green
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
DIGITS = 6


@dataclass
class WebLayers:
    """What goes on the web map. Every frame may be in any CRS; ``None`` or empty frames are left out."""

    townships: gpd.GeoDataFrame | None = None  # name, share_day_care, share_nursing_home, share_meal_point, flags
    circles: gpd.GeoDataFrame | None = None  # type, minutes (facility service circles)
    gaps: gpd.GeoDataFrame | None = None  # type, township, elderly, area_ha
    facilities: gpd.GeoDataFrame | None = None  # fid, name, type, beds, nursing_beds, status
    compare: gpd.GeoDataFrame | None = None  # type, change ('gained' | 'lost'), area_ha


class OfflineMap(folium.Map):
    """A folium Map that links no CDN resources (Leaflet is inlined by :func:`render_html`)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


def share_color(share) -> str:
    """The choropleth colour of a day-care covered share (0–1); grey for no data."""
    if share is None or not _finite(share):
        return NO_DATA_COLOR
    color = SHARE_CLASSES[0][2]
    for lower, _label, c in SHARE_CLASSES:
        if float(share) >= lower:
            color = c
    return color


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

    townships = _web_frame(layers.townships)
    bounds = _bounds(townships, layers)
    if basemap is not None:
        _add_basemap(m, *basemap)
    # drawing order: townships under circles under gaps under changes under facilities
    for frame, add in ((townships, _add_townships), (_web_frame(layers.circles), _add_circles), (_web_frame(layers.gaps), _add_gaps),
                       (_web_frame(layers.compare), _add_compare), (_web_frame(layers.facilities), _add_facilities)):
        if frame is not None:
            add(m, frame)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    else:
        m.location = [32.0, 120.0]
    folium.LayerControl(collapsed=False).add_to(m)
    if townships is not None:
        figure.html.add_child(Element(_legend_html()), name="cc_legend")

    text = figure.render()
    text = _unescape_cjk(text)
    return text.replace(_PLACEHOLDER, _leaflet_inline(), 1)


# --- layers --------------------------------------------------------------------------------------------------------

def _add_basemap(m: folium.Map, image: np.ndarray, bounds) -> None:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    image = _mercator_rows(_rgba_uint8(np.asarray(image)), miny, maxy)
    folium.map.CustomPane("cc_basemap", z_index=150, pointer_events=False).add_to(m)
    overlay = folium.raster_layers.ImageOverlay(image, bounds=[[miny, minx], [maxy, maxx]], name="底图",
                                                 pane="cc_basemap", interactive=False, pixelated=False)
    overlay.add_to(m)


def _add_townships(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    def props(row):
        flags = _flag_list(row.get("flags"))
        return {
            "name": _text(row.get("name")),
            "share_day_care": _pct(row.get("share_day_care")),
            "share_nursing_home": _pct(row.get("share_nursing_home")),
            "share_meal_point": _pct(row.get("share_meal_point")),
            "flags": "、".join(FLAG_LABELS.get(f, f) for f in flags) or "无",
            "color": share_color(_num(row.get("share_day_care"))),
        }

    data = _feature_collection(frame, props)
    folium.GeoJson(
        data, name="乡镇日间照料覆盖率",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": "#555555", "weight": 1,
                                  "fillOpacity": 0.55},
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        popup=folium.GeoJsonPopup(
            fields=["name", "share_day_care", "share_nursing_home", "share_meal_point", "flags"],
            aliases=["乡镇/街道", "日间照料覆盖率", "养老机构覆盖率", "助餐点覆盖率", "未达标项"], localize=False),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(m)


def _add_circles(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    for t in _types(frame):
        sub = frame[frame["type"].astype(str) == t]
        group = folium.FeatureGroup(name=f"服务圈 · {TYPE_LABELS.get(t, t)}", show=True)
        color = TYPE_COLORS.get(t, "#6a3d9a")
        minutes = sub["minutes"].astype(float) if "minutes" in sub else None
        bands = sorted({float(v) for v in minutes.dropna()}, reverse=True) if minutes is not None else []
        for band in bands or [None]:
            part = sub if band is None else sub[minutes == band]
            opacity = BAND_OPACITY.get(band, 0.2) if band is not None else 0.2
            label = f"{band:g} 分钟" if band is not None else ""

            def props(row, label=label):
                return {"name": _text(row.get("name")), "type": TYPE_LABELS.get(t, t), "minutes": label}

            folium.GeoJson(
                _feature_collection(part, props),
                style_function=lambda f, c=color, o=opacity: {"fillColor": c, "color": c, "weight": 0.6,
                                                              "opacity": 0.5, "fillOpacity": o},
                tooltip=folium.GeoJsonTooltip(fields=["name", "minutes"], aliases=["设施", "步行"]),
            ).add_to(group)
        group.add_to(m)


def _add_gaps(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    for t in _types(frame):
        sub = frame[frame["type"].astype(str) == t]

        def props(row):
            return {"type": TYPE_LABELS.get(t, t), "township": _text(row.get("township")),
                    "elderly": _int_text(row.get("elderly")), "area_ha": _num_text(row.get("area_ha"), 2)}

        folium.GeoJson(
            _feature_collection(sub, props), name=f"服务缺口 · {TYPE_LABELS.get(t, t)}", show=(t == "day_care"),
            style_function=lambda f, c=TYPE_COLORS.get(t, "#6a3d9a"): {
                "fillColor": c, "color": "#000000", "weight": 0.8, "dashArray": "3 2", "fillOpacity": 0.45},
            popup=folium.GeoJsonPopup(fields=["type", "township", "elderly", "area_ha"],
                                      aliases=["缺口类型", "乡镇/街道", "老年人口", "面积 公顷"], localize=False),
        ).add_to(m)


def _add_compare(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    def props(row):
        change = _text(row.get("change"))
        return {"type": TYPE_LABELS.get(_text(row.get("type")), _text(row.get("type"))),
                "change": CHANGE_LABELS.get(change, change), "area_ha": _num_text(row.get("area_ha"), 2),
                "color": CHANGE_COLORS.get(change, "#6a3d9a")}

    folium.GeoJson(
        _feature_collection(frame, props), name="方案对比 · 覆盖变化",
        style_function=lambda f: {"fillColor": f["properties"]["color"], "color": f["properties"]["color"],
                                  "weight": 1, "fillOpacity": 0.5},
        popup=folium.GeoJsonPopup(fields=["type", "change", "area_ha"], aliases=["类型", "变化", "面积 公顷"],
                                  localize=False),
    ).add_to(m)


def _add_facilities(m: folium.Map, frame: gpd.GeoDataFrame) -> None:
    frame = frame[frame.geometry.geom_type == "Point"]
    for t in _types(frame):
        sub = frame[frame["type"].astype(str) == t]

        def props(row):
            status = _text(row.get("status"))
            return {"fid": _text(row.get("fid")), "name": _text(row.get("name")), "type": TYPE_LABELS.get(t, t),
                    "status": STATUS_LABELS.get(status, status), "status_code": status,
                    "beds": _int_text(row.get("beds")), "nursing_beds": _int_text(row.get("nursing_beds"))}

        def style(f, c=TYPE_COLORS.get(t, "#6a3d9a")):
            status = f["properties"]["status_code"]
            return {"color": c, "fillColor": c, "weight": 2.5 if status == "planned" else 1.5,
                    "fillOpacity": 0.0 if status == "planned" else 0.85,
                    "dashArray": "3 3" if status == "to_close" else None, "radius": 7}

        folium.GeoJson(
            _feature_collection(sub, props), name=f"设施 · {TYPE_LABELS.get(t, t)}",
            marker=folium.CircleMarker(radius=7), style_function=style,
            popup=folium.GeoJsonPopup(fields=["name", "type", "status", "beds", "nursing_beds"],
                                      aliases=["名称", "类型", "状态", "床位数", "护理型床位数"], localize=False),
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(m)


def _legend_html() -> str:
    rows = "".join(
        f'<div><span class="cc-swatch" style="background:{c}"></span>{html.escape(label)}</div>'
        for _lower, label, c in SHARE_CLASSES)
    rows += f'<div><span class="cc-swatch" style="background:{NO_DATA_COLOR}"></span>无数据</div>'
    return (
        "<style>.cc-legend{position:fixed;right:10px;bottom:24px;z-index:1000;background:rgba(255,255,255,.92);"
        "padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.5 sans-serif;}"
        ".cc-legend .cc-swatch{display:inline-block;width:14px;height:10px;margin-right:6px;"
        "border:1px solid #777;vertical-align:middle;}.cc-legend .cc-note{color:#777;font-size:10px;}</style>"
        f'<div class="cc-legend"><b>日间照料覆盖率</b>{rows}'
        f'<div class="cc-note">Leaflet {LEAFLET_VERSION}</div></div>'
    )


# --- geometry ------------------------------------------------------------------------------------------------------

def _web_frame(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Simplified (~5 m), EPSG:4326, coordinates rounded to 6 decimals; None for no/empty frames."""
    if frame is None or len(frame) == 0:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(frame) == 0:
        return None
    if frame.crs is None:
        raise ValueError("a web map layer has no CRS")
    metric = frame.crs if _is_metric(frame.crs) else frame.estimate_utm_crs()
    geoms = frame.geometry.to_crs(metric).simplify(SIMPLIFY_M, preserve_topology=True).to_crs(4326)
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


def _types(frame: gpd.GeoDataFrame) -> list[str]:
    present = [str(t) for t in frame["type"].dropna().unique()] if "type" in frame else []
    order = list(TYPE_LABELS)
    return sorted(present, key=lambda t: (order.index(t) if t in order else len(order), t))


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
