"""Drawing the workspace's layers with QPainter — the one code path for the screen and for exports.

Geometries are turned into ``QPainterPath`` objects in map coordinates once per layer (and per level of
detail for roads) and drawn through the view's world transform with cosmetic pens, so a repaint costs only
the drawing itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from PySide6 import QtCore, QtGui

from layers.styling import DEFAULT_STYLES, Style, band_style, facility_style, share_colour
from projects.workspace import MapLayer, Workspace
from layers.classes import registry

#: above this many metres per pixel, minor roads (footways, tracks, service) are not drawn
MINOR_ROADS_MAX_M_PER_PX = 12.0
#: road detail levels: (max metres per pixel, simplification tolerance in metres)
ROAD_LODS = ((4.0, 0.0), (30.0, 8.0), (math.inf, 40.0))
SCREEN_DPI = 96.0
#: the township map by one planning target: class (see projects.workspace.target_classes) -> (fill, hatched).
#: Blue for met / above, orange for not met / below (colour-blind safe), and hatching on the shortfall side
#: so that no state is told by colour alone.
TARGET_FILLS: dict[str, tuple[str, bool]] = {
    "met": ("#2c7bb6", False), "not_met": ("#e66101", True), "has": ("#2c7bb6", False), "lacks": ("#e66101", True),
    "s100": ("#2c7bb6", False), "s80": ("#abd9e9", True), "s50": ("#fdb863", True), "s0": ("#e66101", True),
    "hi2": ("#2c7bb6", False), "hi1": ("#abd9e9", False), "lo1": ("#fdb863", True), "lo2": ("#e66101", True),
    "na": ("#d9d9d9", False),
}
HATCH_COLOUR = "#5a2a00"


@dataclass(frozen=True)
class View:
    """What part of the map is shown: centre (map CRS metres), metres per pixel and pixel size."""

    cx: float
    cy: float
    m_per_px: float
    width: int
    height: int

    def transform(self) -> QtGui.QTransform:
        s = 1.0 / self.m_per_px
        return QtGui.QTransform(s, 0.0, 0.0, -s, self.width / 2.0 - self.cx * s, self.height / 2.0 + self.cy * s)

    def to_screen(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(x) - self.cx) / self.m_per_px + self.width / 2.0, self.height / 2.0 - (np.asarray(y) - self.cy) / self.m_per_px

    def to_map(self, sx: float, sy: float) -> tuple[float, float]:
        return self.cx + (sx - self.width / 2.0) * self.m_per_px, self.cy - (sy - self.height / 2.0) * self.m_per_px

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        hw, hh = self.width / 2.0 * self.m_per_px, self.height / 2.0 * self.m_per_px
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh

    def scale_denominator(self, dpi: float = SCREEN_DPI) -> float:
        return self.m_per_px * dpi / 0.0254

    @classmethod
    def fit(cls, bounds: tuple[float, float, float, float], width: int, height: int, *, margin: float = 0.05) -> "View":
        minx, miny, maxx, maxy = bounds
        w = max(maxx - minx, 1.0) * (1 + 2 * margin)
        h = max(maxy - miny, 1.0) * (1 + 2 * margin)
        m = max(w / max(width, 1), h / max(height, 1))
        return cls((minx + maxx) / 2.0, (miny + maxy) / 2.0, m, width, height)


def qcolor(hex_: str, alpha: float = 1.0) -> QtGui.QColor:
    c = QtGui.QColor(hex_)
    c.setAlphaF(max(0.0, min(1.0, alpha)))
    return c


def pen_for(style: Style, *, opacity: float = 1.0, scale: float = 1.0) -> QtGui.QPen:
    """A cosmetic pen; ``scale`` turns screen pixels into device pixels (dpi / 96 when printing)."""
    pen = QtGui.QPen(qcolor(style.stroke, opacity))
    pen.setWidthF(style.stroke_width_px * scale)
    pen.setCosmetic(True)
    if style.dash:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    return pen


def brush_for(style: Style, *, opacity: float = 1.0) -> QtGui.QBrush:
    if style.fill is None or style.hollow:
        return QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush)
    return QtGui.QBrush(qcolor(style.fill, style.fill_opacity * opacity))


def _ring_polygon(coords: np.ndarray) -> QtGui.QPolygonF:
    return QtGui.QPolygonF([QtCore.QPointF(float(x), float(y)) for x, y in coords])


def polygon_path(geom: shapely.Geometry) -> QtGui.QPainterPath:
    """A path of a (multi)polygon in map coordinates. Rings are oriented (shells one way, holes the other)
    and filled by the winding rule, so paths of overlapping polygons added together fill their union."""
    path = QtGui.QPainterPath()
    path.setFillRule(QtCore.Qt.FillRule.WindingFill)
    for part in shapely.get_parts(shapely.orient_polygons(geom)):
        if shapely.get_type_id(part) != 3:
            continue
        path.addPolygon(_ring_polygon(shapely.get_coordinates(part.exterior)))
        for ring in part.interiors:
            path.addPolygon(_ring_polygon(shapely.get_coordinates(ring)))
    return path


def lines_path(geoms: np.ndarray) -> QtGui.QPainterPath:
    """One path of many line strings (map coordinates)."""
    path = QtGui.QPainterPath()
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    if coords.size == 0:
        return path
    starts = np.ones(idx.size, dtype=bool)
    starts[1:] = idx[1:] != idx[:-1]
    move, line = path.moveTo, path.lineTo
    for (x, y), s in zip(coords.tolist(), starts.tolist()):
        (move if s else line)(x, y)
    return path


def symbol_path(symbol: str, size_px: float) -> QtGui.QPainterPath:
    """A point symbol centred on (0, 0), in pixels."""
    r = size_px / 2.0
    p = QtGui.QPainterPath()
    if symbol == "square":
        p.addRect(QtCore.QRectF(-r, -r, 2 * r, 2 * r))
    elif symbol == "triangle":
        p.addPolygon(QtGui.QPolygonF([QtCore.QPointF(0, -r * 1.15), QtCore.QPointF(r, r * 0.8), QtCore.QPointF(-r, r * 0.8), QtCore.QPointF(0, -r * 1.15)]))
    elif symbol == "diamond":
        p.addPolygon(QtGui.QPolygonF([QtCore.QPointF(0, -r), QtCore.QPointF(r, 0), QtCore.QPointF(0, r), QtCore.QPointF(-r, 0), QtCore.QPointF(0, -r)]))
    elif symbol in ("pentagon", "hexagon", "star"):
        n = {"pentagon": 5, "hexagon": 6, "star": 10}[symbol]
        radii = [r * 1.1, r * 0.45] if symbol == "star" else [r * 1.05]
        pts = [QtCore.QPointF(radii[i % len(radii)] * math.sin(2 * math.pi * i / n), -radii[i % len(radii)] * math.cos(2 * math.pi * i / n))
               for i in range(n)]
        p.addPolygon(QtGui.QPolygonF([*pts, pts[0]]))
    elif symbol == "cross":
        w = r * 0.38
        p.addRect(QtCore.QRectF(-r, -w, 2 * r, 2 * w))
        p.addRect(QtCore.QRectF(-w, -r, 2 * w, 2 * r))
        p = p.simplified()
    else:
        p.addEllipse(QtCore.QPointF(0, 0), r, r)
    return p


class MapRenderer:
    """Draws a workspace; caches paths per layer frame (rebuilt when a layer's frame object changes)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, object], object] = {}
        #: the facility type whose circles, gaps and covered-share choropleth are drawn
        self.display_type = registry().default
        self.labels = True
        #: device pixels per screen pixel: 1 on screen, dpi / 96 when printing
        self.px = 1.0
        self._geom_paths: dict[int, tuple[shapely.Geometry, QtGui.QPainterPath]] = {}
        self._base = QtGui.QTransform()

    def _paths_union(self, geoms) -> QtGui.QPainterPath:
        """One path of many polygons, reusing the path of every geometry object seen before (so after an
        edit only the changed facility's circle is converted)."""
        out = QtGui.QPainterPath()
        out.setFillRule(QtCore.Qt.FillRule.WindingFill)
        if len(self._geom_paths) > 50_000:
            self._geom_paths.clear()
        for g in geoms:
            if g is None or g.is_empty:
                continue
            hit = self._geom_paths.get(id(g))
            if hit is None or hit[0] is not g:
                hit = (g, polygon_path(g))
                self._geom_paths[id(g)] = hit
            out.addPath(hit[1])
        return out

    def _cached(self, layer: MapLayer, key: object, build):
        k = (layer.id, id(layer.frame) if layer.frame is not None else id(layer.raster), key)
        if k not in self._cache:
            stale = [c for c in self._cache if c[0] == layer.id and c[1] != k[1]]
            for c in stale:
                del self._cache[c]
            self._cache[k] = build()
        return self._cache[k]

    # -- entry point ------------------------------------------------------------------------------
    def render(self, painter: QtGui.QPainter, view: View, workspace: Workspace, *, highlight: shapely.Geometry | None = None) -> None:
        painter.save()
        #: map drawing composes with whatever transform the caller set (a page's map frame, say)
        self._base = painter.transform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for layer in workspace.layers:
            if not layer.visible or layer.opacity <= 0:
                continue
            draw = getattr(self, f"_draw_{layer.kind}", None)
            if draw is not None:
                draw(painter, view, layer)
        if highlight is not None:
            draw_highlight(painter, view, highlight, scale=self.px)
        if self.labels:
            towns = workspace.layer("townships")
            if towns is not None and towns.visible and towns.frame is not None:
                self._draw_labels(painter, view, towns)
        painter.restore()

    # -- layers -----------------------------------------------------------------------------------
    def _draw_basemap(self, painter: QtGui.QPainter, view: View, layer: MapLayer) -> None:
        img = self._cached(layer, "image", lambda: _qimage(layer.raster.pixels))
        minx, miny, maxx, maxy = layer.raster.bounds
        (x0, x1), (y1, y0) = view.to_screen(np.array([minx, maxx]), np.array([miny, maxy]))
        painter.setOpacity(layer.opacity)
        painter.drawImage(QtCore.QRectF(float(x0), float(y0), float(x1 - x0), float(y1 - y0)), img)
        painter.setOpacity(1.0)

    def _draw_polygons(self, painter, view, layer, styles_paths) -> None:
        painter.setTransform(view.transform() * self._base)
        for style, path in styles_paths:
            painter.setPen(pen_for(style, opacity=layer.opacity, scale=self.px))
            painter.setBrush(brush_for(style, opacity=layer.opacity))
            painter.drawPath(path)
        painter.setTransform(self._base)

    def _draw_townships(self, painter, view, layer) -> None:
        path = self._cached(layer, "all", lambda: self._paths_union(layer.frame.geometry.to_numpy()))
        self._draw_polygons(painter, view, layer, [(DEFAULT_STYLES.townships, path)])

    def _draw_coverage(self, painter, view, layer) -> None:
        col = f"share_{self.display_type}"

        def build():
            out = []
            for geom, share in zip(layer.frame.geometry, layer.frame[col] if col in layer.frame else np.full(len(layer.frame), np.nan)):
                out.append((Style(stroke="#00000000", stroke_width_px=0.0, fill=share_colour(float(share)), fill_opacity=0.55), polygon_path(geom)))
            return out

        self._draw_polygons(painter, view, layer, self._cached(layer, col, build))

    def _draw_target(self, painter, view, layer) -> None:
        """The township map by one planning target (the coverage layer while a target is picked)."""
        def build():
            frame = layer.frame
            return [(key, self._paths_union(frame.geometry[frame["target_class"] == key].to_numpy()))
                    for key in TARGET_FILLS if (frame["target_class"] == key).any()]

        paths = self._cached(layer, "target", build)
        self._draw_polygons(painter, view, layer, [(Style(stroke="#00000000", stroke_width_px=0.0, fill=TARGET_FILLS[k][0], fill_opacity=0.6), p)
                                                   for k, p in paths])
        for key, path in paths:
            if TARGET_FILLS[key][1]:
                draw_hatch(painter, view.transform().map(path), scale=self.px, opacity=layer.opacity,
                           within=QtCore.QRectF(0, 0, view.width, view.height))

    def _draw_circles(self, painter, view, layer) -> None:
        t = self.display_type

        def build():  # only the class on show: the others are built when they are picked
            frame = layer.frame
            out = []
            minutes = sorted(frame["minutes"].unique(), reverse=True) if len(frame) else []
            n = len(minutes)
            of_type = frame[frame["type"] == t] if len(frame) else frame
            for m in minutes:  # largest band first, inner bands on top
                sel = of_type[of_type["minutes"] == m]
                if len(sel):
                    out.append((band_style(t, sorted(minutes).index(m), n), self._paths_union(sel.geometry.to_numpy())))
            return out

        self._draw_polygons(painter, view, layer, self._cached(layer, ("bands", t), build))

    def _draw_gaps(self, painter, view, layer) -> None:
        # gap areas of the displayed facility type only
        path = self._cached(layer, ("type", self.display_type), lambda: self._paths_union(layer.frame[layer.frame["type"] == self.display_type].geometry.to_numpy()))
        self._draw_polygons(painter, view, layer, [(DEFAULT_STYLES.gaps, path)])

    def _draw_compare(self, painter, view, layer) -> None:
        def build():
            sel = layer.frame[layer.frame["type"] == self.display_type]
            out = []
            for change, colour in (("gained", "#1a9641"), ("lost", "#d7191c")):
                part = sel[sel["change"] == change]
                if len(part):
                    out.append((Style(stroke=colour, stroke_width_px=1.2, fill=colour, fill_opacity=0.45), self._paths_union(part.geometry.to_numpy())))
            return out

        self._draw_polygons(painter, view, layer, self._cached(layer, ("type", self.display_type), build))

    def _draw_roads(self, painter, view, layer) -> None:
        rs = DEFAULT_STYLES.roads
        lod = next(i for i, (limit, _) in enumerate(ROAD_LODS) if view.m_per_px <= limit)
        classes = self._cached(layer, "classes", lambda: np.array([rs.road_class(h) for h in layer.frame["highway"]]))
        painter.setTransform(view.transform() * self._base)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, view.m_per_px < 20)
        for cls, style in ((2, rs.minor_style), (1, rs.middle_style), (0, rs.major_style)):
            if cls == 2 and view.m_per_px > MINOR_ROADS_MAX_M_PER_PX:
                continue
            path = self._cached(layer, ("lod", lod, cls), lambda cls=cls: _road_path(layer.frame.geometry.to_numpy()[classes == cls], ROAD_LODS[lod][1]))
            painter.setPen(pen_for(style, opacity=layer.opacity, scale=self.px))
            painter.drawPath(path)
        painter.setTransform(self._base)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)

    def _draw_points(self, painter, view, layer, xs, ys, styles) -> None:
        sx, sy = view.to_screen(xs, ys)
        minx, miny = -20 * self.px, -20 * self.px
        inside = (sx > minx) & (sx < view.width - minx) & (sy > miny) & (sy < view.height - miny)
        for i in np.nonzero(inside)[0]:
            style = styles[i]
            painter.setPen(pen_for(style, opacity=layer.opacity, scale=self.px))
            painter.setBrush(brush_for(style, opacity=layer.opacity))
            painter.drawPath(symbol_path(style.symbol, style.size_px * self.px).translated(float(sx[i]), float(sy[i])))

    def _point_xy(self, layer):
        return self._cached(layer, "xy", lambda: (layer.frame.geometry.x.to_numpy(), layer.frame.geometry.y.to_numpy()))

    def _draw_facilities(self, painter, view, layer) -> None:
        xs, ys = self._point_xy(layer)
        styles = self._cached(layer, "styles", lambda: [facility_style(t, s) for t, s in zip(layer.frame["type"], layer.frame["status"])])
        self._draw_points(painter, view, layer, xs, ys, styles)

    def _draw_communities(self, painter, view, layer) -> None:
        xs, ys = self._point_xy(layer)
        styles = self._cached(layer, "styles", lambda: [DEFAULT_STYLES.communities_urban if k == "urban" else DEFAULT_STYLES.communities_village for k in layer.frame["kind"]])
        self._draw_points(painter, view, layer, xs, ys, styles)

    def _draw_population(self, painter, view, layer) -> None:
        xs, ys = self._point_xy(layer)
        self._draw_points(painter, view, layer, xs, ys, [DEFAULT_STYLES.population] * len(xs))

    def _draw_labels(self, painter: QtGui.QPainter, view: View, layer: MapLayer) -> None:
        pts = self._cached(layer, "label_points", lambda: shapely.point_on_surface(layer.frame.geometry.to_numpy()))
        sx, sy = view.to_screen(shapely.get_x(pts), shapely.get_y(pts))
        font = QtGui.QFont(painter.font())
        font.setPointSizeF(10.0)
        font.setBold(True)
        metrics = QtGui.QFontMetricsF(font)
        for name, x, y in zip(layer.frame["name"], sx, sy):
            if not (0 <= x <= view.width and 0 <= y <= view.height):
                continue
            text = str(name)
            w = metrics.horizontalAdvance(text)
            origin = QtCore.QPointF(float(x) - w / 2, float(y) + metrics.ascent() / 2)
            path = QtGui.QPainterPath()
            path.addText(origin, font, text)
            painter.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255, 230), 3.0 * self.px))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPath(path)  # the halo
            painter.setFont(font)
            painter.setPen(QtGui.QColor("#202020"))
            painter.drawText(origin, text)  # real text: searchable in PDFs


