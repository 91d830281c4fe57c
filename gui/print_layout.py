"""Print-ready maps: PDF and PNG pages (A4/A3, portrait/landscape, any DPI) and a per-township atlas.

A page holds a title, the map (drawn by the same :class:`gui.render.MapRenderer` as the screen), a legend,
a scale bar, a north arrow, township labels, the data sources and the date. PDFs embed the CJK font
subset Qt uses (CID TrueType), so Chinese text survives on any machine.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from PySide6 import QtCore, QtGui

from layers.classes import registry
from projects.outputs import atomic_write
from projects.workspace import Workspace

from .app import report_font
from .i18n import tr
from .render import MapRenderer, View, draw_scale_bar, draw_swatch, legend_entries, legend_title, ui_font

PAGE_SIZES = {"A4": QtGui.QPageSize.PageSizeId.A4, "A3": QtGui.QPageSize.PageSizeId.A3}
SCREEN_DPI = 96.0


@dataclass(frozen=True)
class Page:
    size: str = "A4"
    landscape: bool = True
    dpi: int = 200

    def __post_init__(self) -> None:
        if self.size not in PAGE_SIZES:
            raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}")
        if not 50 <= self.dpi <= 1200:
            raise ValueError("dpi must be between 50 and 1200")

    def qpage(self) -> QtGui.QPageSize:
        return QtGui.QPageSize(PAGE_SIZES[self.size])

    def pixel_size(self) -> tuple[int, int]:
        mm = self.qpage().size(QtGui.QPageSize.Unit.Millimeter)
        w, h = mm.width(), mm.height()
        if self.landscape:
            w, h = h, w
        return round(w / 25.4 * self.dpi), round(h / 25.4 * self.dpi)


@dataclass(frozen=True)
class Layout:
    """The print layout's choices besides paper and DPI (the 打印布局 dialog, ``carecircle export``)."""

    #: the thematic title (None: built from the analysis, see :func:`thematic_title`)
    title: str | None = None
    #: 制图单位, the mapping organisation (empty: not printed)
    org: str = ""
    #: 制图时间 (None: today)
    date: _dt.date | None = None
    #: an inset of the main town at a larger scale on county maps
    inset: bool = True
    #: "第 i 页 / 共 n 页" in the footer
    page_numbers: bool = False
    #: the atlas starts with a county summary page (county map, county table with its 合计 row, county targets)
    summary_page: bool = True

    def date_text(self) -> str:
        d = self.date or _dt.date.today()
        return tr("print.date_value", y=d.year, m=d.month, d=d.day)


@dataclass(frozen=True)
class MapSheet:
    """What one page shows."""

    title: str
    subtitle: str = ""
    extent: tuple[float, float, float, float] | None = None
    highlight: object = None
    table: pd.DataFrame | None = None  # a small figures table under the map (atlas pages)
    targets: pd.DataFrame | None = None  # the plan's targets for this page's unit (atlas pages), under the figures
    #: a table beside the map, under the legend (county maps: each township and the county total, 合计)
    side_table: pd.DataFrame | None = None
    #: the extent of an inset map (main town at a larger scale) and its caption
    inset: tuple[float, float, float, float] | None = None
    inset_label: str = ""
    #: footer: 制图单位, 制图时间, the data sources and the page label
    org: str = ""
    date_text: str = ""
    sources: str | None = None
    page_label: str = ""


#: road files read as OpenStreetMap data (see layers.roads)
_OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")
#: the layers a source note names, in its order
_SOURCE_KINDS = ("roads", "townships", "population", "communities", "facilities", "basemap")


def is_osm_source(path: object) -> bool:
    """Whether a layer was read from an OpenStreetMap file."""
    return path is not None and str(path).lower().replace("\\", "/").endswith(_OSM_SUFFIXES)


def is_sample(workspace: Workspace, sources: dict | None = None) -> bool:
    """The bundled sample county (its title says 示例数据, or its files are the sample's)."""
    from projects.inputs import SAMPLE_DIR

    if "示例数据" in (workspace.title or ""):
        return True
    paths = [lyr.source for lyr in workspace.layers if lyr.source is not None] + list((sources or {}).values())
    sample = Path(SAMPLE_DIR).resolve()
    for p in paths:
        try:
            if Path(p).resolve().is_relative_to(sample):
                return True
        except (OSError, ValueError):
            continue
    return False


def sources_line(workspace: Workspace, sources: dict | None = None) -> str:
    """The data-source note of a printed map: the sources by name (OpenStreetMap only when the roads came
    from an OpenStreetMap file; the sample says it is sample data), never a file name."""
    if is_sample(workspace, sources):
        return tr("print.sources_sample")
    src: dict[str, object] = {lyr.kind: lyr.source for lyr in workspace.layers if lyr.source is not None}
    src.update({k: v for k, v in (sources or {}).items() if v})
    present = [k for k in _SOURCE_KINDS if workspace.layer(k) is not None or k in src]
    parts, others = [], []
    for kind in present:
        if kind == "roads" and is_osm_source(src.get("roads")):
            parts.append(tr("print.source_osm"))
        else:
            others.append(tr(f"print.source_kind.{kind}"))
    if others:
        parts.append(tr("print.source_project", layers="、".join(dict.fromkeys(others))))
    return tr("print.sources", parts="；".join(parts))


def area_name(result) -> str:
    """The county's name without a bracketed note (如皋市（示例数据） -> 如皋市)."""
    name = str(result.params.area_name or "").strip()
    for bracket in ("（", "("):
        name = name.split(bracket)[0].strip()
    return name


def is_plan_scenario(result) -> bool:
    """A run that counts planned facilities (a plan scenario: 规划图) rather than the baseline (现状图)."""
    return "planned" in tuple(result.params.statuses)


