"""Print-ready maps: PDF and PNG pages (A4/A3, portrait/landscape, any DPI) and a per-township atlas.

A page holds a title, the map (drawn by the same :class:`gui.render.MapRenderer` as the screen), a legend,
a scale bar, a north arrow, township labels, the data sources and the date. PDFs embed the CJK font
subset Qt uses (CID TrueType), so Chinese text survives on any machine.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6 import QtCore, QtGui

from layers.classes import registry
from projects.outputs import atomic_write
from projects.workspace import Workspace

from .app import report_font
from .i18n import tr
from .render import MapRenderer, View, draw_scale_bar, draw_swatch, legend_entries

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
class MapSheet:
    """What one page shows."""

    title: str
    subtitle: str = ""
    extent: tuple[float, float, float, float] | None = None
    highlight: object = None
    table: pd.DataFrame | None = None  # a small figures table under the map (atlas pages)
    targets: pd.DataFrame | None = None  # the plan's targets for this page's unit (atlas pages), under the figures


def sources_line(workspace: Workspace) -> str:
    names = []
    for lyr in workspace.layers:
        if lyr.source is not None:
            names.append(Path(lyr.source).name)
    data = "、".join(dict.fromkeys(names)) if names else workspace.title
    return f"数据来源: {data}；道路 © OpenStreetMap 贡献者（如使用 OSM）；制图: CareCircle  {_dt.date.today().isoformat()}"


def paint_sheet(painter: QtGui.QPainter, rect: QtCore.QRectF, workspace: Workspace, sheet: MapSheet, *,
                renderer: MapRenderer, dpi: float, minutes: tuple[float, ...]) -> None:
    """Lay out one page inside ``rect`` (device pixels)."""
    s = dpi / SCREEN_DPI  # device pixels per screen pixel
    margin = 10 / 25.4 * dpi
    inner = rect.adjusted(margin, margin, -margin, -margin)
    painter.save()
    painter.fillRect(rect, QtGui.QColor("#ffffff"))
    base_font = QtGui.QFont(painter.font())
    # title
    tf = QtGui.QFont(base_font)
    tf.setPointSizeF(18)
    tf.setBold(True)
    painter.setFont(tf)
    tm = QtGui.QFontMetricsF(tf)
    painter.setPen(QtGui.QColor("#111111"))
    painter.drawText(QtCore.QRectF(inner.left(), inner.top(), inner.width(), tm.height()), QtCore.Qt.AlignmentFlag.AlignLeft, sheet.title)
    top = inner.top() + tm.height() * 1.15
    if sheet.subtitle:
        sf = QtGui.QFont(base_font)
        sf.setPointSizeF(10.5)
        painter.setFont(sf)
        sm = QtGui.QFontMetricsF(sf)
        painter.setPen(QtGui.QColor("#444444"))
        painter.drawText(QtCore.QRectF(inner.left(), top, inner.width(), sm.height()), QtCore.Qt.AlignmentFlag.AlignLeft, sheet.subtitle)
        top += sm.height() * 1.3
    # footer: sources and date
    ff = QtGui.QFont(base_font)
    ff.setPointSizeF(7.5)
    fm = QtGui.QFontMetricsF(ff)
    footer_h = fm.height() * 1.4
    # table (atlas)
    table_h = 0.0
    tables = [t for t in (sheet.table, sheet.targets) if t is not None and len(t)]
    heights = []
    if tables:
        table_font = QtGui.QFont(base_font)
        table_font.setPointSizeF(8.5)
        row_h = QtGui.QFontMetricsF(table_font).height() * 1.5
        heights = [row_h * (len(t) + 1) + 8 * s for t in tables]
        table_h = sum(heights)
    legend_w = min(62 / 25.4 * dpi, inner.width() * 0.3)
    map_rect = QtCore.QRectF(inner.left(), top, inner.width() - legend_w - 4 * s, inner.bottom() - top - footer_h - table_h)
    # the map itself
    extent = sheet.extent or workspace.full_bounds()
    view = View.fit(extent, int(map_rect.width()), int(map_rect.height()), margin=0.03)
    painter.save()
    painter.translate(map_rect.topLeft())
    painter.setClipRect(QtCore.QRectF(0, 0, map_rect.width(), map_rect.height()))
    painter.fillRect(QtCore.QRectF(0, 0, map_rect.width(), map_rect.height()), QtGui.QColor("#f4f3ef"))
    lf = QtGui.QFont(base_font)
    lf.setPointSizeF(9)
    painter.setFont(lf)
    renderer.px = s
    renderer.render(painter, view, workspace, highlight=sheet.highlight)
    painter.setFont(lf)
    draw_scale_bar(painter, view, x=12 * s, y=map_rect.height() - 12 * s, scale=s)
    _north_arrow(painter, QtCore.QPointF(map_rect.width() - 22 * s, 14 * s), s)
    painter.restore()
    painter.setPen(QtGui.QPen(QtGui.QColor("#333333"), 1.0 * s))
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    painter.drawRect(map_rect)
    # legend
    _legend(painter, QtCore.QRectF(map_rect.right() + 4 * s, map_rect.top(), legend_w, map_rect.height()), workspace,
            renderer.display_type, minutes, s, base_font)
    y = map_rect.bottom()
    for frame, h in zip(tables, heights):
        _table(painter, QtCore.QRectF(inner.left(), y + 6 * s, inner.width(), h - 6 * s), frame, s, base_font)
        y += h
    painter.setFont(ff)
    painter.setPen(QtGui.QColor("#555555"))
    painter.drawText(QtCore.QRectF(inner.left(), inner.bottom() - footer_h + fm.height() * 0.3, inner.width(), fm.height()),
                     QtCore.Qt.AlignmentFlag.AlignLeft, sources_line(workspace))
    painter.restore()
    renderer.px = 1.0


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
    painter.drawText(QtCore.QRectF(tip.x() - 12 * s, tip.y() + h + 1 * s, 24 * s, 14 * s), QtCore.Qt.AlignmentFlag.AlignHCenter, "北 N")
    painter.restore()


def _legend(painter, rect, workspace, display_type, minutes, s, base_font) -> None:
    font = QtGui.QFont(base_font)
    font.setPointSizeF(8)
    painter.save()
    painter.setFont(font)
    fm = QtGui.QFontMetricsF(font)
    line = max(fm.height() * 1.35, 16 * s)
    y = rect.top() + 4 * s
    hf = QtGui.QFont(font)
    hf.setBold(True)
    for lyr in reversed(workspace.layers):
        entries = legend_entries(lyr.kind, display_type=display_type, minutes=minutes) if lyr.visible else []
        if not entries or y + line * (len(entries) + 1) > rect.bottom():
            continue
        painter.setFont(hf)
        painter.setPen(QtGui.QColor("#111111"))
        painter.drawText(QtCore.QRectF(rect.left(), y, rect.width(), line), QtCore.Qt.AlignmentFlag.AlignVCenter, tr(f"layer.{lyr.kind}"))
        y += line
        painter.setFont(font)
        for text, swatch in entries:
            draw_swatch(painter, QtCore.QRectF(rect.left() + 2 * s, y, 20 * s, line), swatch, scale=s)
            painter.setPen(QtGui.QColor("#222222"))
            painter.drawText(QtCore.QRectF(rect.left() + 26 * s, y, rect.width() - 26 * s, line), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
            y += line
        y += line * 0.3
    painter.restore()


#: last-column texts of atlas tables that are no shortfall (met, a balance view, no figure)
_NOT_FLAGGED = ("✔", "?", "平衡", "balance")


def _table(painter, rect, frame: pd.DataFrame, s, base_font) -> None:
    font = QtGui.QFont(base_font)
    font.setPointSizeF(8.5)
    painter.save()
    painter.setFont(font)
    fm = QtGui.QFontMetricsF(font)
    row_h = fm.height() * 1.5
    cols = list(frame.columns)
    widths = np.array([max(fm.horizontalAdvance(str(c)), *(fm.horizontalAdvance(str(v)) for v in frame[c])) + 12 * s for c in cols])
    widths = widths * min(1.0, rect.width() / widths.sum())
    x0 = rect.left()
    for r in range(len(frame) + 1):
        y = rect.top() + r * row_h
        if r == 0:
            painter.fillRect(QtCore.QRectF(x0, y, widths.sum(), row_h), QtGui.QColor("#e8e8e8"))
        x = x0
        for c, w in zip(cols, widths):
            text = str(c) if r == 0 else str(frame.iloc[r - 1][c])
            flagged = r > 0 and c == cols[-1] and text.strip() not in ("", "—") and not text.startswith(_NOT_FLAGGED)
            painter.setPen(QtGui.QColor("#c0392b") if flagged else QtGui.QColor("#111111"))
            painter.drawText(QtCore.QRectF(x + 5 * s, y, w - 8 * s, row_h), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
            x += w
        painter.setPen(QtGui.QPen(QtGui.QColor("#999999"), 0.6 * s))
        painter.drawLine(QtCore.QPointF(x0, y + row_h), QtCore.QPointF(x0 + widths.sum(), y + row_h))
    painter.restore()


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


def atlas_sheets(workspace: Workspace, *, title: str, subtitle: str) -> list[MapSheet]:
    """The county page (its target rows), then a sheet per township: its map (circles, gaps), its figures
    table and the targets as seen from it."""
    from projects.report_tables import report_classes

    from .targets_panel import target_text

    towns = workspace.layer("townships").frame
    cov = workspace.coverage_table()
    result = workspace.result
    sheets = []
    classes, labels = None, {}
    if result is not None:
        classes = report_classes(result)
        profile = result.params.profile
        labels = {t.id: target_text(t, profile) for t in profile.targets}
        label = result.params.county_label
        sheets.append(MapSheet(title=f"{title} · {label}", subtitle=subtitle, extent=None,
                               table=township_table(cov, "合计", classes=classes, labels=labels),
                               targets=county_targets_table(result)))
    for name, geom in zip(towns["name"], towns.geometry):
        minx, miny, maxx, maxy = geom.bounds
        pad = 0.05 * max(maxx - minx, maxy - miny)
        sheets.append(MapSheet(title=f"{title} · {name}", subtitle=subtitle, extent=(minx - pad, miny - pad, maxx + pad, maxy + pad),
                               highlight=geom, table=township_table(cov, str(name), classes=classes, labels=labels),
                               targets=township_targets_table(result, str(name)) if result is not None else None))
    return sheets
