"""Drawing the workspace's layers with QPainter — the one code path for the screen and for exports.

Geometries are turned into ``QPainterPath`` objects in map coordinates once per layer (and per level of
detail for roads) and drawn through the view's world transform with cosmetic pens, so a repaint costs only
the drawing itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import shapely
from PySide6 import QtCore, QtGui

from layers.classes import registry
from layers.styling import (
    COUNTY_SCALE_M_PER_PX,
    DEFAULT_STYLES,
    GAP_MIN_DRAWN_PX,
    TARGET_OPACITY,
    Style,
    band_style,
    compare_style,
    facility_style,
    road_style,
    road_visible,
    share_style,
)
from projects.workspace import MapLayer, Workspace

#: township labels: font size in screen pixels (10 pt at 96 dpi)
LABEL_PX = 13.3
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
#: polygon detail levels: (max metres per screen pixel, simplification tolerance in metres), about a third
#: of a screen pixel, so nothing visible changes while a county page no longer carries every vertex
POLY_LODS = ((3.0, 0.0), (12.0, 3.0), (40.0, 10.0), (math.inf, 25.0))


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
    pen = QtGui.QPen(qcolor(style.stroke, opacity * style.stroke_opacity))
    pen.setWidthF(style.stroke_width_px * scale)
    pen.setCosmetic(True)
    if style.dash:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    return pen


def halo_pen(style: Style, *, opacity: float = 1.0, scale: float = 1.0) -> QtGui.QPen | None:
    """The light casing drawn under a style's stroke (None when the style has none)."""
    if not style.halo or style.halo_px <= 0:
        return None
    pen = QtGui.QPen(qcolor(style.halo, 0.85 * opacity))
    pen.setWidthF((style.stroke_width_px + 2 * style.halo_px) * scale)
    pen.setCosmetic(True)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    return pen