def thematic_title(result, *, display_type: str, unit: str | None = None) -> str:
    """e.g. 如皋市日间照料中心15分钟服务圈覆盖现状图 (规划图 for a plan scenario); ``unit``: a township's name
    instead of the county's (atlas pages)."""
    return tr("print.title", area=unit or area_name(result), cls=tr(f"type.{display_type}"),
              m=max(result.params.minutes), kind=tr("print.kind_plan" if is_plan_scenario(result) else "print.kind_baseline"))


def county_table(coverage: pd.DataFrame, display_type: str, *, total_label: str | None = None) -> pd.DataFrame:
    """Each township's figures for one class and the county total (合计, or ``total_label`` such as 全市合计)
    last, for the side of a county map."""
    from spatial.analysis import TOTAL_ROW

    rows = coverage[coverage["type"] == display_type]
    rows = pd.concat([rows[rows["township"] != TOTAL_ROW], rows[rows["township"] == TOTAL_ROW]])
    return pd.DataFrame({
        tr("col.township"): [total_label if t == TOTAL_ROW and total_label else str(t) for t in rows["township"]],
        tr("col.elderly"): [f"{v:,.0f}" if v == v else "—" for v in rows["elderly"]],
        tr("col.elderly_covered"): [f"{v:,.0f}" if v == v else "—" for v in rows["elderly_covered"]],
        tr("col.covered_share"): [f"{v:.1%}" if v == v else "—" for v in rows["covered_share"]],
    })


def main_town(workspace: Workspace, *, display_type: str | None = None) -> tuple[str, shapely.Geometry] | None:
    """The main town for an inset: the street (街道) with the most elderly, else the densest township."""
    towns = workspace.layer("townships")
    if towns is None or towns.frame is None or not len(towns.frame):
        return None
    frame = towns.frame
    elderly = None
    if "elderly" in frame:
        elderly = pd.to_numeric(frame["elderly"], errors="coerce").to_numpy(dtype=float)
    elif workspace.result is not None:
        cov = workspace.coverage_table()
        by = cov.drop_duplicates("township").set_index("township")["elderly"]
        elderly = np.array([float(by.get(n, np.nan)) for n in frame["name"]])
    if elderly is None or not np.isfinite(elderly).any():
        return None
    names = [str(n) for n in frame["name"]]
    streets = [i for i, n in enumerate(names) if n.endswith("街道") and np.isfinite(elderly[i])]
    if streets:
        i = max(streets, key=lambda j: elderly[j])
    else:
        dens = elderly / np.maximum(shapely.area(frame.geometry.to_numpy()), 1.0)
        i = int(np.nanargmax(dens))
    return names[i], frame.geometry.iloc[i]


def _pad(bounds, frac: float) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    pad = frac * max(maxx - minx, maxy - miny)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


# ----------------------------------------------------------------------------------------- layout


def _pt(pt: float, dpi: float) -> float:
    """Points to device pixels."""
    return pt * dpi / 72.0


def _wrapped_height(fm: QtGui.QFontMetricsF, width: float, text: str) -> float:
    flags = int(QtCore.Qt.TextFlag.TextWordWrap) | int(QtCore.Qt.AlignmentFlag.AlignLeft)
    return fm.boundingRect(QtCore.QRectF(0, 0, width, 1e7), flags, text).height()


def _fitting_font(base: QtGui.QFont, pt: float, dpi: float, *, width: float, text: str, min_pt: float, bold: bool = False) -> QtGui.QFont:
    """The largest font from ``pt`` down to ``min_pt`` in which ``text`` fits on one line of ``width``."""
    while True:
        f = ui_font(base, _pt(pt, dpi), bold=bold)
        if QtGui.QFontMetricsF(f).horizontalAdvance(text) <= width or pt <= min_pt:
            return f
        pt = max(min_pt, pt * 0.92)


