"""Never silently wrong: coordinates checked against the CRS a file states, distances never measured in a
distorting projection, bad numbers refused, outputs written all or nothing (issue: bring your own county)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
from shapely.geometry import LineString, box

from gui.cli import main
from layers.crs import is_walkable_metric, likely_crs, metric_crs_for
from layers.errors import InputError
from layers.roads import read_roads
from layers.townships import read_townships
from projects.profiles import load_profile
from spatial.analysis import AnalysisParams

DATA = Path(__file__).parent / "data" / "layers"
NINGHUA = DATA / "osm_ninghua_fujian.osm"


def test_gauss_krueger_metres_in_a_geojson_without_crs_are_refused_with_the_zone_named(tmp_path):
    # GeoJSON has no CRS member: readers take WGS 84; these are CGCS2000 3-degree GK zone 40 metres (如皋)
    towns = gpd.GeoDataFrame({"name": ["甲镇"], "elderly": [100]},
                             geometry=[box(40_531_000, 3_580_000, 40_536_000, 3_585_000)], crs="EPSG:4326")
    path = tmp_path / "towns.geojson"
    towns.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError) as err:
        read_townships(path)
    msg = str(err.value)
    assert "towns.geojson" in msg and "zone 40" in msg and "EPSG:4528" in msg and "\n" not in msg


def test_a_prj_saying_wgs84_on_gauss_krueger_roads_is_refused(tmp_path):
    roads = gpd.GeoDataFrame({"highway": ["residential"]},
                             geometry=[LineString([(531_000, 3_580_000), (532_000, 3_580_500)])], crs="EPSG:4326")
    path = tmp_path / "roads.shp"
    roads.to_file(path)
    with pytest.raises(InputError, match="without the zone number"):
        read_roads(path)


def test_degrees_in_a_projected_crs_are_refused(tmp_path):
    towns = gpd.GeoDataFrame({"name": ["甲镇"]}, geometry=[box(120.5, 32.3, 120.6, 32.4)], crs="EPSG:4528")
    path = tmp_path / "towns.gpkg"
    towns.to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="look like longitude/latitude degrees"):
        read_townships(path)


def test_web_mercator_is_never_used_for_walking_distances():
    assert not is_walkable_metric(pyproj.CRS.from_epsg(3857))
    assert is_walkable_metric(pyproj.CRS.from_epsg(4528)) and is_walkable_metric(pyproj.CRS.from_epsg(32651))
    assert metric_crs_for(120.6, 32.4, source=pyproj.CRS.from_epsg(3857)).to_epsg() == 32651
    assert metric_crs_for(120.6, 32.4, source=pyproj.CRS.from_epsg(4549)).to_epsg() == 4549
    assert "Web Mercator" in likely_crs(13_430_000, 3_815_000)


@pytest.mark.parametrize("field", ["speed_kmh", "buffer_m", "cell_m", "gap_cell_m"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_nan_and_inf_settings_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        AnalysisParams(profile=load_profile("rugao-2022"), **{field: value})
    with pytest.raises(ValueError, match="minutes"):
        AnalysisParams(profile=load_profile("rugao-2022"), minutes=(5.0, value))


def _towns(tmp_path):
    t = gpd.GeoDataFrame({"名称": ["翠江镇"], "老年人口": [1200]}, geometry=[box(116.640, 26.255, 116.680, 26.285)], crs="EPSG:4326")
    t.to_file(tmp_path / "towns.geojson", driver="GeoJSON")
    (tmp_path / "fac.csv").write_text("名称,类型,经度,纬度\n翠江日间照料中心,日间照料中心,116.6560,26.2700\n", encoding="utf-8")
    return ["analyze", "--roads", str(NINGHUA), "--townships", str(tmp_path / "towns.geojson"),
            "--facilities", str(tmp_path / "fac.csv"), "--quiet", "--no-facility-circles"]


@pytest.mark.parametrize("option", [["--minutes", "5,nan"], ["--buffer-m", "inf"], ["--speed-kmh", "nan"]])
def test_cli_refuses_bad_numbers_in_one_line(tmp_path, capsys, option):
    assert main([*_towns(tmp_path), *option, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("carecircle: error:")


def test_outputs_all_or_nothing_and_no_stale_files(tmp_path, capsys, monkeypatch):
    args = _towns(tmp_path)
    out = tmp_path / "o"
    out.mkdir()
    (out / "warnings.txt").write_text("old warning\n", encoding="utf-8")
    (out / "mine.txt").write_text("keep me\n", encoding="utf-8")
    assert main([*args, "--out", str(out)]) == 0
    capsys.readouterr()  # the first run's output and warnings
    assert (out / "mine.txt").read_text(encoding="utf-8") == "keep me\n"  # not ours: left alone
    assert not (out / "warnings.txt").exists() or "old warning" not in (out / "warnings.txt").read_text(encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # a failure while writing (disk full) leaves the folder as it was, and says so in one line
    import projects.outputs as outputs

    def full(*a, **k):
        raise OSError(28, "No space left on device", str(out / "gaps.gpkg"))

    monkeypatch.setattr(outputs, "write_gpkg_layers", full)
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "gaps.gpkg" in err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o-")]  # no temporary folder left behind


def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "out.txt"
    target.write_text("x", encoding="utf-8")
    assert main([*_towns(tmp_path), "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out.txt" in err[0] and "folder" in err[0]
