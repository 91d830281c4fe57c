"""Project files from outside: old schema versions upgrade through the migration registry (checked on small
version-1 fixture files), and a damaged or foreign file, or a place a project cannot be saved to, gives one
clear line naming the file — never a KeyError, JSONDecodeError, sqlite3, pyogrio or decoding error.

The fixtures in tests/fixtures/projects/ are the source of truth (see the README there). They were made by
:func:`write_v1_fixtures`, which saves a tiny project with the current code and rewrites its meta table to the
version-1 layout; run it only to regenerate them on purpose::

    .venv/bin/python -c "import tests.test_project_files as t; t.write_v1_fixtures()"
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyproj
import pytest
import shapely

from layers.errors import InputError
from projects import ccproj
from projects.ccproj import META_TABLE, SCHEMA_VERSION, Project, Settings, load_project, read_meta, save_project
from projects.plan import BASELINE, Facility, PlanModel
from projects.profiles import load_profile

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "projects"
V1_BUNDLED = FIXTURES / "v1-small.ccproj"
V1_CUSTOM = FIXTURES / "v1-custom.ccproj"
CRS = "EPSG:4528"
PLAN_SCENARIO = "2025规划"

#: version 1's profile keys (StandardProfile as it was), in the order version 1 wrote them
V1_PROFILE_KEYS = ("name", "title", "source", "coverage_minutes", "covered_share_target", "beds_per_1000_min",
                   "nursing_share_min", "day_care_every_township", "meal_point_every_urban_community")
#: the bundled profile as version 1's projects/profiles/nantong-2014.toml held it
V1_NANTONG = {"name": "nantong-2014", "title": "南通 2014：每千名老人床位 28.5 张，护理型床位 ≥ 25%",
              "source": "Nantong 2014 elderly-care facility plan targets, as listed in the bureau's task table",
              "coverage_minutes": 15.0, "covered_share_target": 0.9, "beds_per_1000_min": 28.5, "nursing_share_min": 0.25,
              "day_care_every_township": False, "meal_point_every_urban_community": False}
#: a planner's own profile in version 1
V1_CUSTOM_PROFILE = {"name": "县定目标-2013", "title": "县定目标：每千名老人床位30张，乡镇日间照料全覆盖",
                     "source": "县民政局2013年养老服务工作要点", "coverage_minutes": 15.0, "covered_share_target": 0.9,
                     "beds_per_1000_min": 30.0, "nursing_share_min": None, "day_care_every_township": True,
                     "meal_point_every_urban_community": False}


# ------------------------------------------------------------------------------- the tiny project


def _tiny_plan() -> PlanModel:
    plan = PlanModel(CRS, [
        Facility("YL001", "东镇日间照料中心", "day_care", 10, 0, "existing", 40_500_123.25, 3_580_400.125),
        Facility("YL002", "西镇敬老院", "nursing_home", 120, 40, "existing", 40_498_800.5, 3_580_900.0625),
    ])
    plan.add_scenario(PLAN_SCENARIO)
    plan.set_active(PLAN_SCENARIO)
    plan.add_facility(Facility("P0001", "东镇助餐点", "meal_point", 0, 0, "planned", 40_500_700.375, 3_579_600.5))
    plan.set_attributes("YL001", status="to_close")
    plan.set_active(BASELINE)
    return plan


def _tiny_project() -> Project:
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "residential", "footway"], "name": ["通海路", "东镇路", "西镇路", None]},
        geometry=[shapely.LineString([(40_498_000, 3_580_000), (40_501_500, 3_580_000)]),
                  shapely.LineString([(40_500_100, 3_579_000), (40_500_100, 3_581_200)]),
                  shapely.LineString([(40_498_800, 3_579_200), (40_498_800, 3_581_200)]),
                  shapely.LineString([(40_500_100, 3_580_400), (40_500_700, 3_579_600)])],
        crs=CRS,
    )
    townships = gpd.GeoDataFrame(
        {"name": ["西镇", "东镇"], "code": ["320600101", "320600102"], "elderly": [3150.0, 4280.0]},
        geometry=[shapely.box(40_497_500, 3_578_500, 40_499_750, 3_581_500),
                  shapely.box(40_499_750, 3_578_500, 40_502_000, 3_581_500)],
        crs=CRS,
    )
    return Project(title="小县（测试）", crs=pyproj.CRS.from_user_input(CRS), roads=roads, townships=townships, plan=_tiny_plan(),
                   settings=Settings(profile=load_profile("nantong-2014")),
                   sources={"roads": "data/roads.gpkg", "townships": "data/townships.gpkg"})


def _make_v1(path: Path, profile_v1: dict) -> Path:
    """Save the tiny project with the current code, then rewrite its meta table to the version-1 layout: schema
    1, settings of profile (the old flags), minutes, speed and buffer only."""
    written = save_project(_tiny_project(), path)
    con = sqlite3.connect(written)
    try:
        settings = {"profile": {k: profile_v1[k] for k in V1_PROFILE_KEYS}, "minutes": [5.0, 10.0, 15.0],
                    "speed_kmh": 3.6, "buffer_m": 50.0}
        for key, value in {"schema_version": 1, "settings": settings}.items():
            con.execute(f"UPDATE {META_TABLE} SET value = ? WHERE key = ?", (json.dumps(value, ensure_ascii=False), key))
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()
    return written


def write_v1_fixtures(folder: Path = FIXTURES) -> list[Path]:
    """Regenerate the version-1 fixture files (only when asked: the committed files are the reference)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_make_v1(folder / V1_BUNDLED.name, V1_NANTONG), _make_v1(folder / V1_CUSTOM.name, V1_CUSTOM_PROFILE)]