@dataclass(frozen=True)
class Swatch:
    """A legend sample: ``symbol`` (point style), ``line`` or ``fill`` (style, or a plain colour)."""

    kind: str
    style: Style | None = None
    colour: str | None = None
    hatch: bool = False  # fill swatches: hatched like the shortfall side of a target map


def legend_entries(kind: str, *, display_type: str, minutes: tuple[float, ...]) -> list[tuple[str, Swatch]]:
    """Legend lines of a layer kind, shared by the layer panel and printed maps."""
    from layers.styling import SHARE_CLASSES, band_style

    from .i18n import tr

    if kind == "facilities":
        out = [(tr(f"type.{t}") + " · " + tr("legend.existing"), Swatch("symbol", facility_style(t, "existing"))) for t in registry().ids]
        out.append((tr("legend.planned"), Swatch("symbol", facility_style(registry().default, "planned"))))
        return out
    if kind == "circles":
        n = len(minutes)
        return [(tr(f"type.{display_type}") + " " + tr("legend.band", m=m), Swatch("fill", band_style(display_type, i, n))) for i, m in enumerate(minutes)]
    if kind == "coverage":
        lows = [0.0] + [c[0] for c in SHARE_CLASSES[:-1]]
        return [(tr("legend.share", lo=lo, hi=min(hi, 1.0)), Swatch("fill", colour=col)) for lo, (hi, col) in zip(lows, SHARE_CLASSES)]
    if kind == "gaps":
        return [(tr("legend.gap") + " · " + tr(f"type.{display_type}"), Swatch("fill", DEFAULT_STYLES.gaps))]
    if kind == "compare":
        return [(tr("legend.gained"), Swatch("fill", colour="#1a9641")), (tr("legend.lost"), Swatch("fill", colour="#d7191c"))]
    if kind == "roads":
        rs = DEFAULT_STYLES.roads
        return [(tr("legend.roads_major"), Swatch("line", rs.major_style)), (tr("legend.roads_minor"), Swatch("line", rs.middle_style))]
    if kind == "communities":
        return [(tr("kind.urban"), Swatch("symbol", DEFAULT_STYLES.communities_urban)), (tr("kind.village"), Swatch("symbol", DEFAULT_STYLES.communities_village))]
    if kind == "townships":
        return [(tr("layer.townships"), Swatch("line", DEFAULT_STYLES.townships))]
    if kind == "target":
        from .targets_panel import target_legend

        return target_legend(kind)
    return []