def paint_sheet(painter: QtGui.QPainter, rect: QtCore.QRectF, workspace: Workspace, sheet: MapSheet, *,
                renderer: MapRenderer, dpi: float, minutes: tuple[float, ...], background: bool = True) -> None:
    """Lay out one page inside ``rect`` (device pixels). Every block is measured with the metrics of the font
    it is drawn in (fonts sized in device pixels, so any device measures what it draws), long lines wrap,
    and blocks shrink before anything would leave the page."""
    s = dpi / SCREEN_DPI  # device pixels per screen pixel
    page_in = (rect.width() / dpi, rect.height() / dpi)
    k = max(1.0, min(1.41, math.sqrt(page_in[0] * page_in[1] / (8.27 * 11.69))))  # type grows a little on A3
    margin = 10 / 25.4 * dpi
    inner = rect.adjusted(margin, margin, -margin, -margin)
    gap = 3 / 25.4 * dpi
    painter.save()
    if background:  # off when measuring what is drawn (the white page would cover everything)
        painter.fillRect(rect, QtGui.QColor("#ffffff"))
    base = QtGui.QFont(painter.font())
    left_top = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop
    wrap = int(QtCore.Qt.TextFlag.TextWordWrap) | int(left_top)
    # -- title: one line, shrunk to the width (wrapped only below 11 pt)
    tf = _fitting_font(base, 18 * k, dpi, width=inner.width(), text=sheet.title, min_pt=11, bold=True)
    tm = QtGui.QFontMetricsF(tf)
    title_h = _wrapped_height(tm, inner.width(), sheet.title)
    painter.setFont(tf)
    painter.setPen(QtGui.QColor("#111111"))
    painter.drawText(QtCore.QRectF(inner.left(), inner.top(), inner.width(), title_h), wrap, sheet.title)
    top = inner.top() + title_h + 0.25 * tm.height()
    # -- subtitle: wrapped; its box is the measured height, so descenders are never cut
    if sheet.subtitle:
        sf = ui_font(base, _pt(9.5 * k, dpi))
        sm = QtGui.QFontMetricsF(sf)
        sub_h = _wrapped_height(sm, inner.width(), sheet.subtitle)
        painter.setFont(sf)
        painter.setPen(QtGui.QColor("#444444"))
        painter.drawText(QtCore.QRectF(inner.left(), top, inner.width(), sub_h + sm.descent()), wrap, sheet.subtitle)
        top += sub_h + 0.5 * sm.height()
    # -- footer: 制图单位 / 制图时间 and the page label on one line, the sources wrapped below; shrunk until it
    #    takes at most a sixth of the page
    sources = sheet.sources if sheet.sources is not None else sources_line(workspace)
    credit = "　　".join(x for x in (tr("print.org_line", org=sheet.org) if sheet.org else "",
                                     tr("print.date_line", date=sheet.date_text) if sheet.date_text else "") if x)
    fpt = 8.0 * k
    while True:
        ff = ui_font(base, _pt(fpt, dpi))
        fm = QtGui.QFontMetricsF(ff)
        page_w = fm.horizontalAdvance(sheet.page_label) + 4 * fm.averageCharWidth() if sheet.page_label else 0.0
        credit_h = _wrapped_height(fm, max(inner.width() - page_w, inner.width() * 0.5), credit) if credit else (fm.height() if sheet.page_label else 0.0)
        src_h = _wrapped_height(fm, inner.width(), sources) if sources else 0.0
        footer_h = credit_h + src_h + 0.4 * fm.height() + fm.descent()
        if footer_h <= (inner.bottom() - top) / 6 or fpt <= 4.5:
            break
        fpt *= 0.9
    footer_top = inner.bottom() - footer_h
    # -- tables under the map (atlas): at most 45 % of what is left; the font shrinks, then rows are cut
    tables = [t for t in (sheet.table, sheet.targets) if t is not None and len(t)]
    avail = footer_top - top
    legend_w0 = min(66 / 25.4 * dpi, inner.width() * 0.3)
    table_blocks = _fit_tables(tables, base, dpi, width=inner.width(), max_h=0.42 * avail, k=k, gap=2 * gap)
    # tables no wider than the map when that costs little type: the legend then runs down beside them
    narrow = _fit_tables(tables, base, dpi, width=inner.width() - legend_w0 - gap, max_h=0.42 * avail, k=k, gap=2 * gap)
    long_legend = bool(narrow) and len(narrow) == len(table_blocks) and \
        narrow[0][1].pixelSize() >= 0.88 * table_blocks[0][1].pixelSize() and \
        all(len(a[0]) == len(b[0]) for a, b in zip(narrow, table_blocks)) and \
        max(b[2].bottom() for b in narrow) <= 1.05 * max(b[2].bottom() for b in table_blocks)  # and no taller
    wide_blocks = table_blocks
    if long_legend:
        table_blocks = narrow
    tables_h = max((b[2].bottom() for b in table_blocks), default=-gap) + gap
    map_bottom = footer_top - gap - tables_h
    legend_w = legend_w0
    split = side_split(workspace, sheet, renderer.display_type, minutes, base=base, dpi=dpi, k=k, s=s,
                       height=(footer_top - gap if long_legend else map_bottom) - top)
    if split and legend_w + split + 8 * s <= inner.width() * 0.5:
        legend_w += split + 8 * s  # the side table in a column of its own beside the legend
        if long_legend:  # the tables under the map span the page again; the side column stops at the map
            long_legend, table_blocks = False, wide_blocks
            tables_h = max((b[2].bottom() for b in table_blocks), default=-gap) + gap
            map_bottom = footer_top - gap - tables_h
    else:
        split = 0.0
    map_rect = QtCore.QRectF(inner.left(), top, inner.width() - legend_w - gap, max(map_bottom - top, 10 * s))
    # -- the map itself
    extent = sheet.extent or workspace.full_bounds()
    view = View.fit(extent, int(map_rect.width()), int(map_rect.height()), margin=0.03)
    if sheet.inset is not None:
        view = _room_for_inset(view, extent, pad=8 * s)
    mf = ui_font(base, _pt(8 * k, dpi))
    painter.save()
    painter.translate(map_rect.topLeft())
    painter.setClipRect(QtCore.QRectF(0, 0, map_rect.width(), map_rect.height()))
    painter.fillRect(QtCore.QRectF(0, 0, map_rect.width(), map_rect.height()), QtGui.QColor("#f4f3ef"))
    painter.setFont(mf)
    renderer.px = s
    renderer.render(painter, view, workspace, highlight=sheet.highlight)
    if sheet.inset is not None:
        _draw_inset(painter, view, workspace, sheet, renderer=renderer, font=mf, s=s)
    painter.setFont(mf)
    draw_scale_bar(painter, view, x=12 * s, y=map_rect.height() - 12 * s, scale=s)
    _north_arrow(painter, QtCore.QPointF(map_rect.width() - 22 * s, 14 * s), s)
    painter.restore()
    painter.setPen(QtGui.QPen(QtGui.QColor("#333333"), 1.0 * s))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(map_rect)
    # -- legend and the side table, beside the map
    side = QtCore.QRectF(map_rect.right() + gap, map_rect.top(), legend_w,
                         (footer_top - gap if long_legend and table_blocks else map_rect.bottom()) - map_rect.top())
    _side_column(painter, side, workspace, sheet, renderer.display_type, minutes, base=base, dpi=dpi, k=k, s=s, split=split)
    # -- tables under the map
    for frame, font, box in table_blocks:
        _table(painter, box.translated(inner.left(), map_rect.bottom() + gap), frame, font, s)
    # -- footer
    painter.setFont(ff)
    painter.setPen(QtGui.QColor("#333333"))
    if credit:
        painter.drawText(QtCore.QRectF(inner.left(), footer_top, max(inner.width() - page_w, inner.width() * 0.5), credit_h + fm.descent()), wrap, credit)
    if sheet.page_label:
        painter.drawText(QtCore.QRectF(inner.right() - page_w, footer_top, page_w, fm.height()),
                         QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignTop, sheet.page_label)
    if sources:
        painter.setPen(QtGui.QColor("#555555"))
        painter.drawText(QtCore.QRectF(inner.left(), footer_top + credit_h + 0.2 * fm.height(), inner.width(), src_h + fm.descent()), wrap, sources)
    painter.restore()
    renderer.px = 1.0


