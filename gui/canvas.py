"""The map canvas: a QWidget drawn with QPainter (no web view).

The layers are rendered into a cached image for the current view; a repaint only draws that image (shifted
while panning, scaled while zooming) plus overlays (highlight, scale bar), and the image is re-rendered
once the view settles.
"""
from __future__ import annotations

import shapely
from PySide6 import QtCore, QtGui, QtWidgets

from projects.workspace import Workspace

from .render import MapRenderer, View, draw_highlight, draw_preview, draw_scale_bar

ZOOM_STEP = 1.25
CLICK_TOLERANCE_PX = 4


class MapCanvas(QtWidgets.QWidget):
    cursorMoved = QtCore.Signal(float, float)  # map coordinates
    clicked = QtCore.Signal(float, float)  # map coordinates of a click (not a drag)
    viewChanged = QtCore.Signal()
    rendered = QtCore.Signal(float)  # milliseconds the last full render took
    deleteRequested = QtCore.Signal()

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.workspace = workspace
        self.renderer = MapRenderer()
        self.view: View | None = None
        self.highlight: shapely.Geometry | None = None
        self._cache: QtGui.QImage | None = None
        self._cache_view: View | None = None
        self._press: QtCore.QPointF | None = None
        self._press_view: View | None = None
        self._dragging = False
        self._settle = QtCore.QTimer(self, singleShot=True, interval=150)
        self._settle.timeout.connect(self.refresh)
        self.last_render_ms = 0.0
        self.tool = None  # a gui.editing.MapTool, or None for identify/pan
        self._tool_drag = False
        self.preview: list[shapely.Geometry] = []  # drawn on top (a dragged facility's circle)
        self.selection: list[shapely.Geometry] = []  # selected features, ringed
        self._rubber: tuple[float, float, float, float] | None = None

    # -- view control -----------------------------------------------------------------------------
    def set_view(self, view: View) -> None:
        self.view = view
        self.viewChanged.emit()
        self.update()
        self._settle.start()

    def zoom_to_bounds(self, bounds: tuple[float, float, float, float] | None, *, margin: float = 0.05) -> None:
        if bounds is None:
            return
        self.set_view(View.fit(bounds, max(self.width(), 1), max(self.height(), 1), margin=margin))

    def zoom_full(self) -> None:
        self.zoom_to_bounds(self.workspace.full_bounds())

    def zoom_by(self, factor: float, *, anchor: QtCore.QPointF | None = None) -> None:
        if self.view is None:
            return
        v = self.view
        ax, ay = (anchor.x(), anchor.y()) if anchor is not None else (v.width / 2, v.height / 2)
        mx, my = v.to_map(ax, ay)
        m = v.m_per_px / factor
        # keep the map point under the anchor fixed
        cx = mx - (ax - v.width / 2) * m
        cy = my + (ay - v.height / 2) * m
        self.set_view(View(cx, cy, m, v.width, v.height))

    def current_bounds(self) -> tuple[float, float, float, float] | None:
        return self.view.bounds if self.view is not None else None

    def set_highlight(self, geometry: shapely.Geometry | None) -> None:
        self.highlight = geometry
        self.update()

    def set_preview(self, geometries: list[shapely.Geometry]) -> None:
        self.preview = list(geometries)
        self.update()

    def set_selection(self, geometries: list[shapely.Geometry]) -> None:
        self.selection = list(geometries)
        self.update()

    def set_rubber_band(self, box: tuple[float, float, float, float] | None) -> None:
        self._rubber = box
        self.update()

    def refresh(self) -> None:
        """Re-render the layers for the current view (call after data or style changes)."""
        self._cache = None
        self.update()

    # -- rendering --------------------------------------------------------------------------------
    def render_image(self, view: View) -> QtGui.QImage:
        img = QtGui.QImage(view.width, view.height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(QtGui.QColor("#f4f3ef"))
        painter = QtGui.QPainter(img)
        self.renderer.render(painter, view, self.workspace)
        painter.end()
        return img

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt naming)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor("#f4f3ef"))
        if self.view is None:
            painter.end()
            return
        v = self.view
        if self._cache is None or (self._cache_view is None) or (not self._dragging and not self._settle.isActive() and self._cache_view != v):
            timer = QtCore.QElapsedTimer()
            timer.start()
            self._cache = self.render_image(v)
            self._cache_view = v
            self.last_render_ms = timer.nsecsElapsed() / 1e6
            self.rendered.emit(self.last_render_ms)
        cv = self._cache_view
        if cv == v:
            painter.drawImage(0, 0, self._cache)
        else:
            # shifted/scaled preview of the last render while the view moves
            s = cv.m_per_px / v.m_per_px
            x0, y0 = v.to_screen(cv.bounds[0], cv.bounds[3])
            painter.drawImage(QtCore.QRectF(float(x0), float(y0), cv.width * s, cv.height * s), self._cache)
        draw_highlight(painter, v, self.highlight)
        for geom in self.selection:
            draw_highlight(painter, v, geom)
        if self.preview:
            draw_preview(painter, v, self.preview)
        if self._rubber is not None:
            x0, y0 = v.to_screen(self._rubber[0], self._rubber[1])
            x1, y1 = v.to_screen(self._rubber[2], self._rubber[3])
            painter.setPen(QtGui.QPen(QtGui.QColor("#00a0c0"), 1, QtCore.Qt.PenStyle.DashLine))
            painter.setBrush(QtGui.QColor(0, 160, 192, 40))
            painter.drawRect(QtCore.QRectF(QtCore.QPointF(float(x0), float(y0)), QtCore.QPointF(float(x1), float(y1))).normalized())
        draw_scale_bar(painter, v, x=16, y=self.height() - 16)
        painter.end()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        w, h = max(self.width(), 1), max(self.height(), 1)
        if self.view is None:
            bounds = self.workspace.full_bounds()
            if bounds is not None:
                self.view = View.fit(bounds, w, h)
        else:
            self.view = View(self.view.cx, self.view.cy, self.view.m_per_px, w, h)
        self._cache = None
        super().resizeEvent(event)

    # -- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self.view is not None:
            self._press = event.position()
            self._press_view = self.view
            self._dragging = False
            x, y = self.view.to_map(self._press.x(), self._press.y())
            self._tool_drag = bool(self.tool is not None and self.tool.press(x, y, event.modifiers()))

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        if self.view is None:
            return
        pos = event.position()
        mx, my = self.view.to_map(pos.x(), pos.y())
        self.cursorMoved.emit(mx, my)
        if self._press is not None:
            d = pos - self._press
            if self._dragging or abs(d.x()) + abs(d.y()) > CLICK_TOLERANCE_PX:
                self._dragging = True
                if self._tool_drag:
                    self.tool.move(mx, my)
                    return
                pv = self._press_view
                self.view = View(pv.cx - d.x() * pv.m_per_px, pv.cy + d.y() * pv.m_per_px, pv.m_per_px, pv.width, pv.height)
                self.viewChanged.emit()
                self.update()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        if self._press is None or self.view is None:
            return
        pos = event.position()
        x, y = self.view.to_map(pos.x(), pos.y())
        if self._tool_drag:
            self.tool.release(x, y)
        elif self._dragging:
            self._settle.start()
        elif self.tool is not None:
            self.tool.click(x, y, event.modifiers())
        else:
            self.clicked.emit(x, y)
        self._dragging = False
        self._tool_drag = False
        self._press = None

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP ** steps, anchor=event.position())

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        if event.key() in (QtCore.Qt.Key.Key_Plus, QtCore.Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif event.key() == QtCore.Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif event.key() in (QtCore.Qt.Key.Key_Delete, QtCore.Qt.Key.Key_Backspace):
            self.deleteRequested.emit()
        else:
            super().keyPressEvent(event)