def draw_swatch(painter: QtGui.QPainter, rect: QtCore.QRectF, swatch: Swatch, *, scale: float = 1.0) -> None:
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    c = rect.center()
    if swatch.kind == "symbol":
        painter.setPen(pen_for(swatch.style, scale=scale))
        painter.setBrush(brush_for(swatch.style))
        size = min(swatch.style.size_px * scale, rect.height() * 0.8)
        painter.drawPath(symbol_path(swatch.style.symbol, size).translated(c))
    elif swatch.kind == "line":
        pen = pen_for(swatch.style, scale=scale)
        pen.setWidthF(max(swatch.style.stroke_width_px, 1.5) * scale)
        painter.setPen(pen)
        painter.drawLine(QtCore.QPointF(rect.left() + 2 * scale, rect.bottom() - 3 * scale), QtCore.QPointF(rect.right() - 2 * scale, rect.top() + 3 * scale))
    elif swatch.kind == "fill":
        painter.setPen(QtGui.QPen(qcolor(swatch.style.stroke if swatch.style is not None else "#555555"), scale))
        painter.setBrush(qcolor(swatch.colour) if swatch.colour else brush_for(swatch.style))
        box = rect.adjusted(2 * scale, 3 * scale, -2 * scale, -3 * scale)
        painter.drawRect(box)
        if swatch.hatch:
            path = QtGui.QPainterPath()
            path.addRect(box)
            draw_hatch(painter, path, scale=scale)
    painter.restore()  # "note": a legend line of text only