def _room_for_inset(view: View, extent, *, pad: float) -> View:
    """The map moved to one side of its frame (left, or top when the free room is below) so the free room
    is in one strip where the inset goes."""
    (x0, x1), (y1, y0) = view.to_screen(np.array([extent[0], extent[2]]), np.array([extent[1], extent[3]]))
    free_x = view.width - (x1 - x0)
    free_y = view.height - (y1 - y0)
    if free_x >= free_y and free_x > 0.15 * view.width:
        return replace(view, cx=view.cx + (float(x0) - pad) * view.m_per_px)
    if free_y > 0.15 * view.height:
        return replace(view, cy=view.cy - (float(y0) - pad) * view.m_per_px)
    return view


def _draw_inset(painter, view: View, workspace: Workspace, sheet: MapSheet, *, renderer: MapRenderer, font, s: float):
    """The main town at a larger scale in the map's emptiest corner (the north arrow and the scale bar keep
    theirs), as large as the free strip beside the county allows; its extent outlined on the main map."""
    minx, miny, maxx, maxy = sheet.inset
    aspect = (maxx - minx) / max(maxy - miny, 1.0)
    pad = 8 * s
    fm = QtGui.QFontMetricsF(font)
    cap_h = fm.height() * 1.2
    full = workspace.full_bounds()
    (fx0, fx1), (fy1, fy0) = view.to_screen(np.array([full[0], full[2]]), np.array([full[1], full[3]]))
    free_w = view.width - float(fx1) - 2 * pad  # the strip right of the county
    free_h = view.height - float(fy1) - 2 * pad - cap_h  # the strip below it
    if free_w >= free_h:  # the strip is on the right: as wide as it, at most 45 % of the map's height
        w_max, h_max = min(max(free_w, view.width * 0.3), view.width * 0.45), view.height * 0.45
    else:  # the strip is below: as tall as it, at most 60 % of the map's width
        w_max, h_max = view.width * 0.6, min(max(free_h, view.height * 0.25), view.height * 0.45)
    w = min(w_max, h_max * aspect)
    h = w / aspect
    towns = workspace.layer("townships")
    county = shapely.union_all(towns.frame.geometry.to_numpy()) if towns is not None and towns.frame is not None else None
    arrow, bar = 48 * s, 40 * s  # the north arrow (top right) and the scale bar (bottom left) keep their corners
    candidates = [QtCore.QRectF(pad, pad + cap_h, w, h), QtCore.QRectF(view.width - pad - w, view.height - pad - h, w, h),
                  QtCore.QRectF(view.width - pad - w, pad + arrow + cap_h, w, h), QtCore.QRectF(pad, view.height - pad - bar - h, w, h)]

    def overlap(r: QtCore.QRectF) -> float:
        if county is None:
            return 0.0
        x0, y0 = view.to_map(r.left(), r.bottom())
        x1, y1 = view.to_map(r.right(), r.top() - cap_h)
        return float(shapely.area(shapely.intersection(shapely.box(x0, y0, x1, y1), county)))

    box = min(candidates, key=overlap)
    # the inset's extent on the main map
    (ex0, ex1), (ey1, ey0) = view.to_screen(np.array([minx, maxx]), np.array([miny, maxy]))
    pen = QtGui.QPen(QtGui.QColor("#b2182b"), 1.6 * s)
    painter.setPen(pen)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(QtCore.QRectF(float(ex0), float(ey0), float(ex1 - ex0), float(ey1 - ey0)))
    # the inset itself
    painter.save()
    frame_rect = box.adjusted(0, -cap_h, 0, 0)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor("#ffffff"))
    painter.drawRect(frame_rect)
    painter.translate(box.topLeft())
    painter.setClipRect(QtCore.QRectF(0, 0, box.width(), box.height()))
    painter.fillRect(QtCore.QRectF(0, 0, box.width(), box.height()), QtGui.QColor("#f4f3ef"))
    inset_view = View.fit(sheet.inset, int(box.width()), int(box.height()), margin=0.0)
    renderer.render(painter, inset_view, workspace)
    painter.setFont(font)
    draw_scale_bar(painter, inset_view, x=8 * s, y=box.height() - 8 * s, target_px=60.0, scale=s)
    painter.restore()
    painter.setFont(font)
    painter.setPen(QtGui.QColor("#111111"))
    painter.drawText(QtCore.QRectF(box.left() + 3 * s, box.top() - cap_h, box.width() - 6 * s, cap_h),
                     QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
                     fm.elidedText(sheet.inset_label, QtCore.Qt.TextElideMode.ElideRight, box.width() - 6 * s))
    painter.setPen(QtGui.QPen(QtGui.QColor("#b2182b"), 1.6 * s))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(frame_rect)
    return frame_rect


