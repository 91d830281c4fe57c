"""The plan document: edits through its API, one current result, exports of it equal to a fresh analysis of
the saved project (what `carecircle export` does)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from gui.cli import main as cli_main
from layers.errors import InputError
from projects.document import Document


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The sample edited through the document API, exported and saved."""
    out = tmp_path_factory.mktemp("doc")
    doc = Document.from_sample()
    before = doc.result
    day = doc.facilities[doc.facilities["type"] == "day_care"].iloc[0]
    doc.move_facility(day.fid, day.geometry.x + 0.02, day.geometry.y)  # about 2 km east
    doc.new_scenario("试验方案")
    doc.use_scenario("试验方案")
    added = doc.add_facility("日间照料中心", "下原镇日间照料中心（规划）", 120.5048, 32.4296, beds=20, nursing_beds=5)  # 杏窑社区
    home = doc.facilities[doc.facilities["type"] == "nursing_home"].iloc[0]
    doc.set_attributes(home.fid, beds=int(home.beds) + 40)
    gone = doc.facilities[doc.facilities["type"] == "meal_point"].iloc[0].fid
    doc.remove_facility(gone)
    paths = doc.export(xlsx=out / "a.xlsx", gpkg=out / "a.gpkg", csv=out / "a.csv", html=out / "a.html")
    saved = doc.save(out / "edited.ccproj")
    return doc, before, paths, saved, out, {"moved": day.fid, "added": added, "home": home.fid, "gone": gone}


def test_every_edit_reaches_the_one_result(edited):
    doc, before, _, _, _, ids = edited
    r = doc.result
    assert r is doc.result and not r.pending  # one object until the next edit
    assert r.params.statuses == ("existing", "planned") and doc.scenario == "试验方案"
    circles = r.facility_circles
    assert ids["added"] in set(circles["facility_id"]) and ids["gone"] not in set(circles["facility_id"])
    circles = circles.to_crs(32651)
    moved_now = circles[(circles["facility_id"] == ids["moved"]) & (circles["minutes"] == 15.0)].geometry.iloc[0]
    then = before.facility_circles.to_crs(32651)
    moved_then = then[(then["facility_id"] == ids["moved"]) & (then["minutes"] == 15.0)].geometry.iloc[0]
    assert moved_now.intersection(moved_then).area < 0.5 * moved_then.area  # the circle moved with the centre
    cov = r.coverage_frame().set_index(["township", "type"])
    assert cov.loc[("下原镇", "day_care"), "facilities"] == 1 and cov.loc[("下原镇", "day_care"), "elderly_covered"] > 0
    with pytest.raises(Exception):
        r.figures = []  # frozen


def test_exports_equal_a_fresh_analysis_of_the_saved_project(edited, tmp_path):
    doc, _, paths, saved, out, _ = edited
    assert cli_main(["export", str(saved), "--xlsx", str(tmp_path / "b.xlsx"), "--gpkg", str(tmp_path / "b.gpkg"),
                     "--csv", str(tmp_path / "b.csv"), "--quiet"]) == 0
    a, b = pd.read_csv(paths["csv"], encoding="utf-8-sig"), pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(a, b, check_exact=False, atol=0.05)
    for sheet in openpyxl.load_workbook(paths["xlsx"]).sheetnames:
        ra = [[c.value for c in row] for row in openpyxl.load_workbook(paths["xlsx"])[sheet].iter_rows()]
        rb = [[c.value for c in row] for row in openpyxl.load_workbook(tmp_path / "b.xlsx")[sheet].iter_rows()]
        assert len(ra) == len(rb), sheet
        for x, y in zip(ra, rb):
            assert [round(v, 3) if isinstance(v, float) else v for v in x] == \
                   [round(v, 3) if isinstance(v, float) else v for v in y], sheet
    for layer, _ in pyogrio.list_layers(paths["gpkg"]):
        fa = pyogrio.read_dataframe(paths["gpkg"], layer=layer)
        fb = pyogrio.read_dataframe(tmp_path / "b.gpkg", layer=layer)
        assert len(fa) == len(fb), layer
        if isinstance(fa, gpd.GeoDataFrame) and len(fa):
            ga, gb = fa.geometry.to_crs(32651), fb.geometry.to_crs(32651)
            sym = ga.symmetric_difference(gb, align=False).area.to_numpy()
            assert np.all(sym <= 1e-6 * ga.area.to_numpy() + 0.01), layer  # equal to a hundredth of a square metre


