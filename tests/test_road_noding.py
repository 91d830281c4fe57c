"""Road noding with a tolerance (``build_network(snap_m=...)``): near-miss vertices, undershoots, crossings.

Real data: the Ninghua (Fujian) OpenStreetMap export, projected by ``build_network`` (UTM 50N), made noisy
(sub-millimetre jitter on every vertex) or undershot (line ends cut 0.3 m short of the road they meet).
Hand-made cases in EPSG:32650 have exact node and edge counts.
"""
from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from shapely import ops
from shapely.geometry import LineString, Point

from layers.roads import read_roads
from spatial.network import (
    DEFAULT_SNAP_M,
    NodingReport,
    WalkNetwork,
    build_network,
    islands,
    noding_note,
)

NINGHUA = Path(__file__).parent / "data" / "layers" / "osm_ninghua_fujian.osm"
CRS = "EPSG:32650"


def _lines(*coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"highway": ["residential"] * len(coords)}, geometry=[LineString(c) for c in coords], crs=CRS)


def _n_components(net: WalkNetwork) -> int:
    return int(net.component.max()) + 1


def _node(net: WalkNetwork, x: float, y: float, *, within_m: float = 1e-9) -> int:
    d = np.hypot(net.x - x, net.y - y)
    i = int(np.argmin(d))
    assert d[i] <= within_m, f"no node at ({x}, {y})"
    return i


def _edge_length(net: WalkNetwork, a: int, b: int) -> float:
    hit = np.flatnonzero((net.u == min(a, b)) & (net.v == max(a, b)))
    assert hit.size == 1
    return float(net.length_m[hit[0]])


# ------------------------------------------------------------------------------------- real OSM data


@pytest.fixture(scope="module")
def ninghua() -> gpd.GeoDataFrame:
    """The Ninghua roads in the metric CRS build_network picks for them (levels dropped: the undershoot cases
    are made at ground level; bridges and tunnels have their own test)."""
    roads = read_roads(NINGHUA).drop(columns="layer")
    return roads.to_crs(build_network(roads).crs)


@pytest.fixture(scope="module")
def clean(ninghua: gpd.GeoDataFrame) -> WalkNetwork:
    return build_network(ninghua)


def test_clean_osm_network_is_untouched_by_the_tolerance(ninghua: gpd.GeoDataFrame, clean: WalkNetwork) -> None:
    exact = build_network(ninghua, snap_m=0)
    assert clean.crs.to_epsg() == 32650
    assert (clean.n_nodes, clean.n_edges) == (exact.n_nodes, exact.n_edges) == (233, 245)
    np.testing.assert_array_equal(clean.x, exact.x)
    np.testing.assert_array_equal(clean.u, exact.u)
    np.testing.assert_array_equal(clean.length_m, exact.length_m)
    assert clean.noding == NodingReport(snap_m=DEFAULT_SNAP_M, components_exact=1, components=1)
    assert exact.noding.snap_m == 0.0
    assert noding_note(clean.noding) is None