def _north_arrow(painter: QtGui.QPainter, tip: QtCore.QPointF, s: float) -> None:
    painter.save()
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    w, h = 9 * s, 24 * s
    left = QtGui.QPolygonF([tip, QtCore.QPointF(tip.x() - w, tip.y() + h), QtCore.QPointF(tip.x(), tip.y() + h * 0.72)])
    right = QtGui.QPolygonF([tip, QtCore.QPointF(tip.x() + w, tip.y() + h), QtCore.QPointF(tip.x(), tip.y() + h * 0.72)])
    painter.setPen(QtGui.QPen(QtGui.QColor("#000000"), 1.0 * s))
    painter.setBrush(QtGui.QColor("#000000"))
    painter.drawPolygon(left)
    painter.setBrush(QtGui.QColor("#ffffff"))
    painter.drawPolygon(right)
    f = QtGui.QFont(painter.font())
    f.setBold(True)
    painter.setFont(f)
    fm = QtGui.QFontMetricsF(f)
    painter.drawText(QtCore.QRectF(tip.x() - 16 * s, tip.y() + h + 1 * s, 32 * s, fm.height()), QtCore.Qt.AlignmentFlag.AlignHCenter, "北 N")
    painter.restore()


def _legend_blocks(workspace: Workspace, display_type: str, minutes) -> list[tuple[str, list]]:
    out = []
    for lyr in reversed(workspace.layers):
        if not lyr.visible or lyr.opacity <= 0:
            continue
        entries = legend_entries(lyr.kind, display_type=display_type, minutes=minutes, opacity=lyr.opacity)
        if entries:
            out.append((legend_title(lyr.kind, display_type=display_type), entries))
    return out


def _legend_line(font: QtGui.QFont, s: float, pt: float) -> float:
    return max(QtGui.QFontMetricsF(font).height() * 1.18, 12 * s * pt / 8.0)


def _legend_height(blocks, font: QtGui.QFont, s: float, pt: float) -> float:
    line = _legend_line(font, s, pt)
    return line * (1 + sum(1 + len(e) for _, e in blocks)) + 0.3 * line * len(blocks)


def side_split(workspace: Workspace, sheet: MapSheet, display_type: str, minutes, *, base: QtGui.QFont, dpi: float, k: float,
               s: float, height: float) -> float:
    """The width the side table needs beside the legend when both do not fit one column of ``height`` at
    their normal size (0: one column)."""
    frame = sheet.side_table if sheet.side_table is not None and len(sheet.side_table) else None
    if frame is None:
        return 0.0
    blocks = _legend_blocks(workspace, display_type, minutes)
    font = ui_font(base, _pt(8.0 * k, dpi))
    tfont = ui_font(base, _pt(7.6 * k, dpi))
    need = _legend_height(blocks, font, s, 8.0 * k) + _legend_line(font, s, 8.0 * k) * 1.3 + _table_height(frame, tfont)
    if need <= height:
        return 0.0
    return float(_natural_widths(frame, tfont).sum())


def _side_column(painter, rect: QtCore.QRectF, workspace: Workspace, sheet: MapSheet, display_type: str, minutes, *,
                 base: QtGui.QFont, dpi: float, k: float, s: float, split: float = 0.0) -> None:
    """The legend (every visible layer, swatches at the map's opacity), then the side table under it, or
    beside it in its own column of width ``split``; each shrinks until it fits its height."""
    blocks = _legend_blocks(workspace, display_type, minutes)
    frame = sheet.side_table if sheet.side_table is not None and len(sheet.side_table) else None
    legend_rect, table_rect = QtCore.QRectF(rect), None
    if frame is not None and split > 0:
        legend_rect = QtCore.QRectF(rect.left(), rect.top(), rect.width() - split - 8 * s, rect.height())
        table_rect = QtCore.QRectF(rect.right() - split, rect.top(), split, rect.height())
    pt = 8.0 * k
    while True:
        font = ui_font(base, _pt(pt, dpi))
        line = _legend_line(font, s, pt)
        table_font = ui_font(base, _pt(pt * 0.95, dpi))
        legend_h = _legend_height(blocks, font, s, pt)
        table_h = _table_height(frame, table_font) + line * 1.3 if frame is not None else 0.0
        fits = legend_h + (table_h if table_rect is None else 0.0) <= legend_rect.height()
        if table_rect is not None:
            tw = float(_natural_widths(frame, table_font).sum())
            fits = fits and table_h <= table_rect.height() and tw <= table_rect.width() + 0.5
        if fits or pt <= 4.0:
            break
        pt *= 0.93
    painter.save()
    hf = QtGui.QFont(font)
    hf.setBold(True)
    hm = QtGui.QFontMetricsF(hf)
    fm = QtGui.QFontMetricsF(font)
    painter.setFont(hf)
    painter.setPen(QtGui.QColor("#111111"))
    rect_l = legend_rect
    painter.drawText(QtCore.QRectF(rect_l.left(), rect_l.top(), rect_l.width(), line), QtCore.Qt.AlignmentFlag.AlignVCenter, tr("print.legend"))
    y = rect_l.top() + line
    sw = 20 * s * min(1.0, pt / 8.0)
    for title, entries in blocks:
        if y + line > rect_l.bottom():
            break
        painter.setFont(hf)
        painter.setPen(QtGui.QColor("#111111"))
        painter.drawText(QtCore.QRectF(rect_l.left(), y, rect_l.width(), line), QtCore.Qt.AlignmentFlag.AlignVCenter,
                         hm.elidedText(title, QtCore.Qt.TextElideMode.ElideRight, rect_l.width()))
        y += line
        painter.setFont(font)
        for text, swatch in entries:
            if y + line > rect_l.bottom():
                break
            draw_swatch(painter, QtCore.QRectF(rect_l.left() + 2 * s, y, sw, line), swatch, scale=s * min(1.0, pt / 8.0))
            painter.setPen(QtGui.QColor("#222222"))
            tx = rect_l.left() + sw + 6 * s
            painter.drawText(QtCore.QRectF(tx, y, rect_l.right() - tx, line), QtCore.Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, rect_l.right() - tx))
            y += line
        y += line * 0.3
    if frame is not None:
        if table_rect is not None:
            y, area = table_rect.top(), table_rect
        else:
            y, area = y + line * 0.3, rect
        if y + line + _table_height(frame, table_font) <= area.bottom() + 0.5:
            painter.setFont(hf)
            painter.setPen(QtGui.QColor("#111111"))
            caption = tr("print.county_table", cls=tr(f"type.{display_type}"))
            painter.drawText(QtCore.QRectF(area.left(), y, area.width(), line), QtCore.Qt.AlignmentFlag.AlignVCenter,
                             hm.elidedText(caption, QtCore.Qt.TextElideMode.ElideRight, area.width()))
            y += line
            _table(painter, QtCore.QRectF(area.left(), y, area.width(), _table_height(frame, table_font)), frame, table_font, s)
    painter.restore()