def test_api_refuses_bad_edits_and_changes_nothing(edited):
    doc, *_ = edited
    version = doc.version
    with pytest.raises(InputError, match="unknown facility class"):
        doc.add_facility("卫生院", "某卫生院", 120.5, 32.4)
    with pytest.raises(InputError, match="not degrees"):
        doc.add_facility("日间照料中心", "错", 40_500_000, 3_580_000)
    fid = doc.facilities.iloc[0].fid
    with pytest.raises(InputError, match="nursing beds"):
        doc.set_attributes(fid, nursing_beds=10_000)
    with pytest.raises(InputError, match="unknown settings"):
        doc.set_settings(colour="red")
    assert doc.version == version


def test_settings_change_redoes_the_analysis_and_is_saved(tmp_path):
    doc = Document.from_sample()
    doc.set_settings(profile="nantong-2014", minutes=(5, 10), speed_kmh=2.52, buffer_m=30, elderly_basis="registered",
                     cell_m=12.0, gap_cell_m=30.0)
    r = doc.result
    assert r.params.profile.name == "nantong-2014" and r.params.minutes == (5.0, 10.0) and r.params.buffer_m == 30
    assert r.params.cell_m == 12.0 and r.params.gap_cell_m == 30.0 and r.params.elderly_basis == "registered"
    assert sorted(r.isochrones["minutes"].unique()) == [5.0, 10.0]
    again = Document.open(doc.save(tmp_path / "s.ccproj"))
    assert again.settings == doc.settings
    assert cli_main(["analyze", str(tmp_path / "s.ccproj"), "--out", str(tmp_path / "o"), "--quiet", "--no-facility-circles"]) == 0
    notes = (tmp_path / "o" / "notes.txt").read_text(encoding="utf-8")
    assert "nantong-2014" in notes and "户籍" in notes and "步速 2.52 km/h" in notes


def test_compare_from_the_document_and_its_workbook_sheet(edited, tmp_path):
    doc, *_ = edited
    cmp = doc.compare()  # the active plan scenario against the baseline
    assert (cmp.base, cmp.other) == ("现状", "试验方案")
    day = cmp.table[(cmp.table["type"] == "day_care") & (cmp.table["township"] == "下原镇")].iloc[0]
    assert day["delta_pp"] > 0  # the added centre covers people in 下原镇
    paths = doc.export(xlsx=tmp_path / "c.xlsx", comparison=cmp)
    assert "方案对比" in openpyxl.load_workbook(paths["xlsx"]).sheetnames


def test_replacing_the_facility_list_keeps_the_plans_and_undo_restores_everything():
    doc = Document.from_sample()
    plan = doc.plan
    doc.use_scenario("2025规划")
    fid = doc.add_facility("day_care", "新规划日照中心", 120.57, 32.38)
    planned_before = {f for f, x in plan.scenarios["2025规划"].items() if x.status == "planned"}
    old_net = doc.network
    base = plan.frame(plan.baseline)
    kept = base[base["status"] == "existing"].iloc[:-3]  # a newer list: three facilities fewer
    token = doc.replace_layer("facilities", kept)
    assert set(plan.scenarios[plan.baseline]) == set(kept["fid"])
    sc = plan.scenarios["2025规划"]
    assert fid in sc and planned_before <= set(sc)  # planned facilities stay in the plan
    assert set(kept["fid"]) <= set(sc) and not set(base["fid"].iloc[-3:]) & {f for f, x in sc.items() if x.status == "existing"}
    assert doc.network is old_net
    doc.restore_layer(token)
    assert set(plan.scenarios[plan.baseline]) == set(base["fid"])
    assert doc.result.figures  # the analysis runs again on the restored plan


def test_replacing_the_roads_takes_a_prebuilt_network_and_undo_builds_nothing():
    doc = Document.from_sample()
    old_net = doc.network
    roads = doc.project.roads.iloc[: len(doc.project.roads) // 2]
    token = doc.replace_layer("roads", roads)
    assert doc.network is not old_net and doc.network.n_edges < old_net.n_edges
    doc.restore_layer(token)
    assert doc.network is old_net
    prebuilt = doc.settings.network(roads)
    doc.replace_layer("roads", roads, network=prebuilt)
    assert doc.network is prebuilt