@pytest.fixture(scope="module")
def noisy(ninghua: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every vertex moved by up to ±0.4 mm in x and y (seeded): shared vertices no longer agree to 1 mm."""
    geoms = ninghua.geometry.to_numpy()
    coords = shapely.get_coordinates(geoms)
    jitter = np.random.default_rng(20240607).uniform(-0.0004, 0.0004, coords.shape)
    out = ninghua.copy()
    out.geometry = shapely.set_coordinates(geoms.copy(), coords + jitter)
    return out


def test_submillimetre_noise_breaks_exact_noding(noisy: gpd.GeoDataFrame, clean: WalkNetwork) -> None:
    exact = build_network(noisy, snap_m=0)
    assert _n_components(exact) >= _n_components(clean) + 5
    assert exact.n_nodes > clean.n_nodes
    assert exact.noding.components_exact == exact.noding.components == _n_components(exact)


def test_tolerance_repairs_noise(noisy: gpd.GeoDataFrame, clean: WalkNetwork) -> None:
    net = build_network(noisy)
    exact = build_network(noisy, snap_m=0)
    assert (net.n_nodes, net.n_edges) == (clean.n_nodes, clean.n_edges)
    assert _n_components(net) == _n_components(clean) == 1
    rep = net.noding
    assert rep.vertices_merged == exact.n_nodes - clean.n_nodes > 0
    assert rep.undershoots_closed == 0
    assert rep.components_exact == _n_components(exact)
    assert rep.components == 1
    assert rep.islands_from_near_misses == _n_components(exact) - 1
    assert len(islands(net)) == 0 and len(islands(exact)) == _n_components(exact) - 1
    # nodes where they were (the mean of the noisy copies), walking distances as on the clean network
    dist_to_node, match = cKDTree(np.column_stack([net.x, net.y])).query(np.column_stack([clean.x, clean.y]))
    assert dist_to_node.max() < 0.002
    assert np.unique(match).size == clean.n_nodes
    sources = np.random.default_rng(3).choice(clean.n_nodes, 5, replace=False)
    d_clean = csgraph.dijkstra(clean.csr, directed=False, indices=sources)
    d_noisy = csgraph.dijkstra(net.csr, directed=False, indices=match[sources])[:, match]
    assert np.isfinite(d_clean).all()
    assert np.abs(d_noisy - d_clean).max() < 1.0
    note = noding_note(rep)
    assert note == (
        f"road noding joined {rep.vertices_merged} vertices within 0.5 m (0 undershoots closed); "
        f"{rep.islands_from_near_misses} islands came from near-misses"
    )


@pytest.fixture(scope="module")
def undershot(ninghua: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Lines that end on another line cut 0.3 m short. Where the other line runs straight through the
    junction (its vertex there within 1 cm of the chord of its neighbours) that vertex is dropped too, as
    in a layer never noded at T junctions: the cut end is 0.3 m from an edge and far from any vertex.
    Returns the lines and the number of such true undershoots."""
    lines = [list(g.coords) for g in ninghua.geometry]
    interior: dict[tuple[float, float], list[tuple[int, int]]] = {}
    end_of: dict[tuple[float, float], list[int]] = {}
    for i, cs in enumerate(lines):
        for k, xy in enumerate(cs):
            if 0 < k < len(cs) - 1:
                interior.setdefault(xy, []).append((i, k))
            else:
                end_of.setdefault(xy, []).append(i)
    drop: dict[int, set[int]] = {}
    true_undershoots = 0
    for xy, through in interior.items():
        if xy not in end_of:
            continue
        if len(through) == 1:
            i, k = through[0]
            cs = lines[i]
            if LineString([cs[k - 1], cs[k + 1]]).distance(Point(xy)) < 0.01:
                drop.setdefault(i, set()).add(k)
                true_undershoots += len(end_of[xy])
    cut = []
    for i, cs in enumerate(lines):
        line = LineString([xy for k, xy in enumerate(cs) if k not in drop.get(i, set())])
        start = 0.3 if cs[0] in interior else 0.0
        stop = line.length - 0.3 if cs[-1] in interior else line.length
        cut.append(ops.substring(line, start, stop))
    out = ninghua.copy()
    out.geometry = cut
    return out, true_undershoots


def test_tolerance_closes_undershoots(undershot: tuple[gpd.GeoDataFrame, int], clean: WalkNetwork) -> None:
    lines, true_undershoots = undershot
    assert true_undershoots >= 10
    exact = build_network(lines, snap_m=0)
    assert _n_components(exact) >= _n_components(clean) + 10
    net = build_network(lines)
    rep = net.noding
    assert _n_components(net) == rep.components == _n_components(clean)
    assert rep.undershoots_closed == true_undershoots
    assert rep.vertices_merged > 0  # the ends cut 0.3 m from a junction vertex that stayed
    assert rep.components_exact == _n_components(exact)
    assert rep.islands_from_near_misses == _n_components(exact) - _n_components(clean)
    # the split points replace the dropped junction vertices; where two cut ends meet the road from both
    # sides their split points differ (one such junction here): a 2 cm edge joins them
    assert net.n_nodes - clean.n_nodes == net.n_edges - clean.n_edges == 1
    assert np.sort(net.length_m)[1:] == pytest.approx(np.sort(clean.length_m), abs=0.3)
    assert np.sort(net.length_m)[0] < 0.05
    assert net.length_m.sum() == pytest.approx(clean.length_m.sum(), abs=0.3 * true_undershoots)
    assert "undershoots closed" in noding_note(rep)


# ------------------------------------------------------------------------------------- hand-made cases


def test_crossing_without_shared_vertex_stays_apart() -> None:
    net = build_network(_lines([(0, 0), (200, 0)], [(100, -100), (100, 100)]))
    assert (net.n_nodes, net.n_edges) == (4, 2)
    assert _n_components(net) == 2
    assert net.noding == NodingReport(snap_m=0.5, components_exact=2, components=2)
    # even when one line's vertex lies right next to (but not on) the other line's interior
    net = build_network(_lines([(0, 0), (200, 0)], [(100, -100), (100.0, 0.3), (100, 100)]))
    assert (net.n_nodes, net.n_edges, _n_components(net)) == (5, 3, 2)


@pytest.mark.parametrize(("short_m", "joined"), [(0.3, True), (0.0, True), (0.6, False)])
def test_t_junction_undershoot(short_m: float, joined: bool) -> None:
    net = build_network(_lines([(0, 0), (200, 0)], [(100, short_m), (100, 100)]))
    if joined:
        assert (net.n_nodes, net.n_edges) == (4, 3)
        assert _n_components(net) == 1
        mid = _node(net, 100, 0)
        assert _edge_length(net, _node(net, 0, 0), mid) == pytest.approx(100.0)
        assert _edge_length(net, mid, _node(net, 200, 0)) == pytest.approx(100.0)
        assert _edge_length(net, mid, _node(net, 100, 100)) == pytest.approx(100.0)  # the gap is walked
        assert net.noding.undershoots_closed == 1 and net.noding.vertices_merged == 0
        assert net.noding.components_exact == 2 and net.noding.islands_from_near_misses == 1
        assert noding_note(net.noding) == (
            "road noding joined 0 vertices within 0.5 m (1 undershoot closed); 1 island came from near-misses"
        )
    else:
        assert (net.n_nodes, net.n_edges) == (4, 2)
        assert _n_components(net) == 2
        assert net.noding.undershoots_closed == 0
        assert noding_note(net.noding) is None
    # with a larger tolerance the 0.6 m gap is closed too; with none, nothing is
    assert _n_components(build_network(_lines([(0, 0), (200, 0)], [(100, short_m), (100, 100)]), snap_m=0.7)) == 1
    assert _n_components(build_network(_lines([(0, 0), (200, 0)], [(100, short_m), (100, 100)]), snap_m=0)) == 2


def test_split_edge_lengths_sum_to_the_original() -> None:
    bar = [(3.0, 7.0), (133.0, 24.0)]
    old = math.dist(*bar)
    # two stems from both sides at different points, ends 0.2 and 0.4 m off the bar
    direction = np.subtract(bar[1], bar[0]) / old
    normal = np.array([-direction[1], direction[0]])
    p1 = np.add(bar[0], 40.3 * direction)
    p2 = np.add(bar[0], 91.7 * direction)
    stem1 = [tuple(p1 + 0.2 * normal), tuple(p1 + 50 * normal)]
    stem2 = [tuple(p2 - 0.4 * normal), tuple(p2 - 30 * normal)]
    net = build_network(_lines(bar, stem1, stem2))
    assert (net.n_nodes, net.n_edges) == (6, 5)
    assert net.noding.undershoots_closed == 2
    a, b = _node(net, *bar[0]), _node(net, *bar[1])
    # the stems' vertices are first put on the 1 mm grid: the split points are within a millimetre
    s1, s2 = _node(net, *p1, within_m=0.001), _node(net, *p2, within_m=0.001)
    pieces = [_edge_length(net, a, s1), _edge_length(net, s1, s2), _edge_length(net, s2, b)]
    assert pieces == pytest.approx([40.3, 91.7 - 40.3, old - 91.7], abs=0.001)
    assert sum(pieces) == pytest.approx(old, abs=1e-9)
    assert _edge_length(net, s1, _node(net, *stem1[1], within_m=0.001)) == pytest.approx(50.0, abs=0.002)
    assert _edge_length(net, s2, _node(net, *stem2[1], within_m=0.001)) == pytest.approx(30.0, abs=0.002)


def test_near_miss_junction_vertices_merge() -> None:
    # a road meets another's vertex 0.6 mm off (on another 1 mm grid point), a third one 0.25 m off
    lines = _lines([(0, 0), (100, 0), (200, 0)], [(100.0006, 0.0), (100, 80)], [(100.25, 0), (100, -80)])
    exact = build_network(lines, snap_m=0)
    assert (exact.n_nodes, exact.n_edges, _n_components(exact)) == (7, 4, 3)
    net = build_network(lines)
    assert (net.n_nodes, net.n_edges, _n_components(net)) == (5, 4, 1)
    assert net.noding.vertices_merged == 2
    assert net.noding.undershoots_closed == 0
    assert net.noding.islands_from_near_misses == 2
    hub = int(np.argmax(np.bincount(np.concatenate([net.u, net.v]))))
    assert net.x[hub] == pytest.approx((100 + 100.001 + 100.25) / 3)  # the mean of the merged (1 mm) vertices
    assert net.y[hub] == 0.0
    assert noding_note(net.noding) == (
        "road noding joined 2 vertices within 0.5 m (0 undershoots closed); 2 islands came from near-misses"
    )


def test_noisy_junction_next_to_a_short_segment_is_noded_as_the_clean_one() -> None:
    # road A has a vertex 0.3 m before the junction J where B ends; noise splits J (0.6 mm): the short
    # 0.3 m segment of A stays, as in the clean data (J's two copies are one vertex when judging "linked")
    a = [(0, 0), (99.7, 0), (100, 0), (200, 0)]
    for b_start in [(100, 0), (100.0006, 0.0004)]:
        net = build_network(_lines(a, [b_start, (100, 80)]))
        assert (net.n_nodes, net.n_edges, _n_components(net)) == (5, 4, 1)
        assert sorted(net.length_m.round(3).tolist()) == [0.3, 80.0, 99.7, 100.0]


def test_dense_line_does_not_collapse() -> None:
    # vertices every 0.1 m: neighbours along one line are never merged
    dense = [(0.1 * i, 0.0) for i in range(51)]
    net = build_network(_lines(dense))
    assert (net.n_nodes, net.n_edges) == (51, 50)
    assert net.length_m.sum() == pytest.approx(5.0)
    assert net.noding.vertices_merged == 0 and net.noding.chains_split == 0


def test_chain_guard_moves_no_vertex_more_than_the_tolerance() -> None:
    # two dense lines 0.3 m apart: pairs across chain 4 m of vertices together; the chain is split
    upper = [(0.2 * i, 0.3) for i in range(21)]
    lower = [(0.2 * i + 0.1, 0.0) for i in range(21)]
    net = build_network(_lines(upper, lower))
    assert net.noding.chains_split == 1
    assert _n_components(net) == 1
    original = np.array(upper + lower)
    d, _ = cKDTree(np.column_stack([net.x, net.y])).query(original)
    assert d.max() <= 0.5
    assert 42 - net.n_nodes == net.noding.vertices_merged > 0
    assert net.n_nodes >= 8  # at least one node per 0.5 m of the 4 m run


def test_line_end_hooked_back_onto_itself_closes() -> None:
    net = build_network(_lines([(0, 0), (10, 0), (10, 2), (5, 0.4)]))
    assert (net.n_nodes, net.n_edges) == (4, 4)
    assert net.noding.undershoots_closed == 1
    split = _node(net, 5, 0)
    assert _edge_length(net, _node(net, 0, 0), split) + _edge_length(net, split, _node(net, 10, 0)) == pytest.approx(10)


@pytest.mark.parametrize(
    "stub",
    [
        [(10, 0), (10, 0.4)],  # a 0.4 m stub at a line's end: within 0.5 m of that line's last vertex
        [(5, 0), (5.3, 0.3)],  # a 0.42 m stub off a junction, 0.3 m from the through road
        [(5, 0), (5.1, 0.4), (5.3, 0.3)],  # a 0.64 m hook back towards the road it started from
    ],
)
def test_ends_already_linked_close_by_are_left_alone(stub: list[tuple[float, float]]) -> None:
    road = [(0, 0), (5, 0), (10, 0)]
    exact = build_network(_lines(road, stub), snap_m=0)
    net = build_network(_lines(road, stub))
    assert (net.n_nodes, net.n_edges) == (exact.n_nodes, exact.n_edges)
    assert net.noding.undershoots_closed == 0 and net.noding.vertices_merged == 0
    assert noding_note(net.noding) is None


def test_collapsed_and_duplicate_edges() -> None:
    # a road digitised twice, 0.2 m apart: one set of edges
    net = build_network(_lines([(0, 0), (50, 0), (100, 0)], [(0, 0.2), (50, 0.2), (100, 0.2)]))
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert net.noding.vertices_merged == 3
    assert net.length_m.tolist() == pytest.approx([50.0, 50.0])
    # a 0.22 m stray line at a junction vertex collapses into it
    net = build_network(_lines([(0, 0), (50, 0), (100, 0)], [(50.1, 0.1), (50.2, -0.1)]))
    assert (net.n_nodes, net.n_edges) == (3, 2)
    assert _n_components(net) == 1
    assert net.noding.components_exact == 2


@pytest.mark.parametrize("bad", [float("nan"), -0.1, float("inf"), -float("inf")])
def test_bad_tolerance_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="snap_m"):
        build_network(_lines([(0, 0), (1, 0)]), snap_m=bad)