#: last-column texts of atlas tables that are no shortfall (met, a balance view, no figure)
_NOT_FLAGGED = ("✔", "?", "平衡", "balance")


def _row_h(font: QtGui.QFont) -> float:
    return QtGui.QFontMetricsF(font).height() * 1.45


def _table_height(frame: pd.DataFrame | None, font: QtGui.QFont) -> float:
    return 0.0 if frame is None else _row_h(font) * (len(frame) + 1)


def _natural_widths(frame: pd.DataFrame, font: QtGui.QFont) -> np.ndarray:
    bold = QtGui.QFont(font)
    bold.setBold(True)  # total rows are bold: measure every cell as the widest it is drawn
    fm = QtGui.QFontMetricsF(bold)
    pad = fm.averageCharWidth() * 1.6
    return np.array([max(fm.horizontalAdvance(str(c)), *(fm.horizontalAdvance(str(v)) for v in frame[c])) + pad for c in frame.columns])


def _fit_tables(tables: list[pd.DataFrame], base: QtGui.QFont, dpi: float, *, width: float, max_h: float, k: float,
                gap: float) -> list[tuple[pd.DataFrame, QtGui.QFont, QtCore.QRectF]]:
    """Where each table under the map goes (``QRectF`` relative to the tables' top-left corner), side by side
    when their natural widths fit the page's width, else stacked; the font shrinks until they fit ``max_h``
    and the width; stacked tables past the smallest font have rows cut with a note of how many."""
    if not tables:
        return []
    pt = 8.5 * k
    while True:
        font = ui_font(base, _pt(pt, dpi))
        nat = [float(_natural_widths(t, font).sum()) for t in tables]
        heights = [_table_height(t, font) for t in tables]
        beside = sum(nat) + gap * (len(tables) - 1) <= width
        total = max(heights) if beside else sum(heights) + gap * (len(tables) - 1)
        if (total <= max_h and max(nat) <= width) or pt <= 4.5:
            break
        pt *= 0.92
    out = []
    if beside and total <= max_h:
        x = 0.0
        for t, w, h in zip(tables, nat, heights):
            out.append((t, font, QtCore.QRectF(x, 0.0, w, h)))
            x += w + gap
        return out
    y, budget = 0.0, max_h
    for t in tables:
        h = _table_height(t, font)
        if h > budget:
            keep = max(int(budget / _row_h(font)) - 2, 0)
            t = pd.concat([t.iloc[:keep], pd.DataFrame([[tr("print.rows_cut", n=len(t) - keep)] + [""] * (len(t.columns) - 1)],
                                                       columns=t.columns)])
            h = _table_height(t, font)
        if h > budget:
            break
        out.append((t, font, QtCore.QRectF(0.0, y, width, h)))
        y += h + gap
        budget -= h + gap
    return out


def _table(painter, rect, frame: pd.DataFrame, font: QtGui.QFont, s) -> None:
    """A table of text cells: columns as wide as their widest cell, shrunk to ``rect``'s width with cells
    elided (never drawn past the table)."""
    painter.save()
    painter.setFont(font)
    fm = QtGui.QFontMetricsF(font)
    row_h = _row_h(font)
    cols = list(frame.columns)
    widths = _natural_widths(frame, font)
    widths = widths * min(1.0, rect.width() / widths.sum())
    numeric = [all(_numeric(str(v)) for v in frame[c]) and len(frame) > 0 for c in cols]
    pad = fm.averageCharWidth() * 0.6
    x0 = rect.left()
    for r in range(len(frame) + 1):
        y = rect.top() + r * row_h
        total = r > 0 and str(frame.iloc[r - 1][cols[0]]).endswith(("合计", "Total"))
        if r == 0:
            painter.fillRect(QtCore.QRectF(x0, y, widths.sum(), row_h), QtGui.QColor("#e8e8e8"))
        elif total:
            painter.fillRect(QtCore.QRectF(x0, y, widths.sum(), row_h), QtGui.QColor("#f3f3f3"))
        f = QtGui.QFont(font)
        f.setBold(total)
        painter.setFont(f)
        x = x0
        for c, w, num in zip(cols, widths, numeric):
            text = str(c) if r == 0 else str(frame.iloc[r - 1][c])
            flagged = r > 0 and c == cols[-1] and text.strip() not in ("", "—") and not text.startswith(_NOT_FLAGGED) and not num
            painter.setPen(QtGui.QColor("#b2182b") if flagged else QtGui.QColor("#111111"))
            align = (QtCore.Qt.AlignmentFlag.AlignRight if num and r > 0 else QtCore.Qt.AlignmentFlag.AlignLeft) | QtCore.Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QtCore.QRectF(x + pad, y, max(w - 2 * pad, 1.0), row_h), align,
                             fm.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, max(w - 2 * pad, 1.0)))
            x += w
        painter.setPen(QtGui.QPen(QtGui.QColor("#999999"), 0.6 * s))
        painter.drawLine(QtCore.QPointF(x0, y + row_h), QtCore.QPointF(x0 + widths.sum(), y + row_h))
    painter.restore()


