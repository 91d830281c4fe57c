"""Bed access (issue 17): 2SFCA and E2SFCA against a hand-computed example, per township on a small network, and
the bed-quota suggestion raising the lowest township."""
import math

import geopandas as gpd
import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import LineString, Point, box

from spatial.access import bed_access, decay_weight, suggest_beds, two_step_fca
from spatial.analysis import AnalysisInputs, AnalysisParams, CoverageModel
from spatial.network import build_network
from spatial.targets import StandardProfile

CRS = "EPSG:32651"

# three places with 1,000 / 2,000 / 500 elderly, two homes with 30 and 20 nursing-type beds; minutes:
#   L1-S1 10, L2-S1 20, L2-S2 5, L3-S2 25 (catchment 30 minutes)
MINUTES = sparse.csr_matrix(([10.0, 20.0, 5.0, 25.0], ([0, 1, 1, 2], [0, 0, 1, 1])), shape=(3, 2))
P = np.array([1000.0, 2000.0, 500.0])
S = np.array([30.0, 20.0])


def test_2sfca_by_hand():
    r = two_step_fca(MINUTES, elderly=P, beds=S, catchment_minutes=30, decay="none")
    # S1: 30 beds / (1000 + 2000) = 10 per 1,000; S2: 20 / (2000 + 500) = 8 per 1,000
    assert r.ratio_per_1000 == pytest.approx([10.0, 8.0])
    # L1 sees S1 only (10), L2 both (18), L3 S2 only (8)
    assert r.access_per_1000 == pytest.approx([10.0, 18.0, 8.0])
    assert (P * r.access_per_1000).sum() / 1000 == pytest.approx(S.sum())


def test_e2sfca_by_hand():
    def w(d):  # Gaussian decay, 1 at the home, 0 at 30 minutes
        return (math.exp(-0.5 * (d / 30) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))

    assert w(0) == pytest.approx(1.0) and w(30) == pytest.approx(0.0) and w(10) == pytest.approx(0.86266, abs=1e-5)
    r = two_step_fca(MINUTES, elderly=P, beds=S, catchment_minutes=30, decay="gaussian")
    d1 = 1000 * w(10) + 2000 * w(20)
    d2 = 2000 * w(5) + 500 * w(25)
    r1, r2 = 30 / d1, 20 / d2
    assert r.ratio_per_1000 == pytest.approx([1000 * r1, 1000 * r2])
    assert r.access_per_1000 == pytest.approx([1000 * r1 * w(10), 1000 * (r1 * w(20) + r2 * w(5)), 1000 * r2 * w(25)])
    assert (P * r.access_per_1000).sum() / 1000 == pytest.approx(S.sum())
    assert decay_weight(np.array([31.0]), catchment_minutes=30)[0] == 0.0


def test_missing_is_not_zero():
    with pytest.raises(ValueError):
        two_step_fca(MINUTES, elderly=np.array([1000.0, np.nan, 500.0]), beds=S, catchment_minutes=30)


def _model():
    lines = [LineString([(0, 0), (3000, 0)])]
    net = build_network(gpd.GeoDataFrame({"highway": ["residential"]}, geometry=lines, crs=CRS))
    towns = gpd.GeoDataFrame({"name": ["西镇", "中镇", "东镇"], "elderly": [1000.0, 1000.0, 1000.0]},
                             geometry=[box(-10, -10, 1000, 10), box(1000, -10, 2000, 10), box(2000, -10, 3010, 10)], crs=CRS)
    pop = gpd.GeoDataFrame({"elderly": [1000.0, 1000.0, 1000.0]}, geometry=[Point(500, 0), Point(1500, 0), Point(2500, 0)], crs=CRS)
    facs = gpd.GeoDataFrame({"fid": ["N1", "N2"], "name": ["西院", "东院"], "type": ["nursing_home", "nursing_home"],
                             "beds": [100, 40], "nursing_beds": [60, 20], "status": ["existing", "existing"]},
                            geometry=[Point(500, 0), Point(2500, 0)], crs=CRS)
    params = AnalysisParams(profile=StandardProfile("t"), speed_kmh=3.6)
    m = CoverageModel(AnalysisInputs(network=net, townships=towns, facilities=facs, population=pop), params)
    m.load_facilities(facs)
    return m


def test_bed_access_per_township_and_quota():
    m = _model()
    # 3.6 km/h, 20 minutes = 1,200 m: each home reaches its own place and the middle one (1,000 m)
    acc = bed_access(m, catchment_minutes=20, decay="none")
    t = acc.townships.set_index("township")
    assert t.loc["西镇", "access_per_1000"] == pytest.approx(30.0)  # 60 beds / 2,000 elderly
    assert t.loc["东镇", "access_per_1000"] == pytest.approx(10.0)  # 20 / 2,000
    assert t.loc["中镇", "access_per_1000"] == pytest.approx(40.0)
    assert (acc.locations["elderly"] * acc.locations["access_per_1000"]).sum() / 1000 == pytest.approx(80.0)
    alloc = suggest_beds(acc, budget_beds=40, step_beds=10)
    assert alloc.beds == {"N2": 40}  # the east home lifts 东镇, the lowest
    assert alloc.after["东镇"] == pytest.approx(30.0) and alloc.after.min() > alloc.before.min()
    e2 = bed_access(m, catchment_minutes=20, decay="gaussian")
    assert (e2.locations["elderly"] * e2.locations["access_per_1000"]).sum() / 1000 == pytest.approx(80.0)


def test_sample_bed_access_and_quota():
    from projects.document import Document
    from projects.siting import siting_model

    doc = Document.from_sample()
    m = siting_model(doc.project, scenario=doc.plan.baseline, network=doc.network)
    beds = sum(f.nursing_beds for f in m.circles.counted() if f.type in m.classes.with_beds("all"))
    for decay in ("none", "gaussian"):
        acc = bed_access(m, catchment_minutes=30, decay=decay)
        assert len(acc.townships) == len(m.township_names)
        reached = (acc.locations["elderly"] * acc.locations["access_per_1000"]).sum() / 1000
        assert reached == pytest.approx(beds)  # every home has someone within its catchment on the sample
    alloc = suggest_beds(acc, budget_beds=200, step_beds=10)
    assert sum(alloc.beds.values()) == 200
    assert alloc.after.min() > alloc.before.min()