# ------------------------------------------------------------------------------------ migration


@pytest.fixture
def v1_copies(tmp_path):
    """Copies of the fixtures (a test never touches the committed files)."""
    return {p.name: Path(shutil.copy(p, tmp_path / p.name)) for p in (V1_BUNDLED, V1_CUSTOM)}


@pytest.mark.filterwarnings("ignore:.*non conformant file extension")
@pytest.mark.parametrize("fixture", [V1_BUNDLED, V1_CUSTOM], ids=lambda p: p.name)
def test_fixtures_are_small_and_in_the_version_1_layout(fixture):
    assert fixture.stat().st_size < 200_000
    meta = read_meta(fixture)
    assert meta["schema_version"] == 1 and 1 in ccproj.MIGRATIONS
    assert set(meta["settings"]) == {"profile", "minutes", "speed_kmh", "buffer_m"}
    assert list(meta["settings"]["profile"]) == list(V1_PROFILE_KEYS)
    assert meta["scenarios"] == [BASELINE, PLAN_SCENARIO] and meta["baseline"] == meta["active"] == BASELINE
    assert {name for name, _ in pyogrio.list_layers(fixture)} >= {"roads", "townships", "facilities", META_TABLE}


def _assert_tiny_project(project: Project) -> None:
    """Everything but the profile is as the tiny project had it."""
    expected = _tiny_project()
    assert project.title == expected.title and project.crs == expected.crs
    assert list(project.plan.scenarios) == [BASELINE, PLAN_SCENARIO] and project.plan.baseline == BASELINE
    assert project.plan.active == BASELINE
    for name, facilities in expected.plan.scenarios.items():
        assert project.plan.scenarios[name] == facilities  # ids, classes, beds, statuses, coordinates to the bit
    assert [f.status for f in project.plan.scenarios[PLAN_SCENARIO].values()] == ["to_close", "existing", "planned"]
    assert list(project.townships["name"]) == ["西镇", "东镇"] and list(project.townships["elderly"]) == [3150.0, 4280.0]
    assert len(project.roads) == 4
    assert project.townships.geometry.geom_equals_exact(expected.townships.geometry, tolerance=0).all()
    assert project.sources == expected.sources and project.basemap is None
    s = project.settings
    assert (s.minutes, s.speed_kmh, s.buffer_m) == ((5.0, 10.0, 15.0), 3.6, 50.0)
    assert (s.elderly_basis, s.cell_m, s.gap_cell_m) == ("resident", 10.0, 25.0)


def test_a_bundled_profile_becomes_its_current_text(v1_copies):
    project = load_project(v1_copies[V1_BUNDLED.name])
    _assert_tiny_project(project)
    assert project.settings.profile == load_profile("nantong-2014")
    assert not any(t.indicator == "covered_share" for t in project.settings.profile.targets)