def _numeric(text: str) -> bool:
    t = text.replace(",", "").replace("%", "").strip()
    if t in ("—", ""):
        return True
    try:
        float(t)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------------------- writers


def write_pdf(path: Path, workspace: Workspace, sheets: list[MapSheet], *, page: Page, renderer: MapRenderer,
              minutes: tuple[float, ...]) -> Path:
    """One PDF page per sheet."""

    def write(tmp: Path) -> None:
        writer = QtGui.QPdfWriter(str(tmp))
        writer.setPageSize(page.qpage())
        writer.setPageOrientation(QtGui.QPageLayout.Orientation.Landscape if page.landscape else QtGui.QPageLayout.Orientation.Portrait)
        writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
        writer.setResolution(page.dpi)
        writer.setTitle(sheets[0].title if sheets else "CareCircle")
        writer.setCreator("CareCircle")
        painter = QtGui.QPainter(writer)
        try:
            painter.setFont(report_font())
            for i, sheet in enumerate(sheets):
                if i:
                    writer.newPage()
                rect = QtCore.QRectF(0, 0, writer.width(), writer.height())
                paint_sheet(painter, rect, workspace, sheet, renderer=renderer, dpi=page.dpi, minutes=minutes)
        finally:
            painter.end()

    return atomic_write(path, write)


def render_png(workspace: Workspace, sheet: MapSheet, *, page: Page, renderer: MapRenderer, minutes: tuple[float, ...]) -> QtGui.QImage:
    w, h = page.pixel_size()
    img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32)
    dpm = round(page.dpi / 0.0254)
    img.setDotsPerMeterX(dpm)
    img.setDotsPerMeterY(dpm)
    img.fill(QtGui.QColor("#ffffff"))
    painter = QtGui.QPainter(img)
    try:
        painter.setFont(report_font())
        paint_sheet(painter, QtCore.QRectF(0, 0, w, h), workspace, sheet, renderer=renderer, dpi=page.dpi, minutes=minutes)
    finally:
        painter.end()
    return img


def render_picture(workspace: Workspace, sheet: MapSheet, *, page: Page, renderer: MapRenderer,
                   minutes: tuple[float, ...]) -> tuple[QtGui.QPicture, QtCore.QRectF]:
    """The page's content recorded as drawing commands, without the white page (so its ``boundingRect()``
    is what was drawn), and the page's rect."""
    w, h = page.pixel_size()
    pic = QtGui.QPicture()
    painter = QtGui.QPainter(pic)
    try:
        painter.setFont(report_font())
        paint_sheet(painter, QtCore.QRectF(0, 0, w, h), workspace, sheet, renderer=renderer, dpi=page.dpi, minutes=minutes,
                    background=False)
    finally:
        painter.end()
    return pic, QtCore.QRectF(0, 0, w, h)


def write_png(path: Path, workspace: Workspace, sheet: MapSheet, *, page: Page, renderer: MapRenderer, minutes: tuple[float, ...]) -> Path:
    img = render_png(workspace, sheet, page=page, renderer=renderer, minutes=minutes)

    def write(tmp: Path) -> None:
        if not img.save(str(tmp), "PNG"):
            raise OSError(f"cannot write {path}")

    return atomic_write(path, write)


