"""Which files make up an analysis, and reading them into :class:`spatial.analysis.AnalysisInputs`.

Shared by the command line, the GUI and (later) the project file, so every front-end reads data the same way.
"""
from __future__ import annotations

import threading

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd

from layers.checks import check_overlap, suggest_datum_shift
from layers.communities import read_communities
from layers.errors import InputError
from layers.facilities import read_facilities
from layers.population import read_population_points, read_population_raster
from layers.roads import read_roads
from layers.tables import NOTES_ATTR, LAT_ALIASES, LON_ALIASES, X_ALIASES, Y_ALIASES, find_column, is_table_path, read_table
from layers.crs import parse_crs
from layers.population import COUNT_ALIASES
from layers.townships import CODE_ALIASES, NAME_ALIASES as TOWNSHIP_NAME_ALIASES, apply_elderly_table, read_townships
from spatial.analysis import AnalysisInputs
from spatial.feedback import Feedback
from spatial.network import build_network, make_search_structures, segment_index

from .profiles import DEFAULT_PROFILE

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
RASTER_SUFFIXES = frozenset({".tif", ".tiff"})


#: the input layers, in the order they are read and shown
LAYERS = ("roads", "townships", "population", "communities", "facilities")
#: the fields a user can map to a header of their own, per layer (``--columns LAYER.FIELD=HEADER``)
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "roads": ("highway", "name", "layer"),
    "townships": ("name", "code", "elderly"),
    "population": ("elderly", "name", "code", "lon", "lat", "x", "y"),
    "communities": ("name", "kind", "elderly", "lon", "lat"),
    "facilities": ("id", "name", "type", "beds", "nursing_beds", "status", "lon", "lat", "x", "y"),
}


@dataclass(frozen=True)
class LayerOptions:
    """How one input file is read, as the user chose it (import dialog or command line) and as the project
    keeps it: its coordinate system (``None``: what the file says; ``EPSG:4528``; ``gcj02``; ``bd09``), the
    sheet of a workbook, the text encoding, the layer of a multi-layer file and the headers chosen for fields."""

    crs: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    layer: str | None = None
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def column_map(self) -> dict[str, str]:
        return dict(self.columns)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("crs", "sheet", "encoding", "layer") if getattr(self, k) is not None}
        if self.columns:
            out["columns"] = dict(self.columns)
        return out

    @classmethod
    def from_dict(cls, d: dict, *, what: str = "import options") -> "LayerOptions":
        if not isinstance(d, dict):
            raise InputError(f"{what} must be a table of keys")
        unknown = sorted(set(d) - {"crs", "sheet", "encoding", "layer", "columns"})
        if unknown:
            raise InputError(f"{what}: unknown key(s) {', '.join(unknown)}")
        for k in ("crs", "sheet", "encoding", "layer"):
            if d.get(k) is not None and not isinstance(d[k], str):
                raise InputError(f"{what}: {k} must be text")
        cols = d.get("columns") or {}
        if not isinstance(cols, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in cols.items()):
            raise InputError(f"{what}: columns must map fields to headers")
        return cls(crs=d.get("crs"), sheet=d.get("sheet"), encoding=d.get("encoding"), layer=d.get("layer"),
                   columns=tuple(sorted(cols.items())))


def check_options(options: Mapping[str, LayerOptions]) -> None:
    """Refuse unknown layers and fields (a typo in ``--columns townships.nmae=XZQMC`` must not be ignored)."""
    for layer, opt in options.items():
        if layer not in LAYER_FIELDS:
            raise InputError(f"unknown layer '{layer}'; the layers are {', '.join(LAYERS)}")
        for fld, _ in opt.columns:
            if fld not in LAYER_FIELDS[layer]:
                raise InputError(f"unknown field '{layer}.{fld}'; the {layer} fields are {', '.join(LAYER_FIELDS[layer])}")


@dataclass(frozen=True)
class DataSources:
    """Paths of the input layers (absolute, or relative to ``base_dir``) and how each is read."""

    roads: Path
    townships: Path
    facilities: Path
    population: Path | None = None
    communities: Path | None = None
    facilities_crs: str = "EPSG:4326"
    population_share: float | None = None
    base_dir: Path | None = None
    #: per layer: CRS, sheet, encoding, layer and column choices (``facilities_crs`` is the facilities' CRS
    #: when ``options["facilities"].crs`` is not set)
    options: Mapping[str, LayerOptions] = field(default_factory=dict)
    #: road noding tolerance, metres (see :func:`spatial.network.build_network`)
    snap_m: float | None = None

    def option(self, layer: str) -> LayerOptions:
        opt = self.options.get(layer, LayerOptions())
        if layer == "facilities" and opt.crs is None and self.facilities_crs:
            opt = replace(opt, crs=self.facilities_crs)
        return opt

    def resolve(self, path: Path | None) -> Path | None:
        if path is None:
            return None
        p = Path(path)
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p


