"""Gap parts on the gap grid, made incrementally (issue 19).

A class's gap cells are the cells within the gap buffer of an *uncovered* sample of the elderly, split into
4-connected regions of one township (its parts). Every class's gap cells are a subset of the cells within the
buffer of *any* sample (the base cells), and they differ from them only in the base regions that hold a cell
no uncovered sample reaches. A base region with no such cell is a region of the class as it is: the same
cells, and its neighbours, off or of another township in the base, are so in the class too.

So the base regions are traced once per model (:func:`grid_parts`, kept in the model's gap base) and a class
re-traces only the regions it changes (:func:`class_parts`): their cells that stay on, each region's box
packed beside the others into one raster (shelf packing, empty cells between boxes), labelled (4-connected:
one region's cells never meet another's) and polygonised at once. Classes covering a few per cent of the
elderly re-trace a few per cent of the grid. The parts are those a trace of the whole class grid gives,
cell for cell (tested against it).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from scipy import ndimage

from .isochrones import _shelf_pack
from .polygonize import Outlines, Project, corner_coordinates, outlines_of_labels, polygons_of_outlines

__all__ = ["ClassParts", "GridParts", "class_parts", "grid_parts", "township_components"]


def township_components(town: NDArray[np.integer]) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """The 4-connected regions of equal township in a grid of township index + 1 (0 = none): a grid of region
    ids (1.., 0 = none) and the township index of each region."""
    comp = np.zeros(town.shape, np.int32)
    towns: list[NDArray[np.int64]] = []
    n = 0
    for v, sl in enumerate(ndimage.find_objects(town), start=1):
        if sl is None:
            continue
        lab, k = ndimage.label(town[sl] == v)
        m = lab > 0
        comp[sl][m] = lab[m] + n
        towns.append(np.full(k, v - 1, np.int64))
        n += k
    return comp, (np.concatenate(towns) if towns else np.zeros(0, np.int64))


@dataclass(frozen=True)
class GridParts:
    """The regions (4-connected cells of one township) of a grid's on cells, traced: region ``c`` (1..n) has
    township ``town[c - 1]``, ``cells[c - 1]`` cells, its first cell in row-major order at flat index
    ``first[c - 1]`` and the box ``r0..r1, c0..c1`` (end exclusive); its cells' flat indices are
    ``order[start[c - 1]:start[c]]`` (row-major). Its polygon is ``poly[c - 1]`` of ``outlines`` (one each), with
    vertex coordinates ``vx, vy`` on the grid's transform; polygons per vertex map are made once
    (:meth:`polygons`)."""

    comp: NDArray[np.int32]
    town: NDArray[np.int64]
    cells: NDArray[np.int64]
    first: NDArray[np.int64]
    r0: NDArray[np.int64]
    r1: NDArray[np.int64]
    c0: NDArray[np.int64]
    c1: NDArray[np.int64]
    order: NDArray[np.int64]
    start: NDArray[np.int64]
    outlines: Outlines
    poly: NDArray[np.int64]
    vx: NDArray[np.float64]
    vy: NDArray[np.float64]
    _made: dict = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.town.size)

    def polygons(self, key: str, project: Project | None) -> NDArray[np.object_]:
        """Each region's polygon (region order), its vertices through ``project`` — made once per ``key``."""
        with self._lock:
            if key not in self._made:
                polys = polygons_of_outlines(self.outlines, x=self.vx, y=self.vy, project=project)
                self._made[key] = polys[self.poly] if polys.size else polys
            return self._made[key]


def grid_parts(on: NDArray[np.bool_], town_grid: NDArray[np.integer], *, transform: Affine) -> GridParts:
    """The :class:`GridParts` of the cells ``on`` of a grid with townships ``town_grid`` (index + 1, 0 = none)."""
    comp, comp_town = township_components(np.where(on, town_grid, 0))
    n = comp_town.size
    rows, cols = np.nonzero(comp)  # row-major
    cid = comp[rows, cols]
    # grouped by region, row-major within (a stable sort; radix on 16-bit keys)
    srt = np.argsort(cid.astype(np.uint16) if n < 2**16 else cid, kind="stable")
    rows, cols = rows[srt], cols[srt]
    order = rows * comp.shape[1] + cols
    cells = np.bincount(cid, minlength=n + 1)[1:]
    del cid, srt
    start = np.zeros(n + 1, np.int64)
    np.cumsum(cells, out=start[1:])
    if n:
        first = order[start[:-1]]
        r0, r1 = np.minimum.reduceat(rows, start[:-1]), np.maximum.reduceat(rows, start[:-1]) + 1
        c0, c1 = np.minimum.reduceat(cols, start[:-1]), np.maximum.reduceat(cols, start[:-1]) + 1
    else:
        first = r0 = r1 = c0 = c1 = np.zeros(0, np.int64)
    o = outlines_of_labels(comp)
    vx, vy = corner_coordinates(o, transform)
    poly = np.zeros(n, np.int64)
    poly[o.value - 1] = np.arange(o.value.size)
    return GridParts(comp, comp_town, cells, first, r0, r1, c0, c1, order, start, o, poly, vx, vy)