def ui_font(base: QtGui.QFont, px: float, *, bold: bool = False) -> QtGui.QFont:
    """``base`` at a size in device pixels: text measured with ``QFontMetricsF(font)`` then matches what
    any device (screen, image, PDF writer, QPicture) draws, whatever its logical DPI."""
    f = QtGui.QFont(base)
    f.setPixelSize(max(1, round(px)))
    f.setBold(bold)
    return f


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
        #: screen rectangles of the facility symbols drawn by the last render (labels avoid them)
        self._obstacles: list[QtCore.QRectF] = []
        #: rectangles of the township labels placed by the last render
        self.placed_labels: list[QtCore.QRectF] = []

    def _paths_union(self, geoms, tol_m: float = 0.0) -> QtGui.QPainterPath:
        """One path of many polygons, reusing the path of every geometry object seen before (so after an
        edit only the changed facility's circle is converted); ``tol_m``: simplified by that many metres
        (see :data:`POLY_LODS`), so a county-scale page does not carry every street-side vertex."""
        out = QtGui.QPainterPath()
        out.setFillRule(QtCore.Qt.FillRule.WindingFill)
        if len(self._geom_paths) > 50_000:
            self._geom_paths.clear()
        for g in geoms:
            if g is None or g.is_empty:
                continue
            hit = self._geom_paths.get((id(g), tol_m))
            if hit is None or hit[0] is not g:
                shape = shapely.simplify(g, tol_m) if tol_m > 0 else g
                hit = (g, polygon_path(shape) if shape is not None and not shape.is_empty else QtGui.QPainterPath())
                self._geom_paths[(id(g), tol_m)] = hit
            out.addPath(hit[1])
        return out

    def poly_tolerance(self, view: View) -> float:
        """The simplification of polygons at this view's scale (metres)."""
        m_px = self.screen_m_per_px(view)
        return next(tol for limit, tol in POLY_LODS if m_px <= limit)

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
        self._obstacles = []
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
            casing = halo_pen(style, opacity=layer.opacity, scale=self.px)
            if casing is not None:
                painter.setPen(casing)
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            painter.setPen(pen_for(style, opacity=layer.opacity, scale=self.px))
            painter.setBrush(brush_for(style, opacity=layer.opacity))
            painter.drawPath(path)
            if style.hatch:
                painter.setTransform(self._base)
                draw_hatch(painter, view.transform().map(path), scale=self.px, opacity=layer.opacity,
                           within=QtCore.QRectF(0, 0, view.width, view.height), colour=style.stroke)
                painter.setTransform(view.transform() * self._base)
        painter.setTransform(self._base)

    def screen_m_per_px(self, view: View) -> float:
        """Metres per screen pixel (1/96 inch): scale rules read the same on screen and on paper at any DPI."""
        return view.m_per_px * self.px

    def _draw_townships(self, painter, view, layer) -> None:
        tol = self.poly_tolerance(view)
        path = self._cached(layer, ("all", tol), lambda: self._paths_union(layer.frame.geometry.to_numpy(), tol))
        self._draw_polygons(painter, view, layer, [(DEFAULT_STYLES.townships, path)])

    def _draw_coverage(self, painter, view, layer) -> None:
        col = f"share_{self.display_type}"

        def build():
            out = []
            for geom, share in zip(layer.frame.geometry, layer.frame[col] if col in layer.frame else np.full(len(layer.frame), np.nan)):
                out.append((share_style(float(share)), polygon_path(geom)))
            return out

        self._draw_polygons(painter, view, layer, self._cached(layer, col, build))

    def _draw_target(self, painter, view, layer) -> None:
        """The township map by one planning target (the coverage layer while a target is picked)."""
        def build():
            frame = layer.frame
            return [(key, self._paths_union(frame.geometry[frame["target_class"] == key].to_numpy(), tol))
                    for key in TARGET_FILLS if (frame["target_class"] == key).any()]

        tol = self.poly_tolerance(view)
        paths = self._cached(layer, ("target", tol), build)
        self._draw_polygons(painter, view, layer, [(Style(stroke="#00000000", stroke_width_px=0.0, fill=TARGET_FILLS[k][0], fill_opacity=TARGET_OPACITY), p)
                                                   for k, p in paths])
        for key, path in paths:
            if TARGET_FILLS[key][1]:
                draw_hatch(painter, view.transform().map(path), scale=self.px, opacity=layer.opacity,
                           within=QtCore.QRectF(0, 0, view.width, view.height))

    def _draw_circles(self, painter, view, layer) -> None:
        t = self.display_type
        tol = self.poly_tolerance(view)

        def build():  # only the class on show: the others are built when they are picked
            frame = layer.frame
            out = []
            minutes = sorted(frame["minutes"].unique(), reverse=True) if len(frame) else []
            n = len(minutes)
            of_type = frame[frame["type"] == t] if len(frame) else frame
            for m in minutes:  # largest band first, inner bands on top
                sel = of_type[of_type["minutes"] == m]
                if len(sel):
                    out.append((band_style(t, sorted(minutes).index(m), n), self._paths_union(sel.geometry.to_numpy(), tol)))
            return out

        self._draw_polygons(painter, view, layer, self._cached(layer, ("bands", t, tol), build))

    def _draw_gaps(self, painter, view, layer) -> None:
        # gap areas of the displayed facility type only; those too small to see at this scale as a ringed marker
        style = DEFAULT_STYLES.gaps
        geoms = self._cached(layer, ("geoms", self.display_type), lambda: layer.frame[layer.frame["type"] == self.display_type].geometry.to_numpy())
        tol = self.poly_tolerance(view)
        path = self._cached(layer, ("type", self.display_type, tol), lambda: self._paths_union(geoms, tol))
        self._draw_polygons(painter, view, layer, [(style, path)])
        if len(geoms) == 0:
            return
        size_m = self._cached(layer, ("size", self.display_type), lambda: _extent_m(geoms))
        small = size_m / self.screen_m_per_px(view) < GAP_MIN_DRAWN_PX
        if not small.any():
            return
        cx, cy = self._cached(layer, ("centres", self.display_type), lambda: _centres(geoms))
        sx, sy = view.to_screen(cx[small], cy[small])
        r = GAP_MIN_DRAWN_PX / 2 * self.px
        inside = (sx > -r) & (sx < view.width + r) & (sy > -r) & (sy < view.height + r)
        pen = pen_for(style, opacity=layer.opacity, scale=self.px)
        pen.setWidthF(1.4 * self.px)
        painter.setPen(pen)  # a ring around the village in the gap (its symbol is drawn on top)
        painter.setBrush(qcolor(style.fill, 0.3 * layer.opacity))
        for x, y in zip(sx[inside].tolist(), sy[inside].tolist()):
            painter.drawEllipse(QtCore.QPointF(x, y), r, r)

    def _draw_compare(self, painter, view, layer) -> None:
        def build():
            sel = layer.frame[layer.frame["type"] == self.display_type]
            out = []
            for change in ("gained", "lost"):
                part = sel[sel["change"] == change]
                if len(part):
                    out.append((compare_style(change), self._paths_union(part.geometry.to_numpy(), tol)))
            return out

        tol = self.poly_tolerance(view)

        self._draw_polygons(painter, view, layer, self._cached(layer, ("type", self.display_type, tol), build))

    def _draw_roads(self, painter, view, layer) -> None:
        """Roads generalised by scale: smaller ranks dropped as the map zooms out (minor roads, then the
        streets of built-up grids), lines merged and simplified; the rules read metres per *screen* pixel,
        so a print at 600 dpi shows what the screen shows at the same scale."""
        rs = DEFAULT_STYLES.roads
        m_px = self.screen_m_per_px(view)
        lod = next(i for i, (limit, _) in enumerate(ROAD_LODS) if m_px <= limit)
        ranks = self._cached(layer, "ranks", lambda: np.array([rs.road_rank(h) for h in layer.frame["highway"]], dtype=int))
        painter.setTransform(view.transform() * self._base)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, m_px < 20 or self.px > 1)
        for rank in (3, 2, 1, 0):
            if not road_visible(rank, m_per_px=m_px):
                continue
            tiles = self._cached(layer, ("lod", lod, rank), lambda rank=rank: _road_tiles(layer.frame.geometry.to_numpy()[ranks == rank], ROAD_LODS[lod][1]))
            painter.setPen(pen_for(road_style(rank, m_per_px=m_px), opacity=layer.opacity, scale=self.px))
            vx0, vy0, vx1, vy1 = view.bounds
            for (x0, y0, x1, y1), path in tiles:  # only the tiles in view: a page or an inset writes no hidden roads
                if x1 >= vx0 and x0 <= vx1 and y1 >= vy0 and y0 <= vy1:
                    painter.drawPath(path)
        painter.setTransform(self._base)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)

    def _draw_points(self, painter, view, layer, xs, ys, styles, *, obstacles: list | None = None) -> None:
        sx, sy = view.to_screen(xs, ys)
        minx, miny = -20 * self.px, -20 * self.px
        inside = (sx > minx) & (sx < view.width - minx) & (sy > miny) & (sy < view.height - miny)
        for i in np.nonzero(inside)[0]:
            style = styles[i]
            path = symbol_path(style.symbol, style.size_px * self.px).translated(float(sx[i]), float(sy[i]))
            casing = halo_pen(style, opacity=layer.opacity, scale=self.px)
            if casing is not None:
                painter.setPen(casing)
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            painter.setPen(pen_for(style, opacity=layer.opacity, scale=self.px))
            painter.setBrush(brush_for(style, opacity=layer.opacity))
            painter.drawPath(path)
            if obstacles is not None:
                obstacles.append(path.boundingRect().adjusted(-self.px, -self.px, self.px, self.px))

    def _point_xy(self, layer):
        return self._cached(layer, "xy", lambda: (layer.frame.geometry.x.to_numpy(), layer.frame.geometry.y.to_numpy()))

    def _draw_facilities(self, painter, view, layer) -> None:
        """Facility symbols; at county scale the classes other than the one shown are drawn smaller and
        lighter, so the circles and gaps of the class shown stay readable."""
        xs, ys = self._point_xy(layer)
        county = self.screen_m_per_px(view) > COUNTY_SCALE_M_PER_PX

        def build():
            out = []
            for t, st in zip(layer.frame["type"], layer.frame["status"]):
                style = facility_style(t, st)
                if county and t != self.display_type:
                    style = replace(style, size_px=style.size_px * 0.6, stroke_width_px=style.stroke_width_px * 0.7,
                                    fill_opacity=0.8, stroke_opacity=0.8, halo_px=1.0)
                out.append(style)
            return out

        styles = self._cached(layer, ("styles", county, self.display_type), build)
        order = self._cached(layer, ("order", county, self.display_type),
                             lambda: np.argsort(np.asarray(layer.frame["type"] == self.display_type), kind="stable"))  # the class shown on top
        self._draw_points(painter, view, layer, xs[order], ys[order], [styles[i] for i in order], obstacles=self._obstacles)

    def _draw_communities(self, painter, view, layer) -> None:
        xs, ys = self._point_xy(layer)
        styles = self._cached(layer, "styles", lambda: [DEFAULT_STYLES.communities_urban if k == "urban" else DEFAULT_STYLES.communities_village for k in layer.frame["kind"]])
        self._draw_points(painter, view, layer, xs, ys, styles)

    def _draw_population(self, painter, view, layer) -> None:
        xs, ys = self._point_xy(layer)
        self._draw_points(painter, view, layer, xs, ys, [DEFAULT_STYLES.population] * len(xs))

    def _draw_labels(self, painter: QtGui.QPainter, view: View, layer: MapLayer) -> None:
        """Township names with a white halo, placed without collisions: at the township's inner point, else
        above, below, right or left of it, diagonally, or further out (always inside the township); a label
        that fits nowhere free of the facility symbols, the other labels and the map's edge is dropped."""
        pts = self._cached(layer, "label_points", lambda: _label_points(layer.frame))
        sx, sy = view.to_screen(shapely.get_x(pts), shapely.get_y(pts))
        font = ui_font(painter.font(), LABEL_PX * self.px, bold=True)
        metrics = QtGui.QFontMetricsF(font)
        frame = QtCore.QRectF(0, 0, view.width, view.height)
        placed: list[QtCore.QRectF] = []
        halo = QtGui.QPen(QtGui.QColor(255, 255, 255, 235), 3.0 * self.px)
        halo.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        order = np.argsort(-_areas(layer.frame)) if len(layer.frame) else []  # bigger townships first
        names = [str(n) for n in layer.frame["name"]]
        geoms = layer.frame.geometry.to_numpy()
        for i in order:
            x, y = float(sx[i]), float(sy[i])
            if not (0 <= x <= view.width and 0 <= y <= view.height):
                continue
            text = names[i]
            w, h = metrics.horizontalAdvance(text), metrics.height()
            pad = 2 * self.px
            step_x, step_y = w / 2 + 6 * self.px, h * 0.8
            for dx, dy in _LABEL_OFFSETS_UNIT:
                dx, dy = dx * step_x, dy * step_y
                box = QtCore.QRectF(x + dx - w / 2 - pad, y + dy - h / 2 - pad, w + 2 * pad, h + 2 * pad)
                if frame.contains(box) and not any(box.intersects(o) for o in self._obstacles) \
                        and not any(box.intersects(o) for o in placed) \
                        and (dx == dy == 0 or shapely.contains_xy(geoms[i], *view.to_map(x + dx, y + dy))):
                    break  # a moved label stays inside its own township
            else:
                continue  # no free place: the label is dropped rather than drawn over a symbol
            placed.append(box)
            origin = QtCore.QPointF(box.left() + pad, box.top() + pad + metrics.ascent())
            path = QtGui.QPainterPath()
            path.addText(origin, font, text)
            painter.setPen(halo)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawPath(path)  # the halo
            painter.setFont(font)
            painter.setPen(QtGui.QColor("#202020"))
            painter.drawText(origin, text)  # real text: searchable in PDFs
        self.placed_labels = placed


