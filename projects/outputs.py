"""Writing an analysis result to a folder: coverage.csv, targets.csv, indicators.csv, gaps.csv (the named
communities and villages outside each class's circle), isochrones.gpkg, gaps.gpkg."""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import InputError
from projects.forking import ForkedCall, can_fork, fork_call
from spatial.analysis import AnalysisResult


def write_csv_bom(frame: pd.DataFrame, path: Path) -> Path:
    """CSV in UTF-8 with a BOM (so Excel opens Chinese text correctly), written atomically."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n"))
    return path


def write_gpkg_layers(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """A GeoPackage with one layer per entry, written atomically (a temporary file, then rename)."""

    def write(tmp: Path) -> None:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", promote_to_multi=True,
                          geometry_type="MultiPolygon" if frame.empty else None)

    atomic_write(path, write)
    return path


def atomic_write(path: str | Path, write: Callable[[Path], None], *, suffix: str | None = None) -> Path:
    """Run ``write(tmp)`` on a temporary path beside ``path``, flush it to disk, then rename it over
    ``path``: readers see the old file or the new one, never half of one. ``suffix`` names the temporary
    file's ending (default: the target's; GDAL wants .gpkg for a GeoPackage)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder; give a file name", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL, openpyxl, Qt) create the file themselves
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


#: the files an analysis writes (a run removes those it does not write this time: no stale warnings)
ANALYSIS_FILES = ("coverage.csv", "targets.csv", "indicators.csv", "gaps.csv", "islands.csv", "isochrones.gpkg",
                  "gaps.gpkg", "warnings.txt", "warnings.csv", "notes.txt")

#: the columns of ``gaps.csv`` (:func:`named_gaps_table`), stable names with Chinese values
GAPS_CSV_COLUMNS = ["type", "type_label", "name", "kind", "township", "elderly", "nearest_facility", "nearest_id",
                    "walk_m", "lon", "lat"]
#: community kinds in Chinese (the layer's ``urban`` / ``village``)
KIND_LABELS = {"urban": "社区", "village": "村"}
#: ``nearest_facility`` of a community no counted facility of the class can be reached from on foot
UNREACHABLE = "不可达"
#: ``nearest_facility`` when the run counts no facility of the class at all
NO_FACILITY = "无该类设施"