@dataclass(frozen=True)
class ClassParts:
    """A class's parts: the base regions it keeps, then the regions it re-traced (:func:`class_parts`); per part
    its township, cells and first cell (row-major flat index on the grid), and its polygon (``geoms``, through
    the vertex map asked for; in grid units through :meth:`metric`)."""

    town: NDArray[np.int64]
    cells: NDArray[np.int64]
    first: NDArray[np.int64]
    geoms: NDArray[np.object_]
    part_at: Callable[[NDArray[np.int64]], NDArray[np.int64]]
    metric: Callable[[], NDArray[np.object_]]


def class_parts(base: GridParts, on: NDArray[np.bool_], *, transform: Affine, key: str,
                project: Project | None) -> ClassParts:
    """The parts of a class whose gap cells ``on`` lie within the base's on cells (see the module). ``key`` and
    ``project`` name and give the vertex map of ``geoms`` (the base's polygons are kept per key);
    ``part_at(flat)`` is the part holding each given on cell (-1 where none)."""
    comp = base.comp
    shape = comp.shape
    n_base = base.n
    changed = np.flatnonzero((comp > 0) & ~on)
    affected = np.zeros(n_base + 1, bool)
    affected[comp.ravel()[changed]] = True
    affected[0] = False
    hit = np.nonzero(affected[1:])[0]  # affected regions (index = id - 1)
    kept = np.nonzero(~affected[1:])[0]
    # the kept base regions, as they are
    geoms_base = base.polygons(key, project)
    part_of_base = np.full(n_base + 1, -1, np.int64)
    part_of_base[kept + 1] = np.arange(kept.size)
    town = [base.town[kept]]
    cells_n = [base.cells[kept]]
    first = [base.first[kept]]
    geoms = [geoms_base[kept] if kept.size else np.zeros(0, object)]
    # the affected ones: their cells that stay on, each region's box packed beside the others
    win_of_comp = np.full(n_base + 1, -1, np.int64)
    win_of_comp[hit + 1] = np.arange(hit.size)
    lab = None
    if hit.size:
        counts = base.cells[hit]
        idx = np.repeat(base.start[hit] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        flat = base.order[idx]
        win = np.repeat(np.arange(hit.size), counts)
        stay = on.ravel()[flat]
        flat, win = flat[stay], win[stay]
        h, w = base.r1[hit] - base.r0[hit], base.c1[hit] - base.c0[hit]
        kr, kc, H, W = _shelf_pack(h + 1, w + 1)  # one empty row and column after each box
        rows, cols = flat // shape[1], flat % shape[1]
        pr = rows - base.r0[hit][win] + kr[win] + 1  # + 1: an empty frame around the packed raster
        pc = cols - base.c0[hit][win] + kc[win] + 1
        packed = np.zeros((H + 2, W + 2), np.uint8)
        packed[pr, pc] = 1
        lab, n_new = ndimage.label(packed)
        del packed
        lab_cell = lab[pr, pc].astype(np.int64)
        o = outlines_of_labels(lab)
        j_of_label = np.zeros(n_new + 1, np.int64)
        j_of_label[lab_cell] = win
        j = j_of_label[o.value[o.vertex_polygon()]]
        gr = o.row - 1 - kr[j] + base.r0[hit][j]
        gc = o.col - 1 - kc[j] + base.c0[hit][j]
        g = Outlines(gr.astype(np.int32), gc.astype(np.int32), o.ring_start, o.ring_polygon, o.value)
        vx, vy = corner_coordinates(g, transform)
        new_geoms = polygons_of_outlines(g, x=vx, y=vy, project=project)
        first_new = np.full(n_new + 1, np.iinfo(np.int64).max)
        np.minimum.at(first_new, lab_cell, flat)
        lbl = o.value  # the label of each new polygon, in their order
        town.append(base.town[hit[j_of_label[lbl]]])
        cells_n.append(np.bincount(lab_cell, minlength=n_new + 1)[lbl])
        first.append(first_new[lbl])
        geoms.append(new_geoms)
        part_of_label = np.full(n_new + 1, -1, np.int64)
        part_of_label[lbl] = kept.size + np.arange(lbl.size)
        offsets = (kr, kc, hit)
    town_a, cells_a, first_a = (np.concatenate(a) for a in (town, cells_n, first))
    geoms_a = np.concatenate(geoms) if len(geoms) > 1 else geoms[0]

    def part_at(cells_flat: NDArray[np.int64]) -> NDArray[np.int64]:
        c = comp.ravel()[cells_flat].astype(np.int64)
        out = part_of_base[c]
        w = win_of_comp[c]
        sel = np.nonzero(w >= 0)[0]
        if sel.size and lab is not None:
            kr_, kc_, hit_ = offsets
            ww = w[sel]
            rr, cc = cells_flat[sel] // shape[1], cells_flat[sel] % shape[1]
            lab_here = lab[rr - base.r0[hit_][ww] + kr_[ww] + 1, cc - base.c0[hit_][ww] + kc_[ww] + 1]
            out[sel] = part_of_label[lab_here]  # -1 where the cell is off for the class
        return out

    def metric() -> NDArray[np.object_]:
        if project is None:
            return geoms_a
        parts = [base.polygons("grid", None)[kept] if kept.size else np.zeros(0, object)]
        if len(geoms) > 1:
            parts.append(polygons_of_outlines(g, x=vx, y=vy))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    return ClassParts(town_a, cells_a, first_a, geoms_a, part_at, metric)
