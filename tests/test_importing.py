"""What the import dialog shows of a file before anything is replaced (projects.importing, Qt-free)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from projects.importing import import_sources, preview_layer
from projects.inputs import LayerOptions, load_inputs

SAMPLE = Path(__file__).resolve().parent.parent / "projects" / "sample"


def _gbk_shapefile_without_prj(tmp_path: Path) -> Path:
    towns = gpd.read_file(SAMPLE / "townships.gpkg").rename(columns={"name": "XZQMC", "elderly": "LNRK"})
    path = tmp_path / "乡镇.shp"
    towns.to_file(path, encoding="gb18030")
    for ext in (".cpg", ".prj"):
        path.with_suffix(ext).unlink()
    return path


def test_a_gbk_shapefile_without_prj_previews_in_chinese_with_its_crs_inferred(tmp_path):
    path = _gbk_shapefile_without_prj(tmp_path)
    p = preview_layer("townships", path)
    assert p.ok, p.error
    assert p.features == 14 and "4528" in p.crs_label
    assert p.columns["name"] == "XZQMC" and p.columns["elderly"] == "LNRK"
    assert p.rows[0][p.headers.index("XZQMC")] == "如城街道"
    assert any("no .prj" in n for n in p.notes)
    assert set(p.frame["name"]) >= {"如城街道"}


def test_a_wrong_choice_is_shown_as_the_reason_not_raised(tmp_path):
    p = preview_layer("facilities", SAMPLE / "facilities.csv", LayerOptions(columns=(("name", "机构名"),)))
    assert not p.ok and "no column '机构名'" in p.error and "\n" not in p.error
    assert p.headers[:3] == ("编号", "名称", "类型") and len(p.rows) == 8


def test_the_dialogs_sources_read_like_the_command_line(tmp_path):
    path = _gbk_shapefile_without_prj(tmp_path)
    src = import_sources({"roads": SAMPLE / "roads.gpkg", "townships": path, "facilities": SAMPLE / "facilities.csv"},
                         {"facilities": LayerOptions(crs="gcj02"), "townships": LayerOptions()})
    assert set(src.options) == {"facilities"}
    inputs = load_inputs(src)
    assert len(inputs.townships) == 14 and any("no .prj" in n for n in inputs.notes)