#: candidate label positions around a township's inner point, in steps (half a label's width, 0.8 of its
#: height): the point itself, then the 8 directions, then twice and three times as far
_LABEL_OFFSETS_UNIT = [(0.0, 0.0)] + [(k * dx, k * dy) for k in (1.0, 2.0, 3.0)
                                     for dx, dy in ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1))]


@dataclass(frozen=True)
class Swatch:
    """A legend sample: ``symbol`` (point style), ``line`` or ``fill`` (style, or a plain colour).
    ``opacity`` is what the map multiplies the style with (the layer's opacity), so a swatch looks like the
    map: a fill swatch of a style with ``fill_opacity`` 0.6 on a layer at 80 % is drawn at 48 %."""

    kind: str
    style: Style | None = None
    colour: str | None = None
    hatch: bool = False  # fill swatches: hatched like the shortfall side of a target map
    opacity: float = 1.0
    #: plain-colour fills: the fill opacity the map draws that colour with
    fill_opacity: float = 1.0


def legend_title(kind: str, *, display_type: str) -> str:
    """A legend heading; the layers drawn for one facility class say which (circles, gaps, choropleth)."""
    from .i18n import tr

    if kind in ("circles", "gaps", "coverage", "compare"):
        return tr(f"print.legend_title.{kind}", cls=tr(f"type.{display_type}"))
    return tr(f"layer.{kind}")