def test_a_custom_profile_is_converted_flag_by_flag(v1_copies):
    profile = load_project(v1_copies[V1_CUSTOM.name]).settings.profile
    assert (profile.name, profile.title, profile.document) == (V1_CUSTOM_PROFILE["name"], V1_CUSTOM_PROFILE["title"],
                                                               V1_CUSTOM_PROFILE["source"])
    assert profile.coverage_minutes == 15.0
    targets = {t.id: t for t in profile.targets}
    assert sorted(targets) == ["beds-per-1000", "day-care-every-township"]  # no covered share, no nursing share
    beds = targets["beds-per-1000"]
    # version 1 checked beds per 1000 on the nursing homes' beds: institutional beds (养老机构床位)
    assert (beds.indicator, beds.level, beds.figure, beds.beds) == ("beds_per_1000", "county", 30.0, "institutional")
    day = targets["day-care-every-township"]
    assert (day.indicator, day.level, day.classes, day.figure) == ("present_in_every", "township", ("day_care",), 1.0)
    assert all("迁移" in t.note for t in profile.targets)


@pytest.mark.parametrize("name", [V1_BUNDLED.name, V1_CUSTOM.name])
def test_an_upgraded_project_saves_as_the_current_schema_and_reloads_equal(v1_copies, tmp_path, name):
    first = load_project(v1_copies[name])
    path = save_project(first, tmp_path / "again.ccproj")
    meta = read_meta(path)
    assert meta["schema_version"] == SCHEMA_VERSION == 3
    assert meta["settings"]["elderly_basis"] == "resident" and "target" in meta["settings"]["profile"]
    # older files joined road lines only where they met to the millimetre: kept, so figures do not change
    assert meta["settings"]["snap_m"] == 0.0 and meta["imports"] == {} and meta["notes"] == []
    again = load_project(path)
    _assert_tiny_project(again)
    assert again.settings == first.settings
    assert again.plan.scenarios == first.plan.scenarios and again.plan.active == first.plan.active
    for layer in ("roads", "townships"):
        a, b = getattr(first, layer), getattr(again, layer)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()


def test_the_generator_still_makes_loadable_version_1_files(tmp_path):
    made = write_v1_fixtures(tmp_path)
    assert [read_meta(p)["schema_version"] for p in made] == [1, 1]
    assert load_project(made[0]).settings.profile == load_project(V1_BUNDLED).settings.profile
    assert load_project(made[1]).settings.profile == load_project(V1_CUSTOM).settings.profile


# ------------------------------------------------------------------------- damaged and foreign files


@pytest.fixture
def good(tmp_path):
    """A valid current-schema project file to damage."""
    return save_project(_tiny_project(), tmp_path / "p.ccproj")


def _sql(path: Path, *statements: tuple) -> None:
    con = sqlite3.connect(path)
    # the GeoPackage's R-tree triggers name these (GDAL's SQL functions); our edits never touch a geometry or a
    # feature id, so the triggers never call them
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(fn, 1, lambda geom: 0)
    try:
        for st in statements:
            con.execute(*st) if isinstance(st, tuple) else con.execute(st)
        con.commit()
    finally:
        con.close()


def _set(key: str, raw):
    """A statement that stores ``raw`` (already encoded) as the value of ``key``."""
    return (f"UPDATE {META_TABLE} SET value = ? WHERE key = ?", (raw, key))


def _settings_with(path: Path, **changes) -> tuple:
    settings = read_meta(path)["settings"]
    settings.update(changes)
    return _set("settings", json.dumps(settings, ensure_ascii=False))


def _empty(p, tmp):
    p.write_bytes(b"")


def _text(p, tmp):
    p.write_text("这不是项目文件\nroads,townships\n", encoding="utf-8")


def _binary(p, tmp):
    p.write_bytes(bytes(range(256)) * 8)


def _plain_gpkg(p, tmp):
    frame = _tiny_project().roads
    pyogrio.write_dataframe(frame, tmp / "plain.gpkg", layer="roads", driver="GPKG")
    shutil.copy(tmp / "plain.gpkg", p)


def _plain_sqlite(p, tmp):
    p.unlink()
    _sql(p, "CREATE TABLE things (a INTEGER)")


def _directory(p, tmp):
    p.unlink()
    p.mkdir()


def _missing(p, tmp):
    p.unlink()


