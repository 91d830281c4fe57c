"""Report exports, shared by ``carecircle export`` and the app's File > Export menu.

PDF/PNG maps and the atlas are drawn by the screen's renderer (gui.print_layout); the workbook, the
GeoPackage and the interactive HTML come from Qt-free modules in ``projects``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from projects.profiles import short_title
from projects.workspace import Workspace
from spatial.analysis import AnalysisResult

from .i18n import tr
from .print_layout import Layout, Page, atlas_sheets, county_sheet, sources_line, thematic_title, write_pdf, write_png
from .render import MapRenderer


@dataclass(frozen=True)
class ExportRequest:
    pdf: Path | None = None
    png: Path | None = None
    atlas: Path | None = None
    html: Path | None = None
    xlsx: Path | None = None
    gpkg: Path | None = None
    csv: Path | None = None
    page: Page = Page()
    display_type: str = "day_care"
    #: a scenario comparison to add to the workbook (its 方案对比 sheet)
    comparison: object = None
    #: the print layout: thematic title (None: built from the analysis), 制图单位, 制图时间, inset, page
    #: numbers, atlas summary page
    layout: Layout = Layout()

    def any(self) -> bool:
        return any(getattr(self, k) is not None for k in ("pdf", "png", "atlas", "html", "xlsx", "gpkg", "csv"))


def export_all(request: ExportRequest, *, workspace: Workspace, result: AnalysisResult, facilities, title: str,
               scenario: str | None, sources: dict[str, str] | None = None) -> dict[str, Path]:
    """Write every requested output; returns the written paths by kind."""
    out: dict[str, Path] = {}
    subtitle = _subtitle(result, scenario, request.display_type)
    renderer = MapRenderer()
    renderer.display_type = request.display_type
    minutes = tuple(result.params.minutes)
    layout = request.layout
    map_title = layout.title or thematic_title(result, display_type=request.display_type)
    note = sources_line(workspace, sources)
    if request.pdf is not None or request.png is not None:
        sheet = county_sheet(workspace, title=map_title, subtitle=subtitle, layout=layout, display_type=request.display_type, sources=note)
        if request.pdf is not None:
            out["pdf"] = write_pdf(request.pdf, workspace, [sheet], page=request.page, renderer=renderer, minutes=minutes)
        if request.png is not None:
            out["png"] = write_png(request.png, workspace, sheet, page=request.page, renderer=renderer, minutes=minutes)
    if request.atlas is not None:
        unit_title = None if layout.title else (lambda name: thematic_title(result, display_type=request.display_type, unit=name))
        sheets = atlas_sheets(workspace, title=map_title, subtitle=subtitle, layout=layout, display_type=request.display_type,
                              sources=note, unit_title=unit_title)
        out["atlas"] = write_pdf(request.atlas, workspace, sheets, page=request.page, renderer=renderer, minutes=minutes)
    if request.xlsx is not None:
        from projects.report_tables import write_xlsx

        out["xlsx"] = write_xlsx(request.xlsx, result=result, facilities=facilities, title=title, sources=sources, scenario=scenario,
                                 comparison=request.comparison)
    if request.gpkg is not None:
        from projects.report_tables import write_report_gpkg

        out["gpkg"] = write_report_gpkg(request.gpkg, result=result, facilities=facilities)
    if request.csv is not None:
        from projects.outputs import write_csv_bom

        out["csv"] = write_csv_bom(result.coverage_frame(), Path(request.csv))
    if request.html is not None:
        from projects.web_map import WebLayers, write_html

        coverage = workspace.layer("coverage")
        roads = workspace.layer("roads")
        layers = WebLayers.from_result(
            result, townships=coverage.frame if coverage is not None else workspace.layer("townships").frame,
            facilities=facilities, display_type=request.display_type,
            compare=workspace.layer("compare").frame if workspace.layer("compare") is not None else None,
            roads=roads.frame if roads is not None else None,
        )
        basemap = workspace.layer("basemap")
        out["html"] = write_html(request.html, layers=layers, title=map_title, subtitle=subtitle,
                                 basemap=_basemap_wgs84(basemap, workspace) if basemap else None)
    return out


def export_document(doc, *, pdf=None, png=None, atlas=None, html=None, xlsx=None, gpkg=None, csv=None,
                    page: str = "A4", landscape: bool = True, dpi: int = 200, display_type: str | None = None,
                    title: str | None = None, comparison=None, org: str = "", inset: bool = True, page_numbers: bool = False,
                    summary_page: bool = True, layout: Layout | None = None) -> dict[str, Path]:
    """Every requested export of a :class:`projects.document.Document`'s current, complete result: the one
    path the command line, scripts and (through the same result) the window take. ``title`` is the maps'
    title (default: the thematic title built from the analysis) and the workbook's (default: the project's);
    ``org`` the 制图单位, ``inset`` the main-town inset, ``page_numbers`` and ``summary_page`` the atlas's;
    ``layout`` all print-layout choices at once (its title and org win when set; it replaces the flags)."""
    import os

    from layers.classes import registry
    from layers.errors import InputError

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # drawing maps needs no screen
    from .app import make_app

    make_app()
    paths = {k: Path(v) for k, v in (("pdf", pdf), ("png", png), ("atlas", atlas), ("html", html), ("xlsx", xlsx),
                                     ("gpkg", gpkg), ("csv", csv)) if v is not None}
    if not paths:
        raise InputError("name at least one output: pdf, png, atlas, html, xlsx, gpkg or csv")
    display_type = display_type or registry().default
    if display_type not in registry():
        raise InputError(f"the map's class must be a facility class id: {', '.join(registry().ids)}")
    try:
        pg = Page(size=page, landscape=landscape, dpi=dpi)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    result = doc.result
    project = doc.project
    ws = Workspace(title=project.title)
    ws.set_inputs(project.inputs(network=doc.network), sources={k: Path(v) for k, v in project.sources.items()})
    ws.set_result(result)
    from dataclasses import replace as _replace

    lay = layout or Layout(inset=inset, page_numbers=page_numbers, summary_page=summary_page)
    lay = _replace(lay, title=lay.title or title or None, org=lay.org or org)
    request = ExportRequest(**paths, page=pg, display_type=display_type, comparison=comparison, layout=lay)
    return export_all(request, workspace=ws, result=result, facilities=project.plan.frame(), title=title or project.title,
                      scenario=doc.scenario, sources=project.sources)


def _subtitle(result: AnalysisResult, scenario: str | None, display_type: str) -> str:
    p = result.params
    bands = "/".join(f"{m:g}" for m in p.minutes)
    parts = [f"{tr('type.' + display_type)} {bands} 分钟步行服务圈", f"步行速度 {p.speed_kmh:g} km/h", f"规划标准 {short_title(p.profile.name, p.profile.title)}", p.counted_text()]
    if scenario:
        parts.insert(0, f"方案: {scenario}")
    return "  ·  ".join(parts)


def _basemap_wgs84(layer, workspace: Workspace):
    """The basemap image with its bounds in EPSG:4326 (an approximation: corners reprojected)."""
    from pyproj import Transformer

    minx, miny, maxx, maxy = layer.raster.bounds
    tr_ = Transformer.from_crs(workspace.crs, "EPSG:4326", always_xy=True)
    (x0, x1), (y0, y1) = tr_.transform([minx, maxx], [miny, maxy])
    return layer.raster.pixels, (x0, y0, x1, y1)