def legend_entries(kind: str, *, display_type: str, minutes: tuple[float, ...], opacity: float = 1.0) -> list[tuple[str, Swatch]]:
    """Legend lines of a layer kind, shared by the layer panel and printed maps (``opacity``: the layer's)."""
    from dataclasses import replace as _replace

    from layers.styling import SHARE_CLASSES

    from .i18n import tr

    if kind == "facilities":
        out = [(tr(f"type.{t}") + " · " + tr("legend.existing"), Swatch("symbol", facility_style(t, "existing"), opacity=opacity)) for t in registry().ids]
        out.append((tr("legend.planned"), Swatch("symbol", facility_style(registry().default, "planned"), opacity=opacity)))
        return out
    if kind == "circles":
        n = len(minutes)
        return [(tr(f"type.{display_type}") + " " + tr("legend.band", m=m), Swatch("fill", band_style(display_type, i, n), opacity=opacity))
                for i, m in enumerate(minutes)]
    if kind == "coverage":
        lows = [0.0] + [c[0] for c in SHARE_CLASSES[:-1]]
        out = [(tr("legend.share", lo=lo, hi=min(hi, 1.0)), Swatch("fill", share_style(lo), opacity=opacity)) for lo, (hi, _col) in zip(lows, SHARE_CLASSES)]
        out.append((tr("print.no_figure"), Swatch("fill", share_style(float("nan")), opacity=opacity)))
        return out
    if kind == "gaps":
        return [(tr("legend.gap") + " · " + tr(f"type.{display_type}"), Swatch("fill", DEFAULT_STYLES.gaps, opacity=opacity))]
    if kind == "compare":
        return [(tr("legend.gained"), Swatch("fill", compare_style("gained"), opacity=opacity)),
                (tr("legend.lost"), Swatch("fill", compare_style("lost"), opacity=opacity))]
    if kind == "roads":
        rs = DEFAULT_STYLES.roads
        return [(tr("legend.roads_major"), Swatch("line", rs.major_style, opacity=opacity)),
                (tr("legend.roads_minor"), Swatch("line", rs.middle_style, opacity=opacity))]
    if kind == "communities":
        return [(tr("kind.urban"), Swatch("symbol", DEFAULT_STYLES.communities_urban, opacity=opacity)),
                (tr("kind.village"), Swatch("symbol", DEFAULT_STYLES.communities_village, opacity=opacity))]
    if kind == "townships":
        return [(tr("layer.townships"), Swatch("line", DEFAULT_STYLES.townships, opacity=opacity))]
    if kind == "target":
        from .targets_panel import target_legend

        return [(text, _replace(sw, opacity=opacity, fill_opacity=TARGET_OPACITY) if sw.kind == "fill" else sw)
                for text, sw in target_legend(kind)]
    return []