#: name -> (damage(path, tmp_path), what the one line says)
DAMAGES = {
    "empty file": (_empty, "not a CareCircle project .*empty"),
    "text file renamed": (_text, "not a CareCircle project .*not a GeoPackage"),
    "binary junk": (_binary, "not a CareCircle project .*not a GeoPackage"),
    "GeoPackage without meta": (_plain_gpkg, f"no {META_TABLE} table"),
    "SQLite without meta": (_plain_sqlite, f"no {META_TABLE} table"),
    "meta with other columns": (lambda p, t: _sql(p, f"DROP TABLE {META_TABLE}", f"CREATE TABLE {META_TABLE} (a, b)"),
                                "lacks its key and value columns"),
    "broken JSON": (lambda p, t: _sql(p, _set("settings", '{"profile": {"name": ')), "settings .*not valid JSON"),
    "not UTF-8": (lambda p, t: _sql(p, _set("title", b'"\xff\xfe"')), "title .*not UTF-8 text"),
    "NULL value": (lambda p, t: _sql(p, f"CREATE TABLE x AS SELECT * FROM {META_TABLE}", f"DROP TABLE {META_TABLE}",
                                     f"CREATE TABLE {META_TABLE} (key TEXT, value TEXT)",
                                     f"INSERT INTO {META_TABLE} SELECT key, CASE WHEN key = 'crs' THEN NULL ELSE value END FROM x"),
                   "crs is empty"),
    "no settings": (lambda p, t: _sql(p, f"DELETE FROM {META_TABLE} WHERE key = 'settings'"), "lacks settings"),
    "no crs": (lambda p, t: _sql(p, f"DELETE FROM {META_TABLE} WHERE key = 'crs'"), "lacks crs"),
    "no scenarios": (lambda p, t: _sql(p, f"DELETE FROM {META_TABLE} WHERE key = 'scenarios'"), "lacks scenarios"),
    "no schema_version": (lambda p, t: _sql(p, f"DELETE FROM {META_TABLE} WHERE key = 'schema_version'"), "lacks schema_version"),
    "bad crs": (lambda p, t: _sql(p, _set("crs", '"PROJCRS[nonsense"')), "coordinate system .*not valid"),
    "crs not text": (lambda p, t: _sql(p, _set("crs", "4528")), "crs must be a coordinate system"),
    "crs in degrees": (lambda p, t: _sql(p, _set("crs", json.dumps(pyproj.CRS.from_epsg(4326).to_wkt()))),
                       "not projected in metres"),
    "settings not a table": (lambda p, t: _sql(p, _set("settings", "[1, 2]")), "settings must be a table"),
    "settings without minutes": (lambda p, t: _sql(p, _set("settings", json.dumps({"profile": {}, "speed_kmh": 3.6}))),
                                 "settings lack minutes"),
    "minutes not a number": (lambda p, t: _sql(p, _settings_with(p, minutes=[5, "ten", 15])), "minutes must be a number"),
    "minutes a string": (lambda p, t: _sql(p, _settings_with(p, minutes="15")), "minutes must be a list"),
    "minutes negative": (lambda p, t: _sql(p, _settings_with(p, minutes=[-5, 10])), "minutes bands must be positive"),
    "speed not a number": (lambda p, t: _sql(p, _settings_with(p, speed_kmh=None)), "speed_kmh must be a number"),
    "bad elderly basis": (lambda p, t: _sql(p, _settings_with(p, elderly_basis="everyone")), "elderly_basis"),
    "profile in the old form in a version-2 file": (lambda p, t: _sql(p, _settings_with(p, profile=V1_NANTONG)), "old format"),
    "scenarios not a list": (lambda p, t: _sql(p, _set("scenarios", '"现状"')), "scenarios must be a list"),
    "baseline not a scenario": (lambda p, t: _sql(p, _set("baseline", '"没有"')), "baseline scenario 没有"),
    "schema_version not a number": (lambda p, t: _sql(p, _set("schema_version", '"two"')), "schema_version is not a whole number"),
    "schema_version 0": (lambda p, t: _sql(p, _set("schema_version", "0")), "cannot upgrade a project of schema version 0"),
    "newer schema": (lambda p, t: _sql(p, _set("schema_version", "99")), "newer CareCircle"),
    "facilities without beds": (lambda p, t: _sql(p, "ALTER TABLE facilities DROP COLUMN beds"),
                                "facilities layer lacks the column beds"),
    "facilities without two columns": (lambda p, t: _sql(p, "ALTER TABLE facilities DROP COLUMN status",
                                                         "ALTER TABLE facilities DROP COLUMN scenario"),
                                       "lacks the columns scenario, status"),
    "facility of an unknown class": (lambda p, t: _sql(p, "UPDATE facilities SET type = 'spa' WHERE facility_id = 'P0001'"),
                                     "feature 5: unknown facility class 'spa'"),
    "facility with NULL beds": (lambda p, t: _sql(p, "UPDATE facilities SET beds = NULL WHERE facility_id = 'YL002'"),
                                "feature 2: beds is not a whole number"),
    "facility id twice": (lambda p, t: _sql(p, "UPDATE facilities SET facility_id = 'YL001' WHERE facility_id = 'YL002'"),
                          "feature 2: facility id YL001 appears twice"),
    "no townships layer": (lambda p, t: _sql(p, "DROP TABLE townships", "DELETE FROM gpkg_contents WHERE table_name = 'townships'",
                                             "DELETE FROM gpkg_geometry_columns WHERE table_name = 'townships'"),
                           "no townships layer"),
    "a directory": (_directory, "is a folder"),
    "no such file": (_missing, "not found"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_or_foreign_file_gives_one_clear_line(good, tmp_path, damage):
    make, says = DAMAGES[damage]
    make(good, tmp_path)
    with pytest.raises(InputError, match=says) as err:
        load_project(good)
    message = str(err.value)
    assert type(err.value) is InputError and err.value.path == good
    assert message.startswith("p.ccproj: ") and "\n" not in message and len(message) < 300, message
    assert "Traceback" not in message and "Error:" not in message, message  # no exception class names leak


def test_a_damaged_version_1_file_says_so(v1_copies):
    path = v1_copies[V1_CUSTOM.name]
    _sql(path, _settings_with(path, profile={**V1_CUSTOM_PROFILE, "beds_per_1000_min": "lots"}))
    with pytest.raises(InputError, match="beds_per_1000_min must be a number") as err:
        load_project(path)
    assert str(err.value).startswith(f"{path.name}: ")


def test_a_file_name_sqlite_would_misread_as_a_uri_still_opens(good, tmp_path):
    odd = tmp_path / "方案 #1?%20.ccproj"
    shutil.copy(good, odd)
    assert load_project(odd).plan.scenarios == load_project(good).plan.scenarios


# ------------------------------------------------------------------------------------ saving


def _one_line(exc: BaseException, name: str) -> str:
    message = str(exc)
    assert "\n" not in message and f"cannot save {name}" in message and "[Errno" not in message, message
    return message


def test_saving_onto_a_folder_is_refused(tmp_path):
    folder = tmp_path / "plans.ccproj"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    for target in (folder, tmp_path):  # with and without the suffix (never a sibling file instead)
        before = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(IsADirectoryError) as err:
            save_project(_tiny_project(), target)
        assert "is a folder" in _one_line(err.value, target.name)
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_saving_under_a_file_is_refused(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(OSError) as err:
        save_project(_tiny_project(), blocker / "p.ccproj")
    assert "notes.txt is a file, not a folder" in _one_line(err.value, "p.ccproj")


def test_saving_into_a_read_only_folder_keeps_the_previous_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = save_project(_tiny_project(), folder / "p.ccproj")
    before = path.read_bytes()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user (root?) may write into a read-only folder")
        project = _tiny_project()
        project.title = "改过的"
        with pytest.raises(PermissionError) as err:
            save_project(project, path)
        assert "permission denied" in _one_line(err.value, "p.ccproj")
        assert path.read_bytes() == before and [p.name for p in folder.iterdir()] == ["p.ccproj"]
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_refused_temporary_file_is_one_line_and_keeps_the_previous_file(tmp_path, monkeypatch):
    """The read-only case as any user (root included): creating the temporary file beside the target fails."""
    path = save_project(_tiny_project(), tmp_path / "p.ccproj")
    before = path.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".p-x.gpkg"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as err:
        save_project(_tiny_project(), path)
    assert err.value.errno == 13 and "permission denied" in _one_line(err.value, "p.ccproj")
    assert path.read_bytes() == before


@pytest.mark.parametrize("failure", [sqlite3.OperationalError("database or disk is full"),
                                     pyogrio.errors.DataSourceError("sqlite3_exec(CREATE TABLE) failed: disk I/O error\nmore"),
                                     OSError(28, "No space left on device")], ids=["sqlite3", "pyogrio", "ENOSPC"])
def test_a_writer_failure_is_one_line_and_keeps_the_previous_file(tmp_path, monkeypatch, failure):
    path = save_project(_tiny_project(), tmp_path / "p.ccproj")
    before = path.read_bytes()
    real_write = ccproj._write

    def fail(project, tmp, *, base):
        real_write(project, tmp, base=base)
        raise failure

    monkeypatch.setattr(ccproj, "_write", fail)
    with pytest.raises(OSError) as err:
        save_project(_tiny_project(), path)
    message = _one_line(err.value, "p.ccproj")
    assert ("disk" in message or "space" in message) and "more" not in message
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["p.ccproj"]