@dataclass(frozen=True)
class SampleInfo:
    title: str
    profile: str
    sources: DataSources
    elderly_basis: str = "resident"


def sample_info(location: Path = SAMPLE_DIR) -> SampleInfo:
    """A data-set manifest: a folder's ``sample.toml`` (default: the bundled sample county) or a ``.toml``
    file of the same keys; paths inside are relative to its folder."""
    location = Path(location)
    manifest = location if location.suffix.lower() == ".toml" else location / "sample.toml"
    sample_dir = manifest.parent
    if not manifest.is_file():
        hint = "the bundled sample is missing; run tools/make_sample.py" if sample_dir == SAMPLE_DIR else "manifest not found"
        raise InputError(hint, path=manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the manifest: {exc}", path=manifest) from None
    missing = [k for k in ("roads", "townships", "facilities") if not data.get(k)]
    if missing:
        raise InputError(f"the manifest names no {', '.join(missing)} file", path=manifest)
    src = DataSources(
        roads=Path(data["roads"]),
        townships=Path(data["townships"]),
        facilities=Path(data["facilities"]),
        population=Path(data["population"]) if data.get("population") else None,
        communities=Path(data["communities"]) if data.get("communities") else None,
        facilities_crs=data.get("facilities_crs", "EPSG:4326"),
        base_dir=sample_dir,
        options={k: LayerOptions.from_dict(v, what=f"{manifest.name}: options.{k}")
                 for k, v in dict(data.get("options", {})).items()},
    )
    check_options(src.options)
    basis = str(data.get("elderly_basis", "resident"))
    if basis not in ("resident", "registered"):
        raise InputError(f"elderly_basis must be resident (常住) or registered (户籍), not {basis!r}", path=manifest)
    return SampleInfo(title=data.get("title", "sample"), profile=data.get("profile", DEFAULT_PROFILE), sources=src,
                      elderly_basis=basis)


def load_inputs(sources: DataSources, *, feedback: Feedback | None = None) -> AnalysisInputs:
    """Read every layer with its options, check the layers against each other, build the walking network
    and return the analysis inputs; what reading found (inferred CRSs, skipped totals rows, duplicates, a
    likely GCJ-02 shift) is in ``inputs.notes``.

    Raises :class:`InputError` (one human line naming the file) for bad data and for layers that cannot
    belong together (they do not overlap)."""
    fb = feedback or Feedback()
    check_options(sources.options)
    r = sources.resolve
    fb.progress(0.0, "reading roads")
    roads = read_layer("roads", r(sources.roads), sources.option("roads"))
    fb.progress(0.2, "reading townships")
    townships = read_layer("townships", r(sources.townships), sources.option("townships"))
    population = None
    if sources.population is not None:
        fb.progress(0.3, "reading population")
        townships, population = read_population(r(sources.population), townships=townships, share=sources.population_share,
                                                options=sources.option("population"))
    fb.progress(0.4, "reading facilities")
    fac_opt = sources.option("facilities")
    facilities = read_layer("facilities", r(sources.facilities), fac_opt)
    communities = None
    if sources.communities is not None:
        fb.progress(0.5, "reading communities")
        communities = read_layer("communities", r(sources.communities), sources.option("communities"))
    fb.progress(0.6, "checking the layers against each other")
    layers = {"roads": roads, "townships": townships, "facilities": facilities, "population": population,
              "communities": communities}
    notes = cross_check(layers, files={k: getattr(sources, k) for k in LAYERS}, facilities_crs=fac_opt.crs, datum=False)
    fb.progress(0.7, "building the walking network")
    net = build_network(roads, **({"snap_m": sources.snap_m} if sources.snap_m is not None else {}))
    # the structures the analysis walks on (node tree, adjacency, components) made in a thread while the edge
    # index is made here (scipy builds them without the interpreter lock); joined before returning
    warm = threading.Thread(target=_warm_network, args=(net,), name="carecircle-network", daemon=True)
    warm.start()
    try:
        # the GCJ-02/BD-09 test on the network's edges (their index also snaps the facilities and the elderly)
        line = datum_note(facilities, roads, facilities_crs=fac_opt.crs, segments=(segment_index(net), net.crs))
    finally:
        warm.join()
    if line and line not in notes:
        notes.append(line)
    fb.progress(1.0, "inputs ready")
    return AnalysisInputs(network=net, townships=townships, facilities=facilities, population=population,
                          communities=communities, notes=tuple(notes), roads=roads)


def _warm_network(net) -> None:
    """The network's search structures but its edge index (:func:`spatial.network.make_search_structures`); an
    error is left for the analysis to meet where it asks for them."""
    try:
        make_search_structures(net, edge_index=False)
    except Exception:  # noqa: BLE001 - made again, and raised, where the analysis asks for it
        pass


def read_layer(layer: str, path: Path, options: LayerOptions | None = None) -> gpd.GeoDataFrame:
    """Read one file as ``layer`` with the user's options — the one place the CLI, the import dialog and
    the window's layer replacement read a file. Population here means points (vector, table or raster);
    a township table of counts goes through :func:`read_population`."""
    opt = options or LayerOptions()
    path = Path(path)
    if layer == "roads":
        return read_roads(path, **_vector_kwargs(opt))
    if layer == "townships":
        return read_townships(path, **_vector_kwargs(opt))
    if layer == "facilities":
        return read_facilities(path, crs=opt.crs or "EPSG:4326", sheet=opt.sheet, encoding=opt.encoding,
                               columns=opt.column_map)
    if layer == "communities":
        return read_communities(path, **_table_kwargs(opt))
    if layer == "population":
        if path.suffix.lower() in RASTER_SUFFIXES:
            return read_population_raster(path)
        return read_population_points(path, **_table_kwargs(opt))
    raise ValueError(f"unknown layer {layer!r}")


def cross_check(layers: Mapping[str, gpd.GeoDataFrame | None], *, files: Mapping[str, object] | None = None,
                facilities_crs: str | None = None, datum: bool = True) -> list[str]:
    """Every layer's reading notes, then the checks across layers (:mod:`layers.checks`): refuses layers that
    do not overlap; warns of data outside China and (``datum``) of facilities off the roads by the GCJ-02/BD-09
    shift (:func:`datum_note`)."""
    notes: list[str] = []
    for frame in layers.values():
        if frame is not None:
            notes.extend(frame.attrs.get(NOTES_ATTR, []))
    notes.extend(check_overlap(layers, files={k: Path(v).name for k, v in (files or {}).items() if v}))
    if datum:
        line = datum_note(layers.get("facilities"), layers.get("roads"), facilities_crs=facilities_crs)
        if line:
            notes.append(line)
    return list(dict.fromkeys(notes))


def datum_note(facilities: gpd.GeoDataFrame | None, roads: gpd.GeoDataFrame | None, *, facilities_crs: str | None = None,
               segments: tuple | None = None) -> str | None:
    """The GCJ-02/BD-09 warning of :func:`layers.checks.suggest_datum_shift` for facilities read with the
    declared ``facilities_crs`` (高德/amap/百度/baidu... as the readers take them), or None; ``segments`` is an
    already built ``(SegmentIndex, CRS)`` of the roads (the network's)."""
    if roads is None or facilities is None:
        return None
    declared = parse_crs(facilities_crs) if facilities_crs else None
    system = declared if isinstance(declared, str) else "wgs84"
    return suggest_datum_shift(facilities, roads, declared=system, segments=segments)


def _vector_kwargs(opt: LayerOptions) -> dict:
    out: dict = {"layer": opt.layer, "columns": opt.column_map}
    if opt.crs is not None:
        out["crs"] = opt.crs
    if opt.encoding is not None:
        out["encoding"] = opt.encoding
    return out


def _table_kwargs(opt: LayerOptions) -> dict:
    out = _vector_kwargs(opt)
    if opt.sheet is not None:
        out["sheet"] = opt.sheet
    return out


def read_population(
    path: Path, *, townships: gpd.GeoDataFrame, share: float | None = None, options: LayerOptions | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Population in any of its three forms: a GeoTIFF (people per cell), points (vector, or a table with
    coordinates) or a table of township counts (no coordinates: fills the townships' ``elderly``).

    Returns ``(townships, points)``; ``points`` is None for a township table."""
    path = Path(path)
    opt = options or LayerOptions()
    if path.suffix.lower() in RASTER_SUFFIXES:
        return townships, read_population_raster(path, share=share)
    if is_table_path(path):
        expect = COUNT_ALIASES + LON_ALIASES + LAT_ALIASES + X_ALIASES + Y_ALIASES + TOWNSHIP_NAME_ALIASES + CODE_ALIASES
        table = read_table(path, what="population table", sheet=opt.sheet, encoding=opt.encoding, expect=expect)
        chosen = opt.column_map
        has_xy = any(chosen.get(k) for k in ("lon", "lat", "x", "y")) or any(
            find_column(table.headers, aliases, path=path, what="coordinate", required=False)
            for aliases in (LON_ALIASES, LAT_ALIASES, X_ALIASES, Y_ALIASES)
        )
        if not has_xy:
            return apply_elderly_table(townships, path, sheet=opt.sheet, encoding=opt.encoding,
                                       columns={k: v for k, v in chosen.items() if k in ("name", "code", "elderly")}), None
    return townships, read_population_points(path, **_table_kwargs(opt))

