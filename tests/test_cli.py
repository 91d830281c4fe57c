"""`carecircle analyze` with explicit files (real Ninghua OSM export) and with bad input."""
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gui.cli import main

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
    cov["flags"] = cov["flags"].fillna("")
    assert list(cov.columns) == ["township", "type", "elderly", "elderly_covered", "covered_share", "facilities", "beds",
                                 "nursing_beds", "beds_per_1000", "nursing_share", "flags"]
    assert len(cov) == 6
    east_nh = cov[(cov.township == "翠江镇东") & (cov.type == "nursing_home")].iloc[0]
    assert east_nh.elderly == 800 and east_nh.beds == 120 and east_nh.beds_per_1000 == 150.0
    assert east_nh.nursing_share == pytest.approx(20 / 120, abs=1e-4)
    assert east_nh["flags"] == "nursing_share_low"  # 16.7% < 30%
    west_nh = cov[(cov.township == "翠江镇西") & (cov.type == "nursing_home")].iloc[0]
    assert west_nh["flags"] == "beds_per_1000_low"  # no beds in the west
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
    assert set(gaps["type"]) <= {"day_care", "nursing_home", "meal_point"}
    indicators = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig")
    row = indicators[(indicators.township == "翠江镇东") & (indicators.flag == "nursing_share_low")].iloc[0]
    assert row.target == 0.3 and row.actual == pytest.approx(0.1667, abs=1e-4)


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
    assert info.sources.base_dir == SAMPLE_DIR and info.profile == "nantong-2014"
    bad = tmp_path / "mine.toml"
    bad.write_text('title = "x"\nroads = "r.osm"\n', encoding="utf-8")
    with pytest.raises(InputError, match="townships, facilities"):
        sample_info(bad)
