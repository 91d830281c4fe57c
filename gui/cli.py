"""The ``carecircle`` command.

``carecircle analyze --sample --out DIR`` or ``carecircle analyze --roads R --townships T --facilities F ...``
runs the analysis headless (no Qt is imported); ``carecircle compare PROJECT --scenario NAME --out DIR`` sets a
scenario beside the baseline (comparison.csv, changes.gpkg). Exit codes: 0 done, 2 bad input (one clear line on stderr),
130 interrupted.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from spatial.feedback import Feedback, Scaled

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _minutes(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"minutes must be numbers separated by commas, e.g. 5,10,15 (got {text!r})") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("minutes must be positive numbers, e.g. 5,10,15")
    return values


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    try:
        size = int(w), int(h)
    except ValueError:
        size = None
    if not sep or size is None or min(size) < 200 or max(size) > 10000:
        raise argparse.ArgumentTypeError(f"a window size is WIDTHxHEIGHT in pixels, e.g. 1366x728, not {text!r}")
    return size


def _statuses(text: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values or any(v not in ("existing", "planned") for v in values):
        raise argparse.ArgumentTypeError(f"statuses are existing and/or planned, e.g. existing,planned (got {text!r})")
    return values


def _pair(kind: str):
    """``LAYER=VALUE`` (``--crs``, ``--sheet``) or ``LAYER.FIELD=HEADER`` (``--columns``) as a tuple."""
    def parse(text: str) -> tuple[str, ...]:
        key, sep, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            example = {"crs": "facilities=gcj02", "sheet": "facilities=2023年", "columns": "townships.name=XZQMC"}[kind]
            raise argparse.ArgumentTypeError(f"expected {'LAYER.FIELD=HEADER' if kind == 'columns' else 'LAYER=VALUE'}, "
                                             f"e.g. --{kind} {example} (got {text!r})")
        if kind == "columns":
            layer, dot, fld = key.partition(".")
            if not dot or not layer or not fld:
                raise argparse.ArgumentTypeError(f"expected LAYER.FIELD=HEADER, e.g. townships.name=XZQMC (got {text!r})")
            return layer.strip(), fld.strip(), value
        return key, value
    return parse


def _add_input_options(a: argparse.ArgumentParser) -> None:
    """The input layers and how each is read (shared by ``analyze`` and ``new``)."""
    a.add_argument("--roads", type=Path, help="road network: .osm / .osm.pbf, or road lines (.shp/.gpkg/.geojson)")
    a.add_argument("--townships", type=Path, help="township/street polygons with name (and elderly) columns")
    a.add_argument("--facilities", type=Path, help="facility list (.csv/.xlsx)")
    a.add_argument("--facilities-crs", default=None, help="same as --crs facilities=CODE")
    a.add_argument("--population", type=Path, help="elderly population: points (vector/table), a GeoTIFF, or a township table")
    a.add_argument("--population-share", type=float, default=None, help="share of elderly when the raster holds total population")
    a.add_argument("--communities", type=Path, help="communities/villages (points or polygons) with a kind 社区/村")
    a.add_argument("--crs", type=_pair("crs"), action="append", default=[], metavar="LAYER=CODE",
                   help="the coordinate system of a layer's file when it lacks one or states a wrong one: "
                        "facilities=gcj02 (Amap/Tencent), facilities=bd09 (Baidu), townships=EPSG:4528, roads=EPSG:4549, ...")
    a.add_argument("--sheet", type=_pair("sheet"), action="append", default=[], metavar="LAYER=NAME",
                   help="the workbook sheet holding a layer's table, e.g. facilities=2023年")
    a.add_argument("--encoding", type=_pair("encoding"), action="append", default=[], metavar="LAYER=NAME",
                   help="the text encoding of a layer's file when detection fails, e.g. townships=gbk")
    a.add_argument("--columns", type=_pair("columns"), action="append", default=[], metavar="LAYER.FIELD=HEADER",
                   help="the header holding a field, e.g. townships.name=XZQMC, population.elderly=LNRK, facilities.beds=核定床位")
    a.add_argument("--snap-m", type=float, default=None,
                   help="road noding tolerance in metres: line ends this close are joined (default 0.5, or the project's)")


def _layer_options(args: argparse.Namespace) -> dict:
    """``--crs``/``--sheet``/``--encoding``/``--columns`` gathered per layer (LayerOptions), checked."""
    from projects.inputs import LayerOptions, check_options

    from layers.errors import InputError

    found: dict[str, dict] = {}
    crs = list(args.crs)
    if args.facilities_crs:
        if any(layer == "facilities" for layer, _ in crs):
            raise InputError("give the facilities' coordinate system once (--facilities-crs is --crs facilities=...)")
        crs.append(("facilities", args.facilities_crs))
    for key, pairs in (("crs", crs), ("sheet", args.sheet), ("encoding", args.encoding)):
        for layer, value in pairs:
            slot = found.setdefault(layer, {})
            if key in slot:
                raise InputError(f"--{key} {layer}= is given twice")
            slot[key] = value
    for layer, fld, header in args.columns:
        cols = found.setdefault(layer, {}).setdefault("columns", {})
        if fld in cols:
            raise InputError(f"--columns {layer}.{fld}= is given twice")
        cols[fld] = header
    options = {layer: LayerOptions.from_dict(d, what=f"--{layer}") for layer, d in found.items()}
    check_options(options)
    for layer, opt in options.items():
        if opt.crs is not None:
            from layers.tables import parse_crs

            parse_crs(opt.crs)  # unknown codes refused now, before any file is read
    return options


def _check_number(value: float | None, what: str) -> None:
    import math

    from layers.errors import InputError

    if value is not None and not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, not {value}")


def _check_snap(value: float | None) -> None:
    from projects.ccproj import check_snap_m

    from layers.errors import InputError

    if value is not None:
        try:
            check_snap_m(value)
        except InputError as exc:
            raise InputError(f"--snap-m: {exc}") from None


def _sources(args: argparse.Namespace):
    """The files named on the command line and how to read them, as :class:`projects.inputs.DataSources`."""
    from projects.inputs import DataSources

    from layers.errors import InputError

    missing = [f"--{n}" for n in ("roads", "townships", "facilities") if getattr(args, n) is None]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (or give a project file, or --sample for the bundled sample)")
    _check_snap(args.snap_m)
    _check_number(args.population_share, "--population-share")
    options = _layer_options(args)
    given = {k for k in ("roads", "townships", "facilities", "population", "communities") if getattr(args, k) is not None}
    unused = sorted(set(options) - given)
    if unused:
        raise InputError(f"options are given for {', '.join(unused)} but no such file (--{unused[0]} FILE)")
    for layer, opt in options.items():  # a choice that cannot apply to the file is an error, not ignored
        if opt.sheet is not None and Path(getattr(args, layer)).suffix.lower() not in (".xlsx", ".xlsm"):
            raise InputError(f"--sheet {layer}= applies to Excel workbooks (.xlsx) only", path=getattr(args, layer))
    return DataSources(roads=args.roads, townships=args.townships, facilities=args.facilities, population=args.population,
                       communities=args.communities, population_share=args.population_share, options=options,
                       snap_m=args.snap_m)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carecircle", description="CareCircle 养老服务圈规划 — elderly-care service circles")
    parser.add_argument("--classes", type=Path, default=None, metavar="FILE",
                        help="a facility class registry of your own (TOML, the keys of projects/facility_classes.toml); "
                             "also $CARECIRCLE_CLASSES")
    sub = parser.add_subparsers(dest="command")
    a = sub.add_parser("analyze", help="compute walking service circles, coverage and gap flags")
    a.add_argument("project", nargs="?", type=Path, default=None, help="a CareCircle project (.ccproj) to analyse")
    a.add_argument("--scenario", default=None, help="with a project: the scenario to analyse (default: the project's active one)")
    a.add_argument("--sample", action="store_true", help="use the bundled sample county (Rugao 如皋, partly generated)")
    _add_input_options(a)
    a.add_argument("--profile", default=None, help="standard profile name (rugao-2022, nantong-2014, changzhou-2014, changzhou-2025, xinhui-2015, national-2025) or a .toml/.json file")
    a.add_argument("--statuses", type=_statuses, default=None,
                   help="facility statuses to count: existing (the baseline 现状, default) or existing,planned (a plan); with a project, its scenario decides")
    a.add_argument("--elderly-basis", choices=["resident", "registered"], default=None,
                   help="the elderly the population data count: resident 常住 (census, default) or registered 户籍")
    a.add_argument("--minutes", type=_minutes, default=None, help="minutes bands, e.g. 5,10,15 (default 5,10,15 or the project's)")
    a.add_argument("--speed-kmh", type=float, default=None, help="elderly walking speed in km/h (default 3.6 = 1.0 m/s, or the project's)")
    a.add_argument("--buffer-m", type=float, default=None, help="street-side depth of the circles in metres (default 50, or the project's)")
    a.add_argument("--no-facility-circles", action="store_true", help="skip the per-facility circle layer")
    a.add_argument("--out", type=Path, required=True, help="output folder")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("export", help="report exports: print maps (PDF/PNG), atlas, offline HTML, Excel, GeoPackage")
    e.add_argument("project", nargs="?", type=Path, default=None, help="a CareCircle project (.ccproj)")
    e.add_argument("--sample", action="store_true", help="the bundled sample project")
    e.add_argument("--scenario", default=None, help="the scenario to export (default: the project's active one)")
    for opt, what in (("pdf", "print map as PDF"), ("png", "print map as PNG"), ("atlas", "PDF with a page per township"),
                      ("html", "interactive map that works offline"), ("xlsx", "Excel workbook of indicators"),
                      ("gpkg", "GeoPackage of circles, gaps and facilities"), ("csv", "coverage table as CSV (UTF-8 with BOM)")):
        e.add_argument(f"--{opt}", type=Path, default=None, metavar="FILE", help=what)
    e.add_argument("--page", choices=["A4", "A3"], default="A4", help="paper size (default A4)")
    e.add_argument("--portrait", action="store_true", help="portrait pages (default landscape)")
    e.add_argument("--dpi", type=int, default=200, help="resolution of PNG and PDF drawing (default 200)")
    e.add_argument("--type", dest="display_type", default=None,
                   help="facility class id whose circles, gaps and coverage the maps show (default: the registry's first, day_care)")
    e.add_argument("--title", default=None,
                   help="map title (default: built from the analysis, e.g. 如皋市日间照料中心15分钟服务圈覆盖现状图)")
    e.add_argument("--org", default="", help="制图单位: the organisation printed on the maps (default: none)")
    e.add_argument("--page-numbers", action="store_true", help="number the atlas pages (第 i 页 / 共 n 页)")
    e.add_argument("--no-inset", action="store_true", help="no inset map of the main town")
    e.add_argument("--no-summary-page", action="store_true", help="the atlas without its county summary page")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    c = sub.add_parser("compare", help="compare a plan scenario with the baseline (现状): coverage per township and class, "
                                       "newly covered and newly uncovered areas")
    c.add_argument("project", nargs="?", type=Path, default=None, help="a CareCircle project (.ccproj)")
    c.add_argument("--base", default=None, help="the scenario compared against (default: the project's baseline, 现状)")
    c.add_argument("--scenario", default=None, help="the scenario to compare (default: the project's active one)")
    c.add_argument("--out", type=Path, required=True,
                   help="output folder: comparison.csv (UTF-8 with BOM, Chinese headers) and changes.gpkg")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    n = sub.add_parser("new", help="a new project (.ccproj) from your own files: every layer read with its options, checked "
                                   "against the others and saved with the choices made")
    n.add_argument("project", type=Path, help="the project file to write (.ccproj)")
    n.add_argument("--title", default=None, help="the county's or city's name (default: the file's name)")
    n.add_argument("--profile", default=None, help="standard profile name or a .toml/.json file (default rugao-2022)")
    _add_input_options(n)
    n.add_argument("--force", action="store_true", help="replace an existing project file")
    n.add_argument("--quiet", action="store_true", help="no progress bar")
    s = sub.add_parser("suggest", help="siting: where the next facilities of a class should go (best k sites, or the "
                                       "fewest that meet the profile's targets); writes suggestions.csv, suggestions.gpkg "
                                       "and a project with the suggestion as a new scenario")
    s.add_argument("project", nargs="?", type=Path, default=None, help="a CareCircle project (.ccproj)")
    s.add_argument("--sample", action="store_true", help="the bundled sample project")
    s.add_argument("--scenario", default=None, help="the scenario to start from (default: the project's active one)")
    s.add_argument("--type", dest="class_id", required=True, metavar="CLASS",
                   help="facility class id (day_care, meal_point, elder_station, ...) or its Chinese name")
    goal = s.add_mutually_exclusive_group(required=True)
    goal.add_argument("--count", type=int, default=None, metavar="K", help="best k: the K sites that cover the most uncovered elderly")
    goal.add_argument("--meet-targets", action="store_true", help="the fewest sites that meet the profile's targets for the class")
    s.add_argument("--candidates", type=Path, default=None, metavar="FILE",
                   help="your own candidate sites (CSV/XLSX with 经度/纬度, or GPKG/SHP points); default: generated along populated streets")
    s.add_argument("--candidates-crs", default=None, help="the candidate file's coordinates (gcj02, bd09, EPSG:4528, ...)")
    s.add_argument("--township", default=None, metavar="NAME", help="only candidates inside this township/street")
    s.add_argument("--exact", action="store_true", help="also solve exactly (MIP with HiGHS) and report greedy/optimal")
    s.add_argument("--per-township", action="store_true", help="best k: at least one new site in each township without one")
    s.add_argument("--spacing-m", type=float, default=300.0, help="spacing of generated candidates in metres (default 300)")
    s.add_argument("--time-limit-s", type=float, default=60.0, help="time limit of the exact solution in seconds (default 60)")
    s.add_argument("--out", type=Path, required=True, help="output folder: suggestions.csv, suggestions.gpkg, suggested.ccproj")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    b = sub.add_parser("beds", help="access to nursing-type beds (2SFCA / E2SFCA) per township, and where a county quota of "
                                    "new beds raises the lowest townships most")
    b.add_argument("project", nargs="?", type=Path, default=None, help="a CareCircle project (.ccproj)")
    b.add_argument("--sample", action="store_true", help="the bundled sample project")
    b.add_argument("--scenario", default=None, help="the scenario (default: the project's active one)")
    b.add_argument("--catchment-min", type=float, default=None, help="catchment in minutes of travel (default 30)")
    b.add_argument("--speed-kmh", type=float, default=None,
                   help="travel speed in km/h for the catchment (default: the analysis' walking speed)")
    b.add_argument("--decay", choices=["gaussian", "none"], default="gaussian",
                   help="gaussian: E2SFCA with distance decay; none: plain 2SFCA (default gaussian)")
    b.add_argument("--budget-beds", type=int, default=0, help="new nursing-type beds to hand out (the county quota)")
    b.add_argument("--out", type=Path, required=True, help="output folder: bed_access.csv (and bed_suggestions.csv)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    g = sub.add_parser("gui", help="open the desktop app (default: the bundled sample)")
    g.add_argument("project", nargs="?", default=None, help="a folder with sample.toml (or a .toml manifest)")
    g.add_argument("--screenshot", type=Path, default=None, help="open, run the analysis, save a PNG of the window and exit")
    g.add_argument("--lang", choices=["zh", "en"], default="zh", help="UI language (default zh: Simplified Chinese)")
    g.add_argument("--size", type=_size, default=None, metavar="WxH",
                   help="with --screenshot: the window's size in pixels (default: fitted to the screen)")
    g.add_argument("--zoom-to", default=None, metavar="TOWNSHIP", help="with --screenshot: zoom to this township first")
    return parser


#: where ``carecircle analyze`` starts the analysis and the writing on its one progress bar (measured shares:
#: reading and noding ~10%, the analysis ~78%, writing ~12%)
P_CLI_ANALYSIS, P_CLI_WRITING = 0.12, 0.88


class StderrProgress(Feedback):
    """A progress bar on stderr: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, *, quiet: bool = False) -> None:
        super().__init__()
        self._quiet = quiet
        self._tty = sys.stderr.isatty()
        self._last_step: str | None = None
        self._t0 = time.perf_counter()

    def on_progress(self, fraction: float, step: str) -> None:
        if self._quiet:
            return
        if self._tty:
            filled = int(fraction * 30)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:3.0f}% {step:<40.40}")
            if fraction >= 1.0:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif step != self._last_step:
            sys.stderr.write(f"{fraction * 100:3.0f}% {step} ({time.perf_counter() - self._t0:.1f} s)\n")
        self._last_step = step