def township_table(coverage: pd.DataFrame, township: str, *, classes: tuple[str, ...] | None = None,
                   labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The figures of one township for an atlas page: one row per class (``classes``: those the report
    shows); bed columns only where a class's beds count; missed targets by their labels."""
    reg = registry()
    rows = coverage[coverage["township"] == township]
    if classes is not None:
        rows = rows[rows["type"].isin(classes)]
    beds = [reg[t].has_beds if t in reg else True for t in rows["type"]]
    labels = labels or {}
    return pd.DataFrame({
        tr("col.type"): [tr(f"type.{t}") for t in rows["type"]],
        tr("col.elderly"): [f"{v:,.0f}" for v in rows["elderly"]],
        tr("col.elderly_covered"): [f"{v:,.0f}" for v in rows["elderly_covered"]],
        tr("col.covered_share"): [f"{v:.1%}" if v == v else "—" for v in rows["covered_share"]],
        tr("col.facilities"): [str(v) for v in rows["facilities"]],
        tr("col.beds"): [str(v) if b else "—" for v, b in zip(rows["beds"], beds)],
        tr("col.beds_per_1000"): [f"{v:.1f}" if v == v and b else "—" for v, b in zip(rows["beds_per_1000"], beds)],
        tr("col.nursing_share"): [f"{v:.1%}" if v == v and b else "—" for v, b in zip(rows["nursing_share"], beds)],
        tr("col.flags"): ["；".join(labels.get(f, f) for f in str(fl).split(";") if f) or "—" for fl in rows["flags"]],
    })


def county_targets_table(result) -> pd.DataFrame:
    """The county rows of the plan's targets, in the order of ``targets.csv`` (the atlas's first page)."""
    from .targets_panel import county_figure, row_state, target_text

    profile = result.params.profile
    rows = [r for r in result.targets if r.level == "county"]
    return pd.DataFrame({
        tr("atlas.target"): [target_text(profile.target(r.target_id), profile) for r in rows],
        tr("atlas.figure"): [county_figure(profile.target(r.target_id), r) for r in rows],
        tr("atlas.result"): [tr(f"targets.{row_state(r)}") for r in rows],
    }, columns=[tr("atlas.target"), tr("atlas.figure"), tr("atlas.result")])


def township_targets_table(result, township: str) -> pd.DataFrame:
    """The plan's targets seen from one township: its own rows for township/street targets, how many of its
    communities or villages meet a community/village target, and for county bed targets its figure beside
    the county's as a balance view (never a pass/fail against the county target)."""
    from .targets_panel import format_figure, row_state, target_text

    profile, reg = result.params.profile, result.params.classes
    model = result.model
    unit_town = dict(zip(model.unit_names, (model.township_names[i] if i >= 0 else None for i in model.unit_township))) \
        if model is not None else {}
    figs = [f for f in result.figures if f.township == township]
    out = []
    for t in profile.targets:
        mine = [r for r in result.targets if r.target_id == t.id and not r.summary and r.level != "county"
                and (r.unit == township if r.level in ("township", "urban_street") else unit_town.get(r.unit) == township)]
        county = next((r for r in result.targets if r.target_id == t.id and r.level == "county"), None)
        if t.level in ("township", "urban_street") and mine:
            r = mine[0]
            figure = (tr("atlas.count", n=int(r.actual)) if t.indicator in ("present_in_every", "count_per_unit")
                      else format_figure(r.indicator, r.actual))
            out.append((target_text(t, profile), figure, tr(f"targets.{row_state(r)}")))
        elif t.level in ("urban_community", "village") and mine:
            met = sum(r.met for r in mine)
            state = "met" if met == len(mine) else "not_met"
            out.append((target_text(t, profile), tr("atlas.units", met=met, total=len(mine)), tr(f"targets.{state}")))
        elif t.indicator in ("beds_per_1000", "nursing_share") and county is not None and figs \
                and (t.scope is None or (t.scope == "urban") == bool(model is not None and model.township_urban[model.township_names.index(township)])):
            counted = set(reg.with_beds(t.beds))
            beds = sum(f.beds for f in figs if f.type in counted)
            nursing = sum(f.nursing_beds for f in figs if f.type in counted)
            elderly = figs[0].elderly
            value = (1000.0 * beds / elderly if elderly > 0 else float("nan")) if t.indicator == "beds_per_1000" \
                else (nursing / beds if beds > 0 else float("nan"))
            out.append((target_text(t, profile), tr("atlas.balance_figure", own=format_figure(t.indicator, value), unit=county.unit,
                                                      county=format_figure(t.indicator, county.actual)), tr("atlas.balance")))
    cols = [tr("atlas.target"), tr("atlas.figure"), tr("atlas.result")]
    return pd.DataFrame(out, columns=cols)


def county_sheet(workspace: Workspace, *, title: str, subtitle: str, layout: Layout = Layout(), display_type: str,
                 sources: str | None = None) -> MapSheet:
    """The county map: the whole county, the legend and beside it each township's figures for the class
    shown with the county total (合计), the main town inset when asked."""
    inset, inset_label = None, ""
    if layout.inset:
        town = main_town(workspace, display_type=display_type)
        if town is not None:
            inset, inset_label = _pad(town[1].bounds, 0.06), tr("print.inset", name=town[0])
    side = None
    if workspace.result is not None:
        from spatial.analysis import TOTAL_ROW

        side = county_table(workspace.coverage_table(), display_type, total_label=workspace.result.params.county_label + TOTAL_ROW)
    return MapSheet(title=title, subtitle=subtitle, side_table=side, inset=inset, inset_label=inset_label,
                    org=layout.org, date_text=layout.date_text(), sources=sources)


def atlas_sheets(workspace: Workspace, *, title: str, subtitle: str, layout: Layout = Layout(), display_type: str | None = None,
                 sources: str | None = None, unit_title=None) -> list[MapSheet]:
    """The county summary page when ``layout.summary_page`` (county map, the county table with its 合计 row,
    the county figures per class and the county target rows), then a sheet per township: its map (circles,
    gaps), its figures table and the targets as seen from it. ``unit_title(name)`` titles a township's page
    (default: ``title · name``); page labels when ``layout.page_numbers``."""
    from projects.report_tables import report_classes

    from .targets_panel import target_text

    display_type = display_type or registry().default
    towns = workspace.layer("townships").frame
    cov = workspace.coverage_table()
    result = workspace.result
    sheets = []
    classes, labels = None, {}
    if result is not None:
        classes = report_classes(result)
        profile = result.params.profile
        labels = {t.id: target_text(t, profile) for t in profile.targets}
        if layout.summary_page:
            county = county_sheet(workspace, title=title, subtitle=subtitle, layout=layout, display_type=display_type, sources=sources)
            sheets.append(replace(county, table=township_table(cov, "合计", classes=classes, labels=labels),
                                  targets=county_targets_table(result)))
    for name, geom in zip(towns["name"], towns.geometry):
        minx, miny, maxx, maxy = geom.bounds
        pad = 0.05 * max(maxx - minx, maxy - miny)
        sheets.append(MapSheet(title=unit_title(str(name)) if unit_title else f"{title} · {name}", subtitle=subtitle,
                               extent=(minx - pad, miny - pad, maxx + pad, maxy + pad),
                               highlight=geom, table=township_table(cov, str(name), classes=classes, labels=labels),
                               targets=township_targets_table(result, str(name)) if result is not None else None,
                               org=layout.org, date_text=layout.date_text(), sources=sources))
    if layout.page_numbers:
        n = len(sheets)
        sheets = [replace(sh, page_label=tr("print.page", i=i + 1, n=n)) for i, sh in enumerate(sheets)]
    return sheets
