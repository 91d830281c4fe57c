"""`carecircle analyze` with explicit files (real Ninghua OSM export) and with bad input."""
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gui.cli import main
from layers.classes import registry

DATA = Path(__file__).parent / "data" / "layers"
NINGHUA = DATA / "osm_ninghua_fujian.osm"


@pytest.fixture
def ninghua_files(tmp_path):
    towns = gpd.GeoDataFrame(
        {"名称": ["翠江镇西", "翠江镇东"], "老年人口": [1200, 800]},
        geometry=[box(116.640, 26.255, 116.662, 26.285), box(116.662, 26.255, 116.680, 26.285)],
        crs="EPSG:4326",
    )
    towns.to_file(tmp_path / "towns.geojson", driver="GeoJSON")
    fac = pd.DataFrame(
        {
            "名称": ["翠江日间照料中心", "县社会福利中心", "南大街长者食堂"],
            "类型": ["日间照料中心", "养老机构", "助餐点"],
            "经度": [116.6560, 116.6700, 116.6620],
            "纬度": [26.2700, 26.2650, 26.2640],
            "床位数": [10, 120, 0],
            "护理型床位数": [0, 20, 0],
            "状态": ["现状", "现状", "规划"],
        }
    )
    fac.to_csv(tmp_path / "fac.csv", index=False, encoding="utf-8-sig")
    return tmp_path


def test_analyze_explicit_files(ninghua_files, capsys):
    out = ninghua_files / "out"
    code = main(["analyze", "--roads", str(NINGHUA), "--townships", str(ninghua_files / "towns.geojson"),
                 "--facilities", str(ninghua_files / "fac.csv"), "--profile", "changzhou-2014", "--out", str(out), "--quiet"])
    assert code == 0
    raw = (out / "coverage.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    cov = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig")
    cov["flags"] = cov["flags"].astype(object).fillna("")
    assert list(cov.columns) == ["township", "type", "elderly", "elderly_covered", "covered_share", "facilities", "beds",
                                 "nursing_beds", "beds_per_1000", "nursing_share", "flags"]
    assert len(cov) == 2 * 8 + 8  # two townships x the registry's eight classes, and a 合计 row per class
    east_nh = cov[(cov.township == "翠江镇东") & (cov.type == "nursing_home")].iloc[0]
    assert east_nh.elderly == 800 and east_nh.beds == 120 and east_nh.beds_per_1000 == 150.0
    assert east_nh.nursing_share == pytest.approx(20 / 120, abs=1e-4)
    # beds per 1,000 and the nursing share are county targets: a township's figures are a balance view, never a flag
    assert set(cov["flags"]) == {""}
    total = cov[(cov.township == "合计") & (cov.type == "nursing_home")].iloc[0]
    assert total.elderly == 2000 and total.beds == 120
    assert cov[(cov.township == "合计") & (cov.type == "meal_point")].iloc[0].facilities == 0  # 规划: not in the baseline
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    assert list(targets.columns) == ["target_id", "level", "unit", "indicator", "target", "actual", "met", "gap", "source"]
    beds = targets[targets.target_id == "beds-per-1000"]
    assert len(beds) == 1 and beds.iloc[0].level == "county" and beds.iloc[0].unit == "全县"
    assert beds.iloc[0].actual == pytest.approx(1000 * (10 + 120) / 2000) and bool(beds.iloc[0].met)
    # 常州's 30 % nursing share is for 市区 only: no street here, so the figure is unknown, not 0 and not met
    urban = targets[targets.target_id == "nursing-share-urban"].iloc[0]
    assert pd.isna(urban.actual) and not bool(urban.met)
    assert "市区护理型床位占养老床位总数的30%以上" in urban.source
    notes = (out / "notes.txt").read_text(encoding="utf-8")
    assert "计入设施状态：现状" in notes and "常住" in notes
    for _, row in cov.iterrows():
        assert 0 <= row.elderly_covered <= row.elderly
    iso = gpd.read_file(out / "isochrones.gpkg", layer="day_care")
    assert iso.crs.to_epsg() == 4326 and sorted(iso["minutes"]) == [5.0, 10.0, 15.0]
    areas = iso.sort_values("minutes").to_crs(32650).geometry.area.to_list()
    assert areas[0] < areas[1] < areas[2]  # cumulative bands grow
    assert 0.05e6 < areas[2] < 2.6e6  # 900 m of streets from one point: far less than the 2.5 km2 crow-flies disk
    circles = gpd.read_file(out / "isochrones.gpkg", layer="facility_circles")
    assert set(circles["name"]) == {"翠江日间照料中心", "县社会福利中心", "南大街长者食堂"}
    gaps = gpd.read_file(out / "gaps.gpkg", layer="gaps")
    assert set(gaps["type"]) <= set(registry().ids)
    indicators = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig")
    assert len(indicators) == int((~targets["met"]).sum()) and not indicators["met"].any()