#: glibc's mallopt parameters (malloc.h) and what a batch analysis sets them to (:func:`_keep_freed_memory`)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MALLOC_SETTINGS = ((M_MMAP_THRESHOLD, 32 * 2**20), (M_TRIM_THRESHOLD, 2**31 - 1), (M_TOP_PAD, 64 * 2**20))


def _keep_freed_memory() -> None:
    """For a batch command on glibc: arrays up to 32 MB from the heap, and freed memory kept there for the next
    ones, instead of a fresh mapping per array whose every page faults in again (the analysis makes and drops
    arrays of megabytes thousands of times: ~13 % fewer page faults, ~0.1 s of 3 s on the bench county).
    Elsewhere nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        for param, value in MALLOC_SETTINGS:
            libc.mallopt(ctypes.c_int(param), ctypes.c_int(value))
    except (OSError, AttributeError):  # not glibc
        pass


def _analyze(args: argparse.Namespace) -> int:
    _keep_freed_memory()
    from layers.errors import InputError
    from projects.inputs import load_inputs, sample_info
    from projects.outputs import AnalysisWriter
    from projects.profiles import DEFAULT_PROFILE, load_profile
    from spatial.analysis import run_analysis

    fb = StderrProgress(quiet=args.quiet)
    chosen = [name for name, on in (("a project", args.project is not None), ("--sample", args.sample),
                                    ("--roads", args.roads is not None)) if on]
    if len(chosen) > 1:
        raise InputError(f"give one of a project file, --sample or --roads/--townships/--facilities (got {' and '.join(chosen)})")
    if args.scenario and args.project is None:
        raise InputError("--scenario goes with a project file (.ccproj)")
    from layers.classes import BASELINE_STATUSES
    from projects.ccproj import Settings
    from projects.live import statuses_for

    # what the command line changes; the rest comes from the project (or the defaults), and the analysis
    # parameters are built by the one function the window uses too (Settings.params)
    overrides = {k: v for k, v in (("minutes", args.minutes), ("speed_kmh", args.speed_kmh), ("buffer_m", args.buffer_m),
                                   ("elderly_basis", args.elderly_basis)) if v is not None}
    if args.profile:
        overrides["profile"] = load_profile(args.profile)
    if args.project is not None:
        from projects.ccproj import load_project

        project = load_project(args.project)
        if args.statuses is not None:
            raise InputError("with a project, its scenario decides what counts: --scenario NAME (the baseline counts existing facilities)")
        own = [f"--{k.replace('_', '-')}" for k in ("roads", "townships", "facilities", "population", "communities",
                                                    "facilities_crs", "population_share", "crs", "sheet", "columns", "encoding")
               if getattr(args, k) not in (None, [])]
        if own:
            raise InputError(f"a project holds its own layers ({', '.join(own)} cannot apply); to use other files make a new "
                             f"project (carecircle new)")
        if args.snap_m is not None:
            _check_snap(args.snap_m)
            overrides["snap_m"] = args.snap_m
        if args.scenario is not None and args.scenario not in project.plan.scenarios:
            raise InputError(f"no scenario called {args.scenario}; the project has: {', '.join(project.plan.scenarios)}")
        scenario = args.scenario or project.plan.active
        settings = replace(project.settings, **overrides)
        statuses, area = statuses_for(scenario, baseline=project.plan.baseline), project.title
        fb.progress(0.0, "building the walking network")
        inputs = project.inputs(scenario=args.scenario, network=settings.network(project.roads))
    else:
        area = ""
        if args.sample:
            info = sample_info()
            sources = info.sources
            profile_name = args.profile or info.profile
            overrides.setdefault("elderly_basis", info.elderly_basis)
            area = info.title
            if args.population or args.facilities_crs or args.crs or args.sheet or args.columns or args.encoding:
                raise InputError("--sample brings its own layers; give --roads/--townships/--facilities instead to use your own")
            if args.snap_m is not None:
                _check_snap(args.snap_m)
                sources = replace(sources, snap_m=args.snap_m)
        else:
            sources = _sources(args)
            profile_name = args.profile or DEFAULT_PROFILE
        overrides["profile"] = overrides.get("profile") or load_profile(profile_name)
        settings = Settings(**overrides)
        statuses = args.statuses or BASELINE_STATUSES
        inputs = None
    params = settings.params(statuses=statuses, area_name=area)
    profile = params.profile
    # one bar for the whole command, its parts weighted by measured time (bench/bench_e2e.py)
    if inputs is None:
        inputs = load_inputs(sources, feedback=Scaled(fb, 0.0, P_CLI_ANALYSIS))
    # the gap areas made and written by a forked process while the circles are built (AnalysisWriter)
    with AnalysisWriter(args.out, processes=True) as writer:
        result = run_analysis(inputs, params, feedback=Scaled(fb, P_CLI_ANALYSIS, P_CLI_WRITING),
                              facility_circles=not args.no_facility_circles, gaps_sink=writer.gaps_sink)
        fb.progress(P_CLI_WRITING, "writing the outputs")
        paths = writer.finish(result)
    fb.progress(1.0, "done")
    tg = result.targets_frame()
    county = tg[tg["level"] == "county"]
    print(f"{len(result.model.township_names)} townships x {len(params.classes.ids)} facility classes; profile {profile.name}: "
          f"{int(county['met'].sum())} of {len(county)} county rows met; {params.speed_kmh:g} km/h, "
          f"bands {','.join(f'{m:g}' for m in params.minutes)} min")
    print(params.counted_text())
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for name, p in paths.items():
        print(f"{name}: {p}")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from layers.errors import InputError
    from projects.ccproj import SUFFIX, project_from_inputs, save_project
    from projects.inputs import load_inputs
    from projects.profiles import DEFAULT_PROFILE, load_profile

    target = args.project if args.project.suffix.lower() == SUFFIX else args.project.with_suffix(SUFFIX)
    if target.exists() and not args.force:
        raise InputError(f"{target} exists; give --force to replace it", path=target)
    sources = _sources(args)
    profile = load_profile(args.profile or DEFAULT_PROFILE)
    fb = StderrProgress(quiet=args.quiet)
    inputs = load_inputs(sources, feedback=fb)
    base = target.resolve().parent
    files = {k: Path(getattr(sources, k)).resolve() for k in ("roads", "townships", "facilities", "population", "communities")
             if getattr(sources, k) is not None}
    project = project_from_inputs(args.title or target.stem, inputs, profile=profile, sources=files, base=base,
                                  imports={k: v.to_dict() for k, v in sources.options.items()})
    if sources.snap_m is not None:
        project.settings = replace(project.settings, snap_m=sources.snap_m)
    written = save_project(project, target)
    print(f"{written}: {len(inputs.townships)} townships, {len(inputs.facilities)} facilities, "
          f"{inputs.network.n_edges:,} road segments")
    for note in inputs.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from layers.errors import InputError

    if (args.project is None) == (not args.sample):
        raise InputError("give a project file (.ccproj) or --sample")
    outputs = {k: getattr(args, k) for k in ("pdf", "png", "atlas", "html", "xlsx", "gpkg", "csv") if getattr(args, k) is not None}
    if not outputs:
        raise InputError("name at least one output: --pdf, --png, --atlas, --html, --xlsx, --gpkg or --csv")
    fb = StderrProgress(quiet=args.quiet)
    fb.progress(0.0, "building the walking network")
    doc = _open_document(args)
    fb.progress(0.2, "analysis")
    paths = doc.export(**outputs, page=args.page, landscape=not args.portrait, dpi=args.dpi, display_type=args.display_type,
                       title=args.title, org=args.org, inset=not args.no_inset, page_numbers=args.page_numbers,
                       summary_page=not args.no_summary_page)
    fb.progress(1.0, "done")
    for name, p in paths.items():
        print(f"{name}: {p}")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from layers.errors import InputError
    from projects.ccproj import load_project
    from projects.compare import run_comparison, summary_line, write_comparison
    from spatial.network import build_network

    if args.project is None:
        raise InputError("give a project file (.ccproj) whose scenarios to compare")
    project = load_project(args.project)
    plan = project.plan
    base = args.base or plan.baseline
    other = args.scenario or plan.active
    for name in (base, other):
        if name not in plan.scenarios:
            raise InputError(f"no scenario called {name}; the project has: {', '.join(plan.scenarios)}")
    if other == base:
        raise InputError(f"name the scenario to compare with {base}: --scenario NAME (the project has: {', '.join(plan.scenarios)})")
    fb = StderrProgress(quiet=args.quiet)
    fb.progress(0.0, "building the walking network")
    inputs = project.inputs(network=project.settings.network(project.roads))
    frames = {name: plan.frame(name) for name in (base, other)}
    comparison = run_comparison(inputs, frames, project.params(scenario=other), base=base, other=other,
                                baseline=plan.baseline, feedback=fb)
    paths = write_comparison(comparison, args.out)
    print(summary_line(comparison))
    for name, p in paths.items():
        print(f"{name}: {p}")
    return EXIT_OK


def _open_document(args: argparse.Namespace):
    """The plan document a command works on: the sample or the project file, on ``--scenario`` if given."""
    from layers.errors import InputError
    from projects.document import Document

    doc = Document.from_sample() if args.sample else Document.open(args.project)
    if args.scenario:
        if args.scenario not in doc.scenarios:
            raise InputError(f"no scenario called {args.scenario}; the project has: {', '.join(doc.scenarios)}")
        doc.use_scenario(args.scenario)
    return doc


def _suggest(args: argparse.Namespace) -> int:
    """``carecircle suggest``: siting on a project or the sample, the suggestion saved as a new scenario."""
    from layers.classes import registry
    from layers.errors import InputError
    from projects.ccproj import save_project
    from projects.siting import apply_suggestion, read_candidates, suggest, summary_lines, write_suggestions
    from spatial.siting import SitingParams

    if (args.project is None) == (not args.sample):
        raise InputError("give a project file (.ccproj) or --sample")
    class_id = registry().lookup(args.class_id) if args.class_id not in registry() else args.class_id
    if class_id is None:
        raise InputError(f"unknown facility class {args.class_id!r}; use one of {registry().accepted_names()}")
    if args.count is not None and args.count < 1:
        raise InputError("--count must be a whole number of at least 1")
    for value, what in ((args.spacing_m, "--spacing-m"), (args.time_limit_s, "--time-limit-s")):
        _check_number(value, what)
        if value <= 0:
            raise InputError(f"{what} must be positive")
    fb = StderrProgress(quiet=args.quiet)
    fb.progress(0.0, "building the walking network")
    doc = _open_document(args)
    candidates = read_candidates(args.candidates, crs=args.candidates_crs) if args.candidates is not None else None
    params = SitingParams(type=class_id, objective="meet_targets" if args.meet_targets else "best_k",
                          count=args.count or 1, township=args.township, exact=args.exact, per_township=args.per_township,
                          spacing_m=args.spacing_m, time_limit_s=args.time_limit_s)
    suggestion = suggest(doc.project, params, scenario=doc.scenario, candidates=candidates, network=doc.network, feedback=fb)
    paths = write_suggestions(suggestion, args.out)
    name = apply_suggestion(doc, suggestion)
    paths["suggested.ccproj"] = save_project(doc.project, Path(args.out) / "suggested.ccproj")
    for line in summary_lines(suggestion):
        print(line)
    print(f"scenario: {name}")
    for key, p in paths.items():
        print(f"{key}: {p}")
    return EXIT_OK


def _beds(args: argparse.Namespace) -> int:
    """``carecircle beds``: nursing-type beds per 1,000 elderly within a travel time (2SFCA/E2SFCA) per township,
    and, with a budget, where new beds raise the lowest townships most."""
    import pandas as pd

    from layers.errors import InputError
    from projects.outputs import write_csv_bom
    from projects.siting import siting_model
    from spatial.access import DEFAULT_CATCHMENT_MINUTES, bed_access, suggest_beds

    if (args.project is None) == (not args.sample):
        raise InputError("give a project file (.ccproj) or --sample")
    catchment = DEFAULT_CATCHMENT_MINUTES if args.catchment_min is None else args.catchment_min
    for value, what in ((catchment, "--catchment-min"), (args.speed_kmh, "--speed-kmh")):
        _check_number(value, what)
        if value is not None and value <= 0:
            raise InputError(f"{what} must be positive")
    if args.budget_beds < 0:
        raise InputError("--budget-beds must be 0 or more")
    fb = StderrProgress(quiet=args.quiet)
    fb.progress(0.0, "building the walking network")
    doc = _open_document(args)
    model = siting_model(doc.project, scenario=doc.scenario, network=doc.network)
    access = bed_access(model, catchment_minutes=catchment, speed_kmh=args.speed_kmh, decay=args.decay, feedback=fb)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    towns = access.townships.copy()
    towns["elderly"] = towns["elderly"].round().astype("Int64")  # whole persons
    for c in ("access_per_1000", "lowest_location_per_1000"):
        towns[c] = towns[c].round(2)
    paths = {"bed_access.csv": write_csv_bom(towns, out / "bed_access.csv")}
    print(f"nursing-type beds per 1,000 elderly within {catchment:g} min at {access.speed_kmh:g} km/h "
          f"({'E2SFCA, gaussian decay' if args.decay == 'gaussian' else '2SFCA'}), {len(access.site_ids)} facilities with "
          f"nursing-type beds; counted as in a plan scenario (existing and planned, those to close left out)")
    if args.budget_beds:
        alloc = suggest_beds(access, budget_beds=args.budget_beds)
        names = dict(zip(access.site_ids, access.site_names))
        rows = pd.DataFrame({"facility_id": list(alloc.beds), "facility": [names.get(k, k) for k in alloc.beds],
                             "added_nursing_beds": list(alloc.beds.values())})
        paths["bed_suggestions.csv"] = write_csv_bom(rows, out / "bed_suggestions.csv")
        low_before, low_after = float(alloc.before.min()), float(alloc.after.min())
        print(f"{sum(alloc.beds.values())} new beds at {len(alloc.beds)} facilities: the lowest township "
              f"{low_before:.2f} -> {low_after:.2f} per 1,000 elderly")
    fb.progress(1.0, "done")
    for key, p in paths.items():
        print(f"{key}: {p}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or [])])
    if args.command == "gui":
        from .app import run_gui  # Qt is imported only here

        if args.classes is not None:
            from layers.classes import use_registry
            from layers.errors import InputError

            try:
                use_registry(args.classes)
            except InputError as exc:
                print(f"carecircle: error: {exc}", file=sys.stderr)
                return EXIT_BAD_INPUT
        return run_gui(args.project, screenshot=args.screenshot, lang=args.lang, zoom_to=args.zoom_to, size=args.size)
    from layers.errors import AnalysisCancelled, InputError

    try:
        if args.classes is not None:
            from layers.classes import use_registry

            use_registry(args.classes)
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "export":
            return _export(args)
        if args.command == "new":
            return _new(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "beds":
            return _beds(args)
        if args.command == "suggest":
            return _suggest(args)
    except InputError as exc:
        print(f"carecircle: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (AnalysisCancelled, KeyboardInterrupt):
        print("carecircle: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # read-only, disk full, a file where a folder should be, too long a path: one line
        where = exc.filename or ""
        print(f"carecircle: error: cannot write {where}: {exc.strerror or exc}".replace("write : ", "write: "), file=sys.stderr)
        return EXIT_BAD_INPUT
    parser.print_help()
    return EXIT_BAD_INPUT


#: commands after which the process ends at once (:func:`console_main`): the window's own shutdown is left alone
FAST_EXIT_COMMANDS = frozenset({"analyze", "export", "new", "compare", "beds", "suggest"})


def console_main(argv: Sequence[str] | None = None) -> None:
    """The ``carecircle`` command: :func:`main`, then for a batch command the process ends at once — its
    outputs are written, synced and closed, so tearing down a heap of hundreds of megabytes object by object
    (0.13 s of the bench county's 3 s) gains nothing. Streams and logging are flushed first."""
    args = list(sys.argv[1:] if argv is None else argv)
    rc = main(args)
    try:
        command = build_parser().parse_known_args(args)[0].command
    except SystemExit:  # pragma: no cover - main parsed them already
        command = None
    if command in FAST_EXIT_COMMANDS:
        import logging
        import os

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":  # pragma: no cover
    console_main()