def draw_hatch(painter: QtGui.QPainter, path: QtGui.QPainterPath, *, scale: float = 1.0, opacity: float = 1.0,
               within: QtCore.QRectF | None = None) -> None:
    """Diagonal hatching inside ``path`` (in the painter's current coordinates, pixels; ``within`` limits the
    lines drawn to the visible part)."""
    painter.save()
    painter.setClipPath(path, QtCore.Qt.ClipOperation.IntersectClip)
    pen = QtGui.QPen(qcolor(HATCH_COLOUR, 0.75 * opacity), 1.0 * scale)
    painter.setPen(pen)
    r = path.boundingRect() if within is None else path.boundingRect().intersected(within)
    step = 6.0 * scale
    x = r.left() - r.height()
    while x < r.right():
        painter.drawLine(QtCore.QPointF(x, r.bottom()), QtCore.QPointF(x + r.height(), r.top()))
        x += step
    painter.restore()


def draw_highlight(painter: QtGui.QPainter, view: View, geom: shapely.Geometry, *, scale: float = 1.0) -> None:
    """Outline a selected feature: polygons and lines traced, points ringed."""
    if geom is None or geom.is_empty:
        return
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setPen(pen_for(DEFAULT_STYLES.highlight, scale=scale))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    kind = shapely.get_type_id(geom)
    if kind in (0, 4):
        for p in shapely.get_parts(geom):
            sx, sy = view.to_screen(p.x, p.y)
            painter.drawEllipse(QtCore.QPointF(float(sx), float(sy)), 11 * scale, 11 * scale)
    else:
        painter.setTransform(view.transform() * painter.transform())
        painter.drawPath(polygon_path(geom) if kind in (3, 6) else lines_path(shapely.get_parts(geom)))
    painter.restore()


