"""Never silently wrong across layers (issue: bring your own county): layers that do not overlap, a GCJ-02 or
BD-09 list read as WGS 84, townships that overlap or hold the county outline, every "missing becomes zero"
case, duplicate facilities, data outside China, per-layer import options on the command line and in the
project, grouped warnings with warnings.csv."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from gui.cli import main
from layers.checks import check_overlap, suggest_datum_shift
from layers.errors import InputError
from layers.facilities import read_facilities
from layers.gcj02 import gcj02_to_bd09, gcj02_to_wgs84
from layers.townships import apply_elderly_table, read_townships
from projects.ccproj import load_project
from projects.inputs import DataSources, LayerOptions, load_inputs, read_layer
from projects.profiles import load_profile
from spatial.analysis import AnalysisInputs, AnalysisParams, run_analysis
from spatial.coverage import build_demand
from spatial.network import build_network

SAMPLE = Path(__file__).resolve().parent.parent / "projects" / "sample"
NINGHUA = Path(__file__).parent / "data" / "layers" / "osm_ninghua_fujian.osm"


@pytest.fixture(scope="module")
def sample_roads():
    return read_layer("roads", SAMPLE / "roads.gpkg")


@pytest.fixture(scope="module")
def sample_towns():
    return read_townships(SAMPLE / "townships.gpkg")


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict], *, header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


# ------------------------------------------------------------------------------------ layers that do not overlap


def test_roads_of_another_province_are_refused_with_where_each_lies(sample_towns):
    fujian = read_layer("roads", NINGHUA)
    with pytest.raises(InputError) as err:
        check_overlap({"townships": sample_towns, "roads": fujian}, files={"roads": NINGHUA.name})
    msg = str(err.value)
    assert "roads" in msg and NINGHUA.name in msg and "km apart" in msg and "\n" not in msg
    assert "E" in msg and "N" in msg


def test_facilities_all_in_beijing_are_refused(sample_towns, tmp_path):
    rows = _rows(SAMPLE / "facilities.csv")[:5]
    for r in rows:
        r["经度"], r["纬度"] = f"{116.40 + 0.01 * float(r['经度']) % 0.01:.6f}", "39.90"
    fac = read_facilities(_write(tmp_path / "beijing.csv", rows), crs="gcj02")
    with pytest.raises(InputError, match="none of the 5 facilities"):
        check_overlap({"townships": sample_towns, "facilities": fac})


def test_load_inputs_refuses_before_building_anything(tmp_path):
    src = DataSources(roads=NINGHUA, townships=SAMPLE / "townships.gpkg", facilities=SAMPLE / "facilities.csv",
                      facilities_crs="gcj02")
    with pytest.raises(InputError, match="do not|none of"):
        load_inputs(src)


# ------------------------------------------------------------------------------------ GCJ-02 / BD-09 offsets


def test_a_gcj02_list_read_as_wgs84_is_noticed_and_the_flag_named(sample_roads, tmp_path):
    as_wgs = read_facilities(SAMPLE / "facilities.csv", crs="EPSG:4326")  # the file is GCJ-02 (Amap)
    line = suggest_datum_shift(as_wgs, sample_roads, declared="wgs84")
    assert line is not None and "GCJ-02" in line and "--crs facilities=gcj02" in line
    right = read_facilities(SAMPLE / "facilities.csv", crs="gcj02")
    assert suggest_datum_shift(right, sample_roads, declared="gcj02") is None


def test_a_baidu_list_is_noticed_and_read_right_with_bd09(sample_roads, tmp_path):
    rows = _rows(SAMPLE / "facilities.csv")
    lon = np.array([float(r["经度"]) for r in rows])
    lat = np.array([float(r["纬度"]) for r in rows])
    blon, blat = gcj02_to_bd09(lon, lat)
    for r, a, b in zip(rows, blon, blat):
        r["经度"], r["纬度"] = f"{a:.7f}", f"{b:.7f}"
    path = _write(tmp_path / "baidu.csv", rows)
    as_wgs = read_facilities(path, crs="EPSG:4326")
    line = suggest_datum_shift(as_wgs, sample_roads, declared="wgs84")
    assert line is not None and "BD-09" in line and "--crs facilities=bd09" in line
    as_gcj = read_facilities(path, crs="gcj02")
    assert "bd09" in suggest_datum_shift(as_gcj, sample_roads, declared="gcj02")
    right = read_facilities(path, crs="bd09")
    assert suggest_datum_shift(right, sample_roads, declared="bd09") is None
    ref = read_facilities(SAMPLE / "facilities.csv", crs="gcj02")
    d = right.geometry.to_crs(4528).distance(ref.geometry.to_crs(4528), align=False)
    assert float(d.max()) < 0.05  # centimetres


# ------------------------------------------------------------------------------------ townships


def _towns(tmp_path: Path, geoms: list, names: list[str], elderly=None) -> Path:
    gdf = gpd.GeoDataFrame({"name": names, "elderly": elderly or [100] * len(names)}, geometry=geoms, crs="EPSG:4528")
    path = tmp_path / "towns.gpkg"
    gdf.to_file(path, driver="GPKG")
    return path


X0, Y0 = 40_531_000, 3_580_000


def test_overlapping_townships_are_refused_and_slivers_pass(tmp_path):
    a, b = box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 1600, Y0, X0 + 3600, Y0 + 2000)
    with pytest.raises(InputError, match="overlap by .* 20% of the smaller"):
        read_townships(_towns(tmp_path, [a, b], ["甲镇", "乙镇"]))
    sliver = box(X0 + 1999, Y0, X0 + 4000, Y0 + 2000)  # 1 m of digitising overlap
    assert len(read_townships(_towns(tmp_path, [a, sliver], ["甲镇", "乙镇"]))) == 2
    apart = box(X0 + 1970, Y0, X0 + 4000, Y0 + 2000)  # boundaries drawn 30 m apart: 3 % of the smaller, thin
    assert len(read_townships(_towns(tmp_path, [a, apart], ["甲镇", "乙镇"]))) == 2


def test_the_county_outline_as_a_feature_is_refused(tmp_path):
    parts = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(3)]
    outline = box(X0, Y0, X0 + 3000, Y0 + 1000)
    with pytest.raises(InputError, match="feature 4 '如皋市' covers 3 other townships.*county outline"):
        read_townships(_towns(tmp_path, [*parts, outline], ["甲镇", "乙镇", "丙镇", "如皋市"]))


# ------------------------------------------------------------------------------------ missing is never zero


def test_a_township_without_an_elderly_count_is_refused_not_zero(sample_roads, sample_towns):
    towns = sample_towns.copy()
    towns.loc[2, "elderly"] = math.nan
    net = build_network(sample_roads)
    with pytest.raises(InputError, match=f"1 of 14 townships have no elderly count \\({towns.loc[2, 'name']}\\)"):
        build_demand(net, towns)


def test_a_township_missing_from_the_elderly_table_is_refused(sample_towns, tmp_path):
    rows = _rows(SAMPLE / "township_elderly.csv")
    towns = sample_towns.copy()
    towns["elderly"] = math.nan
    short = _write(tmp_path / "elderly.csv", rows[:-1])
    with pytest.raises(InputError, match="1 of the 14 townships are not in the elderly table"):
        apply_elderly_table(towns, short)
    full = apply_elderly_table(towns, _write(tmp_path / "full.csv", rows))
    assert full["elderly"].notna().all()
    # a township the layer already counted keeps its count, and the note says so
    kept = apply_elderly_table(sample_towns, short)
    assert kept["elderly"].notna().all() and any("keep the count" in n for n in kept.attrs["carecircle_notes"])


def test_a_totals_row_in_the_elderly_table_is_not_a_township(sample_towns, tmp_path):
    rows = _rows(SAMPLE / "township_elderly.csv")
    keys = list(rows[0])
    total = {keys[0]: "合计", **{k: "" for k in keys[1:]}}
    elderly_key = next(k for k in keys if "老" in k or "elderly" in k.lower())
    total[elderly_key] = str(sum(float(r[elderly_key]) for r in rows))
    towns = sample_towns.copy()
    towns["elderly"] = math.nan
    out = apply_elderly_table(towns, _write(tmp_path / "with_total.csv", [*rows, total], header=keys))
    assert out["elderly"].sum() == pytest.approx(float(total[elderly_key]))


def test_population_points_outside_every_township_are_counted_in_a_warning_or_refused(sample_roads, sample_towns):
    net = build_network(sample_roads)
    pts = read_layer("population", SAMPLE / "villages.gpkg")
    far = pts.copy()
    n_out = max(1, len(pts) // 25)  # about 4 %: warned with the count
    far.loc[far.index[:n_out], "geometry"] = far.geometry.iloc[:n_out].translate(xoff=200_000)
    dem = build_demand(net, sample_towns, population=far)
    assert dem.outside_points == n_out
    assert dem.outside_elderly == pytest.approx(float(far["elderly"].iloc[:n_out].sum()))
    most = pts.copy()
    most.loc[most.index[: len(pts) // 3], "geometry"] = most.geometry.iloc[: len(pts) // 3].translate(xoff=200_000)
    with pytest.raises(InputError, match="lie outside every township: the population and township layers do not match"):
        build_demand(net, sample_towns, population=most)


def test_empty_beds_are_refused_for_nursing_homes_and_noted_for_day_care(tmp_path):
    rows = _rows(SAMPLE / "facilities.csv")
    nh = next(i for i, r in enumerate(rows) if r["类型"] == "养老机构")
    bad = [dict(r) for r in rows]
    bad[nh]["床位数"] = ""
    bad[nh]["护理型床位数"] = ""
    with pytest.raises(InputError) as err:
        read_facilities(_write(tmp_path / "a.csv", bad), crs="gcj02")
    assert f"row {nh + 2}" in str(err.value) and "column 床位数" in str(err.value) and "missing is not zero" in str(err.value)
    dc = [i for i, r in enumerate(rows) if r["类型"] == "日间照料中心"][:3]
    soft = [dict(r) for r in rows]
    for i in dc:
        soft[i]["床位数"] = ""
        soft[i]["护理型床位数"] = ""
    fac = read_facilities(_write(tmp_path / "b.csv", soft), crs="gcj02")
    assert any("3 facilities with community beds have an empty beds cell" in n for n in fac.attrs["carecircle_notes"])
    no_col = [{k: v for k, v in r.items() if k not in ("床位数", "护理型床位数")} for r in rows]
    held = sum(r["类型"] in ("养老机构", "日间照料中心", "居家养老服务中心") for r in rows)
    notes = read_facilities(_write(tmp_path / "c.csv", no_col), crs="gcj02").attrs["carecircle_notes"]
    assert any("no beds column" in n and "bed targets cannot be judged" in n for n in notes)


def test_the_same_facility_twice_is_counted_once(tmp_path):
    rows = _rows(SAMPLE / "facilities.csv")
    nh = next(r for r in rows if r["类型"] == "养老机构")
    again = dict(nh, 编号="X9999")
    again["经度"] = f"{float(nh['经度']) + 0.00003:.6f}"  # about 3 m east
    fac = read_facilities(_write(tmp_path / "dup.csv", [*rows, again]), crs="gcj02")
    assert len(fac) == len(rows) and "X9999" not in set(fac["fid"])
    note = " ".join(fac.attrs["carecircle_notes"])
    assert "1 facilities are listed twice" in note and f"{int(nh['床位数']):,} beds not doubled" in note
    # no id column at all: the same rule
    no_id = [{k: v for k, v in r.items() if k != "编号"} for r in [*rows, again]]
    assert len(read_facilities(_write(tmp_path / "noid.csv", no_id), crs="gcj02")) == len(rows)
    # two different homes of the same name 2 km apart are two facilities
    far = dict(again, 经度=f"{float(nh['经度']) + 0.02:.6f}")
    assert len(read_facilities(_write(tmp_path / "far.csv", [*rows, far]), crs="gcj02")) == len(rows) + 1


# ------------------------------------------------------------------------------------ outside China


def _helsinki(tmp_path: Path) -> dict[str, Path]:
    lon0, lat0 = 24.94, 60.17
    towns = gpd.GeoDataFrame({"name": ["Kallio", "Töölö"], "elderly": [800.0, 600.0]},
                             geometry=[box(lon0, lat0, lon0 + 0.02, lat0 + 0.01), box(lon0 + 0.02, lat0, lon0 + 0.04, lat0 + 0.01)],
                             crs="EPSG:4326")
    lines = [LineString([(lon0 + 0.001, lat0 + 0.005), (lon0 + 0.039, lat0 + 0.005)])]
    lines += [LineString([(lon0 + 0.002 * i, lat0 + 0.001), (lon0 + 0.002 * i, lat0 + 0.009)]) for i in range(1, 20)]
    roads = gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs="EPSG:4326")
    paths = {"townships": tmp_path / "towns.gpkg", "roads": tmp_path / "roads.gpkg", "facilities": tmp_path / "fac.csv"}
    towns.to_file(paths["townships"], driver="GPKG")
    roads.to_file(paths["roads"], driver="GPKG")
    _write(paths["facilities"], [{"名称": "Kallio day centre", "类型": "日间照料中心", "经度": f"{lon0 + 0.01:.5f}",
                                  "纬度": f"{lat0 + 0.005:.5f}", "床位数": "10"}])
    return paths


def test_wgs84_data_outside_china_is_analysed_with_a_warning(tmp_path):
    p = _helsinki(tmp_path)
    inputs = load_inputs(DataSources(roads=p["roads"], townships=p["townships"], facilities=p["facilities"]))
    assert any("outside China" in n for n in inputs.notes)
    result = run_analysis(inputs, AnalysisParams(profile=load_profile("rugao-2022")), facility_circles=False)
    cov = result.coverage_frame()
    assert (cov["elderly_covered"] > 0).any()
    assert any("outside China" in w for w in result.warnings)


def test_gcj02_outside_china_is_refused(tmp_path):
    p = _helsinki(tmp_path)
    with pytest.raises(InputError, match="GCJ-02"):
        load_inputs(DataSources(roads=p["roads"], townships=p["townships"], facilities=p["facilities"],
                                facilities_crs="gcj02"))


# ------------------------------------------------------------------------------------ the command line


def test_cli_crs_columns_and_sheet_per_layer_and_the_project_keeps_them(tmp_path, capsys):
    import openpyxl

    towns = gpd.read_file(SAMPLE / "townships.gpkg").rename(columns={"name": "XZQMC", "elderly": "LNRK"})
    towns.to_crs(4528).to_file(tmp_path / "towns.shp", encoding="utf-8")
    (tmp_path / "towns.prj").unlink()  # no .prj: GK with the zone number is read as EPSG:4528 (said in a note)
    rows = _rows(SAMPLE / "facilities.csv")
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为如皋市养老服务设施清单"])
    ws = book.create_sheet("2023年")
    ws.append(["机构", "类型", "经度", "纬度", "核定床位", "护理型床位数", "状态"])
    for r in rows:
        ws.append([r["名称"], r["类型"], float(r["经度"]), float(r["纬度"]), int(r["床位数"]), int(r["护理型床位数"]), r["状态"]])
    book.save(tmp_path / "fac.xlsx")
    proj = tmp_path / "mine.ccproj"
    argv = ["new", str(proj), "--title", "如皋市", "--roads", str(SAMPLE / "roads.gpkg"), "--townships", str(tmp_path / "towns.shp"),
            "--facilities", str(tmp_path / "fac.xlsx"), "--crs", "facilities=gcj02", "--sheet", "facilities=2023年",
            "--columns", "facilities.name=机构", "--columns", "facilities.beds=核定床位", "--quiet"]
    assert main(argv) == 0, capsys.readouterr().err
    project = load_project(proj)
    assert project.imports["facilities"] == {"crs": "gcj02", "sheet": "2023年", "columns": {"beds": "核定床位", "name": "机构"}}
    assert project.sources["townships"] == "towns.shp"
    assert sum(project.plan.frame()["beds"]) == sum(int(r["床位数"]) for r in rows)
    assert main(["analyze", str(proj), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    ref = tmp_path / "ref"
    assert main(["analyze", "--roads", str(SAMPLE / "roads.gpkg"), "--townships", str(SAMPLE / "townships.gpkg"),
                 "--facilities", str(SAMPLE / "facilities.csv"), "--facilities-crs", "gcj02", "--out", str(ref), "--quiet"]) == 0
    mine = pd.read_csv(tmp_path / "out" / "coverage.csv", encoding="utf-8-sig")
    theirs = pd.read_csv(ref / "coverage.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(mine, theirs)


@pytest.mark.parametrize("argv, message", [
    (["--columns", "townships.nmae=XZQMC"], "unknown field 'townships.nmae'"),
    (["--crs", "facilities=EPSG:999999"], "unknown coordinate system"),
    (["--crs", "population=EPSG:4326"], "no such file"),
    (["--columns", "townships=XZQMC"], "LAYER.FIELD=HEADER"),
    (["--snap-m", "nan"], "snapping distance must be 0–10 m"),
    (["--snap-m", "-1"], "snapping distance must be 0–10 m"),
    (["--snap-m", "200"], "snapping distance must be 0–10 m"),
    (["--crs", "facilities=gcj02", "--facilities-crs", "gcj02"], "once"),
])
def test_cli_refuses_bad_import_options_in_one_line(tmp_path, capsys, argv, message):  # noqa: D103
    base = ["analyze", "--roads", str(SAMPLE / "roads.gpkg"), "--townships", str(SAMPLE / "townships.gpkg"),
            "--facilities", str(SAMPLE / "facilities.csv"), "--out", str(tmp_path / "o"), "--quiet"]
    with pytest.raises(SystemExit) if "LAYER.FIELD" in message else _nothing():
        code = main(base + argv)
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ------------------------------------------------------------------------------------ grouped warnings


def test_many_facilities_far_from_roads_make_one_line_and_a_csv(tmp_path, sample_roads, sample_towns):
    net = build_network(sample_roads)
    fac = read_facilities(SAMPLE / "facilities.csv", crs="gcj02")
    inputs = AnalysisInputs(network=net, townships=sample_towns, facilities=fac)
    result = run_analysis(inputs, AnalysisParams(profile=load_profile("rugao-2022")), facility_circles=False)
    details = result.warning_details
    assert list(details.columns) == ["kind", "facility_id", "name", "type", "beds", "value", "lon", "lat", "message"]
    # synthetic: every facility is "far" when the limit is 0 m
    import spatial.analysis as sa

    old = sa.FAR_FROM_ROAD_M
    sa.FAR_FROM_ROAD_M = 0.0
    try:
        result = run_analysis(inputs, AnalysisParams(profile=load_profile("rugao-2022")), facility_circles=False)
    finally:
        sa.FAR_FROM_ROAD_M = old
    far_lines = [w for w in result.warnings if "from a walkable road" in w or "from the nearest walkable road" in w]
    assert len(far_lines) == 1 and "listed in warnings.csv" in far_lines[0]
    n = int((result.warning_details["kind"] == "far_from_road").sum())
    assert far_lines[0].startswith(f"{n:,} facilities") and n > sa.GROUP_WARNINGS_OVER
    from projects.outputs import write_analysis

    paths = write_analysis(result, tmp_path / "out")
    table = pd.read_csv(paths["warning_details"], encoding="utf-8-sig")
    assert len(table) == len(result.warning_details) and set(table["kind"]) >= {"far_from_road"}


def test_writing_a_file_onto_a_folder_names_the_folder_not_a_temporary_file(tmp_path):
    from projects.outputs import atomic_write

    folder = tmp_path / "report.csv"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as err:
        atomic_write(folder, lambda tmp: tmp.write_text("x"))
    assert err.value.filename == str(folder) and "give a file name" in err.value.strerror
    assert list(tmp_path.iterdir()) == [folder]  # no temporary file left beside it


def test_above_the_limit_the_per_facility_circles_are_left_out_with_a_line(tmp_path, monkeypatch):
    import spatial.analysis as sa

    p = _helsinki(tmp_path)
    inputs = load_inputs(DataSources(roads=p["roads"], townships=p["townships"], facilities=p["facilities"]))
    params = AnalysisParams(profile=load_profile("rugao-2022"))
    assert run_analysis(inputs, params).facility_circles is not None
    monkeypatch.setattr(sa, "MAX_FACILITY_CIRCLES", 0)
    result = run_analysis(inputs, params)
    assert result.facility_circles is None
    assert any("circle is left out above 0 facilities" in w for w in result.warnings)
    assert len(result.isochrones) > 0  # the circles per class are complete


def test_chosen_coordinate_columns_win(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("名称,类型,坐标E,坐标N,床位数\n甲敬老院,敬老院,120°33′36″E,32°22′48″N,50\n", encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_facilities(path)
    fac = read_facilities(path, columns={"lon": "坐标E", "lat": "坐标N"})
    assert fac.geometry.x.iloc[0] == pytest.approx(120.56) and fac.geometry.y.iloc[0] == pytest.approx(32.38)
    with pytest.raises(InputError, match="no column '经度X'"):
        read_facilities(path, columns={"lon": "经度X", "lat": "坐标N"})


def test_a_township_without_roads_is_named_with_its_elderly(tmp_path):
    p = _helsinki(tmp_path)
    towns = gpd.read_file(p["townships"])
    extra = gpd.GeoDataFrame({"name": ["Suomenlinna"], "elderly": [250.0]}, geometry=[box(24.98, 60.14, 24.99, 60.145)],
                             crs="EPSG:4326")
    pd.concat([towns, extra], ignore_index=True).to_file(p["townships"], driver="GPKG")
    inputs = load_inputs(DataSources(roads=p["roads"], townships=p["townships"], facilities=p["facilities"]))
    result = run_analysis(inputs, AnalysisParams(profile=load_profile("rugao-2022")), facility_circles=False)
    assert any("Suomenlinna has 250 elderly but no walkable roads" in w for w in result.warnings)
    cov = result.coverage_frame()
    row = cov[(cov["township"] == "Suomenlinna") & (cov["type"] == "day_care")].iloc[0]
    assert row["elderly"] == 250 and row["elderly_covered"] == 0


def test_a_stray_coordinate_in_a_list_is_refused_by_row(tmp_path):
    rows = _rows(SAMPLE / "facilities.csv")[:10]
    rows[4]["经度"] = "0"
    with pytest.raises(InputError) as err:
        read_facilities(_write(tmp_path / "stray.csv", rows), crs="EPSG:4326")
    assert "row 6" in str(err.value) and "km from where the other rows lie" in str(err.value)
    rows[4]["经度"] = "12.056"  # a dropped digit
    with pytest.raises(InputError, match="missing or mistyped coordinate"):
        read_facilities(_write(tmp_path / "stray.csv", rows), crs="EPSG:4326")


def test_a_project_refuses_file_options_it_cannot_apply(tmp_path, capsys):
    sample = Path(__file__).resolve().parent.parent / "projects" / "sample.ccproj"
    assert main(["analyze", str(sample), "--population", str(SAMPLE / "township_elderly.csv"), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--population cannot apply" in err and "carecircle new" in err


@pytest.mark.parametrize("header, unit_row", [("老年人口（万人）", None), ("老年人口", "单位：万人,"), ("老年人口", ",（万人）"),
                                              ("LNRK(千人)", None)])
def test_elderly_counted_in_ten_thousands_is_refused(sample_towns, tmp_path, header, unit_row):
    towns = sample_towns.copy()
    towns["elderly"] = math.nan
    lines = [f"乡镇,{header}"] + ([unit_row] if unit_row else []) + [f"{n},{2.7}" for n in towns["name"]]
    path = tmp_path / "wan.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="not persons: give head counts"):
        apply_elderly_table(towns, path)
    path.write_text("\n".join([f"乡镇,老年人口(人)"] + [f"{n},27000" for n in towns["name"]]) + "\n", encoding="utf-8")
    assert apply_elderly_table(towns, path)["elderly"].sum() == 27000 * len(towns)
