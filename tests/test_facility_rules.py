"""Rules of read_facilities that guard the bed counts: duplicates (class, status, NFKC name, within DUPLICATE_M; ids and
bed counts decide between dropping, keeping with a note and refusing), rows sharing one geocode, and nursing beds
(an empty cell of a 养老机构 refused, a missing column noted)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from layers.errors import InputError
from layers.facilities import DUPLICATE_M, _drop_duplicates, read_facilities
from layers.tables import NOTES_ATTR

HEADER = "编号,名称,类型,经度,纬度,床位数,护理型床位数,状态"
LON, LAT = 120.57, 32.37
M_LON = 1 / (111_320 * np.cos(np.radians(LAT)))  # degrees of longitude per metre here


def _csv(tmp_path: Path, lines: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _east(metres: float) -> str:
    return f"{LON + metres * M_LON:.7f}"


def _notes(gdf) -> str:
    return " | ".join(gdf.attrs[NOTES_ATTR])


# ------------------------------------------------------------------------------------------------ duplicates


def test_an_existing_home_to_close_and_its_planned_rebuild_are_two_rows(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"A1,九华镇敬老院,养老机构,{LON},{LAT},80,40,拟关闭",
                                          f"A2,九华镇敬老院,养老机构,{_east(4)},{LAT},300,200,规划"]))
    assert gdf["fid"].tolist() == ["A1", "A2"] and gdf["beds"].tolist() == [80, 300]
    assert gdf["status"].tolist() == ["to_close", "planned"]
    assert "listed twice" not in _notes(gdf)


def test_the_same_facility_under_a_new_id_with_the_same_beds_is_counted_once(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"A1,如城敬老院,养老机构,{LON},{LAT},120,60,现状",
                                          f"B7,如城敬老院,养老机构,{_east(3)},{LAT},120,60,现状"]))
    assert gdf["fid"].tolist() == ["A1"]
    assert "1 facilities are listed twice (same class, status and name within 10 m) and counted once (120 beds not " \
           "doubled): 如城敬老院 (rows 2 and 3, 3 m apart)" in _notes(gdf)


def test_two_rows_with_their_own_ids_and_different_beds_are_both_kept_and_named(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"A1,如城敬老院,养老机构,{LON},{LAT},120,60,现状",
                                          f"A2,如城敬老院,养老机构,{_east(3)},{LAT},150,60,现状"]))
    assert gdf["fid"].tolist() == ["A1", "A2"] and int(gdf["beds"].sum()) == 270
    note = _notes(gdf)
    assert "1 pairs of facilities have the same class, status and name within 10 m but their own ids" in note
    assert "如城敬老院 (rows 2 and 3, ids A1 and A2, 3 m apart, 120 and 150 beds)" in note


@pytest.mark.parametrize("header,ids", [
    ("名称,类型,经度,纬度,床位数,护理型床位数,状态", ("", "")),  # no id column
    (HEADER, ("A1,", ",")),  # the second id cell is empty
    (HEADER.replace("编号", "序号"), ("1,", "2,")),  # a row counter names no facility
    (HEADER, ("F0002,", "F0003,")),  # ids this reader made up, written back
])
def test_one_facility_twice_with_different_beds_and_no_ids_to_tell_them_apart_is_refused(
        tmp_path: Path, header: str, ids: tuple[str, str]) -> None:
    path = _csv(tmp_path, [header, f"{ids[0]}如城敬老院,养老机构,{LON},{LAT},120,60,现状",
                           f"{ids[1]}如城敬老院,养老机构,{_east(3)},{LAT},150,60,现状"])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    assert str(info.value) == ("f.csv, row 3: rows 2 and 3 list 如城敬老院 twice 3 m apart with 120 and 150 beds; keep one, "
                               "or give each its own id (编号) if they are two facilities")
    assert info.value.row == 3 and "\n" not in str(info.value)


def test_different_nursing_beds_alone_are_different_counts(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["名称,类型,经度,纬度,床位数,护理型床位数", f"如城敬老院,养老机构,{LON},{LAT},120,60",
                           f"如城敬老院,养老机构,{_east(2)},{LAT},120,80"])
    with pytest.raises(InputError, match=r"twice 2 m apart with 120 beds \(60 nursing\) and 120 beds \(80 nursing\)"):
        read_facilities(path)


def test_names_are_compared_after_nfkc_and_without_spaces(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"B1,阳光养老院（东院）,养老机构,{LON},{LAT},120,60,现状",
                                          f"B2, 阳光养老院 (东院),养老机构,{LON},{LAT},120,60,现状",
                                          f"B3,阳光养老院（２号院）,养老机构,{_east(500)},{LAT},50,0,现状",
                                          f"B4,阳光养老院(2号院),养老机构,{_east(505)},{LAT},50,0,现状"]))
    assert gdf["fid"].tolist() == ["B1", "B3"]
    assert "2 facilities are listed twice" in _notes(gdf) and "(170 beds not doubled)" in _notes(gdf)


def test_same_name_apart_or_of_another_class_is_not_a_duplicate(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"A1,如城敬老院,养老机构,{LON},{LAT},120,60,现状",
                                          f"A2,如城敬老院,养老机构,{_east(DUPLICATE_M + 5)},{LAT},120,60,现状",
                                          f"A3,白蒲镇为老服务中心,日间照料中心,{_east(900)},{LAT},10,0,现状",
                                          f"A4,白蒲镇为老服务中心,助餐点,{_east(900)},{LAT},0,0,现状"]))
    assert gdf["fid"].tolist() == ["A1", "A2", "A3", "A4"]


def test_three_rows_of_one_name_on_one_geocode_are_refused_not_merged(tmp_path: Path) -> None:
    rows = [f"C{i},老年人日间照料中心,日间照料中心,{LON},{LAT},10,0,{'规划' if i == 3 else '现状'}" for i in range(5)]
    path = _csv(tmp_path, [HEADER, f"X,如城敬老院,养老机构,{_east(800)},{LAT},120,60,现状", *rows])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    assert str(info.value) == ("f.csv: rows 3, 4, 5, 6 and 7 (5 facilities named 老年人日间照料中心) share one position: the "
                               "addresses were not geocoded (a fallback point), or one facility is listed 5 times; fix "
                               "their coordinates")
    near = [f"C{i},老年人日间照料中心,日间照料中心,{_east(3 * i)},{LAT},10,0,现状" for i in range(3)]
    with pytest.raises(InputError, match=r"rows 2, 3 and 4 \(3 facilities named 老年人日间照料中心\) share one position "
                                         r"\(within 10 m\)"):
        read_facilities(_csv(tmp_path, [HEADER, *near], name="g.csv"))
    two = read_facilities(_csv(tmp_path, [HEADER, *rows[:1], f"C9,老年人日间照料中心,日间照料中心,{_east(300)},{LAT},10,0,现状",
                                          f"D1,城北日间照料中心,日间照料中心,{LON},{LAT},10,0,现状"], name="h.csv"))
    assert len(two) == 3  # one of a name per point, and other names on that point, are fine


# ------------------------------------------------------------------------------------------------ nursing beds


def test_an_empty_nursing_beds_cell_of_a_nursing_home_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, [HEADER, f"A,甲敬老院,养老机构,{LON},{LAT},300,200,现状", f"B,乙敬老院,养老机构,{_east(900)},{LAT},300,,现状"])
    with pytest.raises(InputError) as info:
        read_facilities(path)
    assert str(info.value) == ("f.csv, row 3, column 护理型床位数: nursing beds is empty for a 养老机构; its nursing beds count "
                               "in the nursing-type share (护理型床位占比), and missing is not zero: write the number (0 if it "
                               "has none)")
    # refused after the coordinates: a bad longitude further down is reported first
    bad = _csv(tmp_path, [HEADER, f"B,乙敬老院,养老机构,{LON},{LAT},300,,现状", "C,丙敬老院,养老机构,abc,32.37,10,0,现状"], name="g.csv")
    with pytest.raises(InputError, match="row 3, column 经度: longitude must be a number"):
        read_facilities(bad)
    # 0 written is fine, and community classes may leave it empty
    gdf = read_facilities(_csv(tmp_path, [HEADER, f"B,乙敬老院,养老机构,{LON},{LAT},300,0,现状",
                                          f"D,丁日间照料中心,日间照料中心,{_east(900)},{LAT},12,,现状"], name="h.csv"))
    assert gdf["nursing_beds"].tolist() == [0, 0]


def test_a_list_without_a_nursing_beds_column_is_noted_with_its_count(tmp_path: Path) -> None:
    gdf = read_facilities(_csv(tmp_path, ["编号,名称,类型,经度,纬度,床位数",
                                          f"A,甲敬老院,养老机构,{LON},{LAT},300", f"B,乙敬老院,养老机构,{_east(900)},{LAT},300",
                                          f"D,丁日间照料中心,日间照料中心,{_east(1800)},{LAT},12"]))
    assert ("f.csv: no nursing beds column (护理型床位数): its 2 facilities with institutional beds count no nursing beds, "
            "so the nursing-type share (护理型床位占比) cannot be judged from this list") in gdf.attrs[NOTES_ATTR]
    day = read_facilities(_csv(tmp_path, ["名称,类型,经度,纬度,床位数", f"丁日间照料中心,日间照料中心,{LON},{LAT},12"], name="g.csv"))
    assert "no nursing beds column" not in _notes(day)


# ------------------------------------------------------------------------------------------------ speed


def test_duplicates_among_100000_rows_with_10000_of_one_name(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n, same = 100_000, 10_000
    lon = 120.3 + rng.random(n) * 0.5
    lat = 32.1 + rng.random(n) * 0.5
    grid = np.arange(same)  # the common name on a jittered 300 m grid: no two of them within 10 m by chance
    lon[:same] = 120.3 + (grid % 100) * 0.003 + rng.random(same) * 0.001
    lat[:same] = 32.1 + (grid // 100) * 0.003 + rng.random(same) * 0.001
    records = [{"fid": f"F{i:06d}", "name": "老年人日间照料中心" if i < same else f"设施{i}", "type": "day_care",
                "beds": 10, "nursing_beds": 0, "status": "existing"} for i in range(n)]
    planted = 50  # the same facility listed again 3 m away
    lon[n - planted:] = lon[:planted] + 3 * M_LON
    lat[n - planted:] = lat[:planted]
    for k in range(planted):
        records[n - planted + k]["name"] = "老年人日间照料中心"
    notes: list[str] = []
    start = time.perf_counter()
    keep = _drop_duplicates(records, lon, lat, rows=list(range(2, n + 2)), path=Path("big.csv"), notes=notes)
    rule_s = time.perf_counter() - start
    assert int((~keep).sum()) == planted and not keep[n - planted:].any()
    lines = [HEADER] + [f"{r['fid']},{r['name']},日间照料中心,{x:.7f},{y:.7f},10,0,现状" for r, x, y in zip(records, lon, lat)]
    path = _csv(tmp_path, lines, name="big.csv")
    start = time.perf_counter()
    gdf = read_facilities(path)
    read_s = time.perf_counter() - start
    assert len(gdf) == n - planted
    crowd = [{"fid": f"G{i}", "name": "老年人日间照料中心", "type": "day_care", "beds": 10, "nursing_beds": 0,
              "status": "existing"} for i in range(same)]
    start = time.perf_counter()
    with pytest.raises(InputError, match="share one position"):
        _drop_duplicates(crowd, np.full(same, LON), np.full(same, LAT), rows=list(range(2, same + 2)),
                         path=Path("crowd.csv"), notes=[])
    crowd_s = time.perf_counter() - start
    print(f"\n100,000 rows, 10,000 of one name: duplicate rule {rule_s:.2f} s, whole read_facilities {read_s:.2f} s; "
          f"10,000 rows on one geocode refused in {crowd_s:.2f} s")