def draw_preview(painter: QtGui.QPainter, view: View, geoms: list[shapely.Geometry]) -> None:
    """A facility's circle bands while it is dragged (dashed outlines, light fill)."""
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setTransform(view.transform() * painter.transform())
    for g in geoms:
        pen = QtGui.QPen(QtGui.QColor("#005a9c"), 1.5, QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QtGui.QColor(0, 90, 156, 40))
        painter.drawPath(polygon_path(g))
    painter.restore()


def _road_path(geoms: np.ndarray, tolerance_m: float) -> QtGui.QPainterPath:
    if len(geoms) == 0:
        return QtGui.QPainterPath()
    if tolerance_m > 0:
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(geoms)))
        geoms = shapely.simplify(merged, tolerance_m, preserve_topology=False)
    return lines_path(np.asarray(geoms))


def _qimage(pixels: np.ndarray) -> QtGui.QImage:
    arr = np.ascontiguousarray(pixels)
    h, w = arr.shape[:2]
    if arr.shape[2] == 3:
        arr = np.ascontiguousarray(np.dstack([arr, np.full((h, w), 255, np.uint8)]))
    img = QtGui.QImage(arr.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGBA8888)
    return img.copy()  # own the pixels


def draw_scale_bar(painter: QtGui.QPainter, view: View, *, x: float, y: float, target_px: float = 120.0, scale: float = 1.0) -> None:
    """A scale bar with a 'nice' length (1, 2 or 5 x 10^k metres) whose left end is at (x, y)."""
    raw = target_px * scale * view.m_per_px
    k = 10 ** math.floor(math.log10(raw))
    nice = max(m * k for m in (1, 2, 5) if m * k <= raw) if raw >= k else k
    px = nice / view.m_per_px
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    s = scale
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 1.5 * s))
    painter.setBrush(QtGui.QColor(255, 255, 255, 200))
    metrics = QtGui.QFontMetricsF(painter.font())
    painter.drawRect(QtCore.QRectF(x - 6 * s, y - 8 * s - metrics.height(), px + 12 * s + metrics.horizontalAdvance(label) + 4 * s, metrics.height() + 16 * s))
    painter.setBrush(QtGui.QColor("#000000"))
    painter.drawRect(QtCore.QRectF(x, y - 2 * s, px / 2, 5 * s))
    painter.setBrush(QtGui.QColor("#ffffff"))
    painter.drawRect(QtCore.QRectF(x + px / 2, y - 2 * s, px / 2, 5 * s))
    painter.drawText(QtCore.QPointF(x, y - 6 * s), "0")
    painter.drawText(QtCore.QPointF(x + px + 4 * s, y + 4 * s), label)
    painter.restore()