def draw_swatch(painter: QtGui.QPainter, rect: QtCore.QRectF, swatch: Swatch, *, scale: float = 1.0) -> None:
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    c = rect.center()
    op = swatch.opacity
    if swatch.kind == "symbol":
        size = min(swatch.style.size_px * scale, rect.height() * 0.8)
        path = symbol_path(swatch.style.symbol, size).translated(c)
        casing = halo_pen(swatch.style, opacity=op, scale=scale)
        if casing is not None:
            painter.setPen(casing)
            painter.drawPath(path)
        painter.setPen(pen_for(swatch.style, opacity=op, scale=scale))
        painter.setBrush(brush_for(swatch.style, opacity=op))
        painter.drawPath(path)
    elif swatch.kind == "line":
        pen = pen_for(swatch.style, opacity=op, scale=scale)
        pen.setWidthF(max(swatch.style.stroke_width_px, 1.5) * scale)
        painter.setPen(pen)
        painter.drawLine(QtCore.QPointF(rect.left() + 2 * scale, rect.bottom() - 3 * scale), QtCore.QPointF(rect.right() - 2 * scale, rect.top() + 3 * scale))
    elif swatch.kind == "fill":
        style = swatch.style
        stroke = "#555555" if style is None or style.stroke_width_px <= 0 or style.stroke == "#00000000" else style.stroke
        painter.setPen(QtGui.QPen(qcolor(stroke, op * (style.stroke_opacity if style is not None else 1.0)), scale))
        painter.setBrush(qcolor(swatch.colour, swatch.fill_opacity * op) if swatch.colour else brush_for(style, opacity=op))
        box = rect.adjusted(2 * scale, 3 * scale, -2 * scale, -3 * scale)
        painter.drawRect(box)
        if swatch.hatch or (style is not None and style.hatch):
            path = QtGui.QPainterPath()
            path.addRect(box)
            draw_hatch(painter, path, scale=scale, opacity=op, colour=style.stroke if style is not None and style.hatch else HATCH_COLOUR)
    painter.restore()  # "note": a legend line of text only