def named_gaps_table(result: AnalysisResult, *, types: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The named gaps of ``result`` (:attr:`~spatial.analysis.AnalysisResult.named_gaps`) as ``gaps.csv``
    writes them (:data:`GAPS_CSV_COLUMNS`): per class (registry order; only ``types`` when given), the
    communities and villages outside the class's circle, most elderly first; ``kind`` 社区/村, ``elderly``
    whole persons (empty when the community layer gives none: missing is never 0), the nearest counted
    facility of the class and the walk to it in whole metres — ``不可达`` and an empty distance when none can
    be reached on foot, ``无该类设施`` when the run counts none of the class; WGS 84 ``lon``/``lat``."""
    gaps = result.named_gaps if result.named_gaps is not None else pd.DataFrame(columns=GAPS_CSV_COLUMNS)
    classes = result.params.classes
    if types is not None:
        gaps = gaps[gaps["type"].isin(types)]
    order = {t: i for i, t in enumerate(types if types is not None else classes.ids)}
    gaps = gaps.iloc[np.argsort([order.get(t, len(order)) for t in gaps["type"]], kind="stable")]
    # classes the run counts facilities of: in a township's figures, or the nearest of some community
    counted = {f.type for f in result.figures if f.facilities > 0} | set(gaps.loc[gaps["nearest_id"].notna(), "type"])
    walk = pd.to_numeric(gaps["walk_m"], errors="coerce").to_numpy(dtype=float)
    nearest = [str(n) if isinstance(n, str) else (UNREACHABLE if t in counted else NO_FACILITY)
               for n, t in zip(gaps["nearest_facility"], gaps["type"])]
    return pd.DataFrame({
        "type": gaps["type"].astype(str).to_numpy(),
        "type_label": [classes.label(str(t)) for t in gaps["type"]],
        "name": gaps["name"].astype(str).to_numpy(),
        "kind": [KIND_LABELS.get(str(k), str(k)) for k in gaps["kind"]],
        "township": [t if isinstance(t, str) else "" for t in gaps["township"]],
        "elderly": pd.array(gaps["elderly"], dtype="Int64"),
        "nearest_facility": nearest,
        "nearest_id": [str(i) if isinstance(i, str) else "" for i in gaps["nearest_id"]],
        "walk_m": pd.array(np.where(np.isfinite(walk), np.floor(walk + 0.5), np.nan), dtype="Int64"),
        "lon": gaps["lon"].astype(float).round(6).to_numpy(),
        "lat": gaps["lat"].astype(float).round(6).to_numpy(),
    }, columns=GAPS_CSV_COLUMNS)


def write_analysis(result: AnalysisResult, out_dir: Path) -> dict[str, Path]:
    """Write every output of ``result`` into ``out_dir``; returns the written paths by name.

    All or nothing: everything is written into a temporary folder beside ``out_dir`` first; only when all of
    it is written are the files moved into place, and outputs of an earlier run that this run does not
    write (e.g. a ``warnings.txt``) are removed. A failure leaves ``out_dir`` as it was."""
    with AnalysisWriter(out_dir) as writer:
        return writer.finish(result)


class AnalysisWriter:
    """Writes an analysis into ``out_dir`` as :func:`write_analysis` does (all or nothing). With ``processes``
    (the command line), where forking is safe (:func:`projects.forking.can_fork`), :attr:`gaps_sink` is the
    ``gaps_sink`` for :func:`spatial.analysis.run_analysis`: a forked process makes the gap areas and writes
    them — the largest file — while the analysis builds the circles, truly side by side (GDAL's writer holds
    the interpreter lock, so a thread would not overlap it), and they are never copied back.

    Use as a context manager: leaving it without :meth:`finish` (an error, a cancelled analysis) stops that
    process and removes what was written; ``out_dir`` is left as it was. The folder is checked and its
    temporary sibling made at once, before any analysis runs."""

    def __init__(self, out_dir: Path, *, processes: bool = False) -> None:
        self.out_dir = Path(out_dir)
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError("the output folder is a file; give a folder for --out", path=self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}-", dir=self.out_dir.parent))
        self._gaps: ForkedCall | Path | None = None
        #: what run_analysis takes as ``gaps_sink`` (None: the gap areas stay in the result, written by finish)
        self.gaps_sink = self._take_gaps if processes and can_fork() else None

    def __enter__(self) -> "AnalysisWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take_gaps(self, make: Callable[[], gpd.GeoDataFrame]) -> None:
        """Make the gap areas and write them (``gaps.gpkg``) in a forked process."""
        if self._gaps is not None:
            raise RuntimeError("the gap areas were handed over already")
        path = self._tmp / "gaps.gpkg"
        self._gaps = fork_call(lambda: write_gpkg_layers({"gaps": make()}, path))
        _yield_to_children()

    def finish(self, result: AnalysisResult) -> dict[str, Path]:
        """Write the rest of ``result``, wait for the gap areas, move everything into ``out_dir``; the written
        paths by name."""
        if self._gaps is None:
            if result.gaps is None:
                raise ValueError("the result holds no gap areas and none were handed to this writer")
            self._gaps = write_gpkg_layers({"gaps": result.gaps}, self._tmp / "gaps.gpkg")
        written = _write_the_rest(result, self._tmp)
        gaps = self._gaps.result() if isinstance(self._gaps, ForkedCall) else self._gaps
        self._gaps = gaps
        order = ["coverage", "targets", "indicators", "named_gaps", "islands", "isochrones"]
        written = {**{k: written[k] for k in order}, "gaps": gaps, **{k: v for k, v in written.items() if k not in order}}
        names = {p.name for p in written.values()}
        for name in ANALYSIS_FILES:
            if name not in names and (self.out_dir / name).exists():
                (self.out_dir / name).unlink()
        paths = {}
        for key, p in written.items():
            os.replace(p, self.out_dir / p.name)
            paths[key] = self.out_dir / p.name
        return paths

    def close(self) -> None:
        """Stop a writing process still running and remove the temporary folder."""
        if isinstance(self._gaps, ForkedCall):
            self._gaps.kill()
        shutil.rmtree(self._tmp, ignore_errors=True)


#: how much nicer than its gap writer the command's own threads become once it is forked (:func:`_yield_to_children`)
PARENT_NICE = 5


def _yield_to_children() -> None:
    """After forking the gap writer: this thread (and the polygon threads it starts after) a little nicer, so that
    where both want the two cores the writer's chain — making every class's gaps, then GDAL writing them alone
    on one core — goes first, and the circles, split over two threads, fill the rest (on the bench city the
    writer was the critical path by 3.6 s). Nothing to undo: the command ends with the analysis."""
    try:
        os.nice(PARENT_NICE)
    except (AttributeError, OSError):  # not POSIX, or not allowed
        pass


def _write_the_rest(result: AnalysisResult, out_dir: Path) -> dict[str, Path]:
    """Every output of ``result`` but the gap areas."""
    paths = {
        "coverage": write_csv_bom(result.coverage_frame(), out_dir / "coverage.csv"),
        "targets": write_csv_bom(result.targets_frame(), out_dir / "targets.csv"),
        "indicators": write_csv_bom(result.indicators_frame(), out_dir / "indicators.csv"),
        "named_gaps": write_csv_bom(named_gaps_table(result), out_dir / "gaps.csv"),
        "islands": write_csv_bom(result.islands, out_dir / "islands.csv"),
    }
    iso_layers = {}
    for t in result.params.classes.ids:
        frame = result.isochrones[result.isochrones["type"] == t].reset_index(drop=True)
        iso_layers[t] = gpd.GeoDataFrame(frame, geometry="geometry", crs=result.isochrones.crs)
    if result.facility_circles is not None:
        iso_layers["facility_circles"] = result.facility_circles
    paths["isochrones"] = write_gpkg_layers(iso_layers, out_dir / "isochrones.gpkg")
    if result.warnings:
        notes = out_dir / "warnings.txt"
        atomic_write(notes, lambda tmp: tmp.write_text("\n".join(result.warnings) + "\n", encoding="utf-8"))
        paths["warnings"] = notes
    details = result.warning_details
    if details is not None and len(details):
        paths["warning_details"] = write_csv_bom(details, out_dir / "warnings.csv")
    paths["notes"] = atomic_write(out_dir / "notes.txt", lambda tmp: tmp.write_text(run_notes(result), encoding="utf-8"))
    return paths


def run_notes(result: AnalysisResult) -> str:
    """What a run counted, in the words every export prints: profile, statuses, elderly basis, circle."""
    p = result.params
    prof = p.profile
    lines = [
        f"规划标准：{prof.title or prof.name}（{prof.name}）",
        p.counted_text(),
        f"服务圈：步行 {', '.join(f'{m:g}' for m in p.minutes)} 分钟，步速 {p.speed_kmh:g} km/h；覆盖按 {prof.coverage_minutes:g} 分钟计；"
        f"街道两侧深度 {p.buffer_m:g} 米，服务圈栅格 {p.cell_m:g} 米，缺口栅格 {p.gap_cell_m:g} 米",
    ]
    for t in prof.targets:
        lines.append(f"目标 {t.id}：{t.source}")
    return "\n".join(lines) + "\n"