def test_walk_network_without_report_still_constructs() -> None:
    net = WalkNetwork(
        crs=build_network(_lines([(0, 0), (1, 0)])).crs,
        x=np.array([0.0, 1.0]), y=np.array([0.0, 0.0]),
        u=np.array([0]), v=np.array([1]), length_m=np.array([1.0]),
        highway=np.array(["residential"], dtype=object), name=np.array([None], dtype=object),
    )
    assert net.noding == NodingReport()
    assert net.noding.islands_from_near_misses == 0
    assert noding_note(net.noding) is None


def test_layers_are_joined_only_on_the_same_layer() -> None:
    def frame(layers: list[object], *coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"highway": ["service"] * len(coords), "layer": layers}, geometry=[LineString(c) for c in coords], crs=CRS
        )

    street, tunnel_end = [(0, 0), (200, 0)], [(100, 0.3), (100, 100)]
    # a tunnel (layer -1) ending 0.3 m under a street is not joined to it; the same line at street level is
    assert _n_components(build_network(frame([None, -1], street, tunnel_end))) == 2
    assert _n_components(build_network(frame([None, "0"], street, tunnel_end))) == 1
    assert _n_components(build_network(frame([0, float("nan")], street, tunnel_end))) == 1
    # near-miss vertices on different layers stay apart; identical ones (a ramp onto a bridge) are one node
    ramp = [(200.2, 0), (300, 0)]
    assert _n_components(build_network(frame([None, 1], street, ramp))) == 2
    assert _n_components(build_network(frame(["1", 1.0], street, ramp))) == 1
    assert _n_components(build_network(frame([None, 1], street, [(200, 0), (300, 0)]))) == 1
    # ... and so are vertices within 1 cm (coordinate noise at a bridge's end)
    assert _n_components(build_network(frame([None, 1], street, [(200.0006, 0.0004), (300, 0)]))) == 1
    assert _n_components(build_network(frame([None, 1], street, [(200.0006, 0.0004), (300, 0)]), snap_m=0)) == 2


def test_rows_without_geometry_keep_attributes_aligned() -> None:
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "residential"], "name": ["gone", "kept"]},
        geometry=[LineString(), LineString([(0, 0), (10, 0)])],
        crs=CRS,
    )
    net = build_network(lines)
    assert net.highway.tolist() == ["residential"] and net.name.tolist() == ["kept"]