def test_every_class_of_the_plans_reaches_the_outputs(ninghua_files):
    fac = pd.DataFrame({
        "名称": ["翠江居家养老服务站", "城郊村幸福院", "南门长者驿站", "翠江镇居家养老服务中心", "县福利院", "规划驿站"],
        "类型": ["居家养老服务站", "幸福院", "长者驿站", "居家养老服务中心", "福利院", "长者驿站"],
        "经度": [116.6560, 116.6700, 116.6620, 116.6590, 116.6650, 116.6640],
        "纬度": [26.2700, 26.2650, 26.2640, 26.2680, 26.2660, 26.2700],
        "床位数": [0, 0, 6, 20, 200, 8],
        "护理型床位数": [0, 0, 0, 0, 120, 0],
        "状态": ["现状", "现状", "现状", "现状", "现状", "规划"],
    })
    fac.to_csv(ninghua_files / "plans.csv", index=False, encoding="utf-8-sig")
    out = ninghua_files / "out2"
    args = ["analyze", "--roads", str(NINGHUA), "--townships", str(ninghua_files / "towns.geojson"), "--facilities",
            str(ninghua_files / "plans.csv"), "--profile", "rugao-2022", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    cov = pd.read_csv(out / "coverage.csv", encoding="utf-8-sig")
    total = cov[cov.township == "合计"].set_index("type")
    for cls in ("home_care_station", "rural_mutual_aid", "elder_station", "home_care_centre", "nursing_home"):
        assert total.loc[cls, "facilities"] == 1, cls
    assert set(gpd.read_file(out / "isochrones.gpkg", layer="facility_circles")["type"]) >= {"home_care_station", "rural_mutual_aid", "elder_station"}
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    county = targets[(targets.target_id == "elder-stations-per-township") & (targets.level == "county")].iloc[0]
    assert (county.target, county.actual) == (2, 1)  # one of the two towns has its 长者驿站 (the planned one does not count)
    # the same list as a plan: existing and planned facilities count
    assert main([*args, "--statuses", "existing,planned", "--out", str(ninghua_files / "out3")]) == 0
    plan = pd.read_csv(ninghua_files / "out3" / "coverage.csv", encoding="utf-8-sig")
    assert plan[(plan.township == "合计") & (plan.type == "elder_station")].iloc[0].facilities == 2


def test_sample_county_bed_row_equals_existing_beds_over_elderly(tmp_path):
    from layers.classes import registry
    from projects.inputs import SAMPLE_DIR

    assert main(["analyze", "--sample", "--profile", "nantong-2014", "--no-facility-circles", "--out", str(tmp_path), "--quiet"]) == 0
    targets = pd.read_csv(tmp_path / "targets.csv", encoding="utf-8-sig")
    fac = pd.read_csv(SAMPLE_DIR / "facilities.csv", encoding="utf-8-sig")
    elderly = pd.read_csv(SAMPLE_DIR / "township_elderly.csv", encoding="utf-8-sig")["老年人口"].sum()
    reg = registry()
    existing = fac[(fac["状态"] == "现状") & fac["类型"].map(reg.lookup).isin(reg.with_beds("all"))]
    beds = targets[targets.target_id == "beds-per-1000"]
    assert len(beds) == 1 and beds.iloc[0].level == "county" and beds.iloc[0].unit == "全市"
    assert beds.iloc[0].actual == pytest.approx(1000 * existing["床位数"].sum() / elderly, abs=1e-4)
    assert "covered_share" not in set(targets["indicator"])
    assert (targets[targets.level == "township"]["indicator"] != "beds_per_1000").all()


def test_bad_facility_file_exits_2_with_one_line(ninghua_files, capsys):
    bad = ninghua_files / "bad.csv"
    bad.write_text("名称,类型,经度,纬度\n某中心,日间照料中心,abc,26.27\n", encoding="utf-8")
    code = main(["analyze", "--roads", str(NINGHUA), "--townships", str(ninghua_files / "towns.geojson"),
                 "--facilities", str(bad), "--out", str(ninghua_files / "o"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.csv" in err[0] and "row 2" in err[0] and "经度" in err[0]


def test_missing_roads_file_exits_2(ninghua_files, capsys):
    code = main(["analyze", "--roads", str(ninghua_files / "nope.osm.pbf"), "--townships", str(ninghua_files / "towns.geojson"),
                 "--facilities", str(ninghua_files / "fac.csv"), "--out", str(ninghua_files / "o"), "--quiet"])
    assert code == 2
    assert "nope.osm.pbf" in capsys.readouterr().err


def test_unknown_profile_exits_2(ninghua_files, capsys):
    code = main(["analyze", "--roads", str(NINGHUA), "--townships", str(ninghua_files / "towns.geojson"),
                 "--facilities", str(ninghua_files / "fac.csv"), "--profile", "shanghai-2030", "--out", str(ninghua_files / "o")])
    assert code == 2
    assert "nantong-2014" in capsys.readouterr().err  # lists the bundled profiles


def test_manifest_file_of_layer_files(tmp_path):
    from projects.inputs import SAMPLE_DIR, sample_info

    from layers.errors import InputError

    info = sample_info(SAMPLE_DIR / "sample.toml")
    assert info.sources.base_dir == SAMPLE_DIR and info.profile == "rugao-2022" and info.elderly_basis == "resident"
    bad = tmp_path / "mine.toml"
    bad.write_text('title = "x"\nroads = "r.osm"\n', encoding="utf-8")
    with pytest.raises(InputError, match="townships, facilities"):
        sample_info(bad)


def test_beds_command_conserves_the_beds_and_spends_the_quota(tmp_path, capsys):
    """Plain 2SFCA hands out every nursing-type bed of a facility with elderly in its catchment: the elderly-
    weighted access of the townships adds up to the beds; the quota is spent whole, in blocks."""
    out = tmp_path / "beds"
    assert main(["beds", "--sample", "--decay", "none", "--catchment-min", "60", "--budget-beds", "100",
                 "--out", str(out), "--quiet"]) == 0
    towns = pd.read_csv(out / "bed_access.csv", encoding="utf-8-sig")
    assert len(towns) == 14 and towns["elderly"].dtype.kind == "i"  # whole persons
    handed = float((towns["elderly"] * towns["access_per_1000"] / 1000.0).sum())
    assert handed == pytest.approx(float(towns["nursing_beds"].sum()), rel=0.01)
    added = pd.read_csv(out / "bed_suggestions.csv", encoding="utf-8-sig")
    assert int(added["added_nursing_beds"].sum()) == 100 and (added["added_nursing_beds"] % 10 == 0).all()
    assert "the lowest township" in capsys.readouterr().out
    assert main(["beds", "--sample", "--budget-beds", "-5", "--out", str(out)]) == 2


def test_one_progress_bar_for_the_whole_command(ninghua_files, capsys):
    """Reading, the analysis and writing share one bar that only goes up, writing last (not 0-100 % twice)."""
    import re

    out = ninghua_files / "out"
    rc = main(["analyze", "--roads", str(NINGHUA), "--townships", str(ninghua_files / "towns.geojson"),
               "--facilities", str(ninghua_files / "fac.csv"), "--out", str(out)])
    assert rc == 0
    err = capsys.readouterr().err
    steps = [(int(p), s) for p, s in re.findall(r"^\s*(\d+)% (.+?) \(\d+\.\d s\)$", err, flags=re.M)]
    pct = [p for p, _ in steps]
    assert len(steps) > 8 and pct == sorted(pct) and pct[-1] == 100
    writing = [p for p, s in steps if s.startswith("writing")]
    assert writing and 80 <= writing[0] < 100 and all(p < writing[0] for p, s in steps if s.startswith("gap areas"))


def test_the_console_command_ends_at_once_with_its_outputs_and_exit_status(ninghua_files, tmp_path):
    """``carecircle`` (console_main) ends a batch command with os._exit: what it printed is flushed first, the
    exit status is main's, the outputs are complete."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    roads, towns, facs = NINGHUA, ninghua_files / "towns.geojson", ninghua_files / "fac.csv"
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-c", "import sys; from gui.cli import console_main; console_main(sys.argv[1:])", *args],
        cwd=root, capture_output=True, text=True, timeout=300)
    done = run("analyze", "--roads", str(roads), "--townships", str(towns), "--facilities", str(facs),
               "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == f"notes: {tmp_path / 'out' / 'notes.txt'}"  # flushed to a pipe
    assert {"coverage.csv", "isochrones.gpkg", "gaps.gpkg", "notes.txt"} <= {p.name for p in (tmp_path / "out").iterdir()}
    failed = run("analyze", "--roads", str(tmp_path / "none.gpkg"), "--townships", str(towns), "--facilities", str(facs),
                 "--out", str(tmp_path / "x"))
    assert failed.returncode == 2 and failed.stderr.strip().splitlines()[-1].startswith("carecircle: error:")