def draw_hatch(painter: QtGui.QPainter, path: QtGui.QPainterPath, *, scale: float = 1.0, opacity: float = 1.0,
               within: QtCore.QRectF | None = None, colour: str = HATCH_COLOUR) -> None:
    """Diagonal hatching inside ``path`` (in the painter's current coordinates, pixels; ``within`` limits the
    lines drawn to the visible part)."""
    painter.save()
    painter.setClipPath(path, QtCore.Qt.ClipOperation.IntersectClip)
    pen = QtGui.QPen(qcolor(colour, 0.75 * opacity), 1.0 * scale)
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


def _extent_m(geoms: np.ndarray) -> np.ndarray:
    """The larger side of each geometry's bounding box, metres."""
    b = shapely.bounds(geoms)
    return np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = shapely.centroid(geoms)
    return shapely.get_x(c), shapely.get_y(c)


def _areas(frame) -> np.ndarray:
    return shapely.area(frame.geometry.to_numpy())


def _label_points(frame) -> np.ndarray:
    """Where a township's label goes first: the pole of inaccessibility (the point deepest inside), which
    stays off thin arms and off the edge where a centroid or a surface point may fall."""
    out = []
    for g in frame.geometry.to_numpy():
        part = max(shapely.get_parts(g), key=lambda p: p.area) if g is not None and not g.is_empty else g
        try:
            out.append(shapely.polylabel(part, tolerance=max(1.0, (part.length or 1.0) / 2000)))
        except Exception:  # noqa: BLE001 - an odd ring: fall back to a point on the surface
            out.append(shapely.point_on_surface(part))
    return np.asarray(out, dtype=object)


#: roads are cut into this many tiles per side (by where each line's box centre falls), so a view draws only
#: the tiles it sees
ROAD_TILES = 12


def _road_tiles(geoms: np.ndarray, tolerance_m: float) -> list[tuple[tuple[float, float, float, float], QtGui.QPainterPath]]:
    """The roads merged and simplified by ``tolerance_m`` (nothing at 0), as paths per tile with each tile's
    bounds (the union of its lines' boxes, so culling by it is exact)."""
    if len(geoms) == 0:
        return []
    if tolerance_m > 0:
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(geoms)))
        geoms = shapely.simplify(merged, tolerance_m, preserve_topology=False)
    geoms = np.asarray(geoms)
    b = shapely.bounds(geoms)
    ok = np.isfinite(b).all(axis=1)
    geoms, b = geoms[ok], b[ok]
    if len(geoms) == 0:
        return []
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    cx = ((b[:, 0] + b[:, 2]) / 2 - x0) / max(x1 - x0, 1e-9)
    cy = ((b[:, 1] + b[:, 3]) / 2 - y0) / max(y1 - y0, 1e-9)
    tile = np.minimum((cx * ROAD_TILES).astype(int), ROAD_TILES - 1) * ROAD_TILES + np.minimum((cy * ROAD_TILES).astype(int), ROAD_TILES - 1)
    out = []
    for t in np.unique(tile):
        sel = tile == t
        tb = b[sel]
        out.append(((float(tb[:, 0].min()), float(tb[:, 1].min()), float(tb[:, 2].max()), float(tb[:, 3].max())), lines_path(geoms[sel])))
    return out


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
