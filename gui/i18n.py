"""UI text: Simplified Chinese by default, English selectable. A small catalogue, one entry per key."""
from __future__ import annotations

_LANG = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {
    # window and menus
    "app.title": ("CareCircle 养老服务圈规划", "CareCircle elder-service circle planner"),
    "menu.file": ("文件(&F)", "&File"),
    "menu.view": ("视图(&V)", "&View"),
    "menu.analysis": ("分析(&A)", "&Analysis"),
    "menu.language": ("语言(&L)", "&Language"),
    "menu.help": ("帮助(&H)", "&Help"),
    "action.open_sample": ("打开示例项目", "Open the sample project"),
    "action.add_roads": ("添加/替换道路网络…", "Add/replace road network…"),
    "action.add_townships": ("添加/替换乡镇/街道边界…", "Add/replace township boundaries…"),
    "action.add_population": ("添加/替换老年人口…", "Add/replace elderly population…"),
    "action.add_communities": ("添加/替换社区/村…", "Add/replace communities/villages…"),
    "action.add_facilities": ("替换现状设施清单…", "Replace the existing-facility list…"),
    "action.add_basemap": ("添加离线底图 (GeoTIFF)…", "Add offline basemap (GeoTIFF)…"),
    "action.quit": ("退出", "Quit"),
    "action.zoom_full": ("全图", "Zoom to full extent"),
    "action.zoom_layer": ("缩放到图层", "Zoom to layer"),
    "action.zoom_selection": ("缩放到所选", "Zoom to selection"),
    "action.identify": ("识别要素", "Identify features"),
    "action.pan": ("平移", "Pan"),
    "action.attribute_table": ("属性表", "Attribute table"),
    "action.run": ("运行分析", "Run analysis"),
    "action.cancel": ("取消", "Cancel"),
    "action.about": ("关于与数据来源", "About and data sources"),
    "lang.zh": ("简体中文", "简体中文 (Chinese)"),
    "lang.en": ("English", "English"),
    # docks
    "dock.layers": ("图层", "Layers"),
    "dock.analysis": ("分析设置", "Analysis"),
    "dock.results": ("覆盖与缺口", "Coverage and gaps"),
    "dock.identify": ("要素属性", "Feature attributes"),
    "layers.opacity": ("不透明度", "Opacity"),
    "layers.up": ("上移", "Move up"),
    "layers.down": ("下移", "Move down"),
    "layers.legend": ("图例", "Legend"),
    # layer titles
    "layer.basemap": ("离线底图", "Offline basemap"),
    "layer.coverage": ("覆盖率分级 (乡镇)", "Covered share (townships)"),
    "layer.townships": ("乡镇/街道边界", "Township boundaries"),
    "layer.circles": ("服务圈", "Service circles"),
    "layer.gaps": ("服务缺口", "Gap areas"),
    "layer.roads": ("步行道路网络", "Walking network"),
    "layer.population": ("老年人口", "Elderly population"),
    "layer.communities": ("社区/村", "Communities/villages"),
    "layer.facilities": ("养老设施", "Facilities"),
    # facility classes and statuses: type.<id> and status.<id> come from the class registry (layers.classes)
    "kind.urban": ("社区", "urban community"),
    "kind.village": ("村", "village"),
    # analysis panel
    "analysis.profile": ("规划标准", "Standard profile"),
    "analysis.minutes": ("时间圈 (分钟)", "Bands (minutes)"),
    "analysis.speed": ("步行速度", "Walking speed"),
    "analysis.speed_kmh": ("km/h", "km/h"),
    "analysis.buffer": ("街道两侧深度 (米)", "Street-side depth (m)"),
    "analysis.basis": ("老年人口口径", "Elderly count"),
    "analysis.cell": ("服务圈栅格 (米)", "Circle grid cell (m)"),
    "analysis.gap_cell": ("缺口栅格 (米)", "Gap grid cell (m)"),
    "analysis.snap": ("道路捕捉容差 (米)", "Road snapping distance (m)"),
    "basis.resident": ("常住老年人口 (普查)", "resident (census)"),
    "basis.registered": ("户籍老年人口", "registered (hukou)"),
    "autosave.failed": ("自动保存失败：{error}", "Autosave failed: {error}"),
    "cmd.settings": ("修改分析设置：{what}", "Change settings: {what}"),
    "analysis.choropleth": ("分级显示设施类型", "Choropleth facility type"),
    "speed.slow": ("体弱老人 0.7 m/s", "Frail 0.7 m/s"),
    "speed.default": ("一般老人 1.0 m/s", "Typical 1.0 m/s"),
    "speed.fast": ("健康老人 1.2 m/s", "Fit 1.2 m/s"),
    "speed.custom": ("自定义", "Custom"),
    "analysis.running": ("正在分析…", "Analysing…"),
    "analysis.loading": ("正在加载…", "Loading…"),
    "analysis.done": ("分析完成", "Analysis finished"),
    "analysis.cancelled": ("分析已取消", "Analysis cancelled"),
    "analysis.need_inputs": ("请先加载道路、乡镇和设施图层", "Load roads, townships and facilities first"),
    # results table
    "col.township": ("乡镇/街道", "Township"),
    "col.type": ("设施类型", "Facility type"),
    "col.elderly": ("老年人口", "Elderly"),
    "col.elderly_covered": ("覆盖老人", "Covered"),
    "col.covered_share": ("覆盖率", "Covered share"),
    "col.facilities": ("设施数", "Facilities"),
    "col.beds": ("床位数", "Beds"),
    "col.nursing_beds": ("护理型床位", "Nursing beds"),
    "col.beds_per_1000": ("每千老人床位", "Beds per 1,000"),
    "col.nursing_share": ("护理型占比", "Nursing share"),
    "col.flags": ("未达标项", "Flags"),
    "flag.no_day_care": ("无日间照料中心", "no day-care centre"),
    "flag.day_care_coverage_low": ("日照覆盖率不足", "day-care coverage low"),
    "flag.beds_per_1000_low": ("千人床位不足", "beds per 1,000 low"),
    "flag.nursing_share_low": ("护理型床位占比不足", "nursing-bed share low"),
    "flag.meal_point_gap": ("社区助餐缺口", "meal-point gap"),
    # status bar and dialogs
    "status.coords": ("经度 {lon:.5f}  纬度 {lat:.5f}  比例尺 1:{scale:,.0f}", "lon {lon:.5f}  lat {lat:.5f}  scale 1:{scale:,.0f}"),
    "error.title": ("无法加载数据", "Cannot load data"),
    "error.analysis": ("分析失败", "Analysis failed"),
    "identify.none": ("此处没有要素", "No feature here"),
    "identify.field": ("字段", "Field"),
    "identify.value": ("值", "Value"),
    "results.filter": ("筛选乡镇/街道…", "Filter townships…"),
    "results.all_types": ("全部设施类型", "All facility types"),
    "attr.count": ("共 {n:,} 个要素", "{n:,} features"),
    "sample.note": (
        "示例数据：县界、乡镇名称和2020年普查老年人口总数为真实数据；乡镇划分、道路、村社区和设施为生成数据。",
        "Sample data: county outline, township names and the 2020 census elderly total are real; the township "
        "partition, roads, villages/communities and facilities are generated.",
    ),
    "about.text": (
        "CareCircle 养老服务圈规划\n\n按老年人步行速度在道路网络上计算5/10/15分钟服务圈，统计各乡镇/街道覆盖情况、"
        "未达标指标与服务缺口。完全离线运行。\n\n",
        "CareCircle elder-service circle planner\n\nWalking service circles (5/10/15 min at an elderly walking speed) "
        "on the road network, coverage per township, missed targets and gaps. Runs fully offline.\n\n",
    ),
    # editing, scenarios, project files
    "cmd.add": ("新增设施 {name}", "Add facility {name}"),
    "cmd.remove": ("删除设施 {name}", "Delete facility {name}"),
    "cmd.move": ("移动设施 {name}", "Move facility {name}"),
    "cmd.edit": ("修改设施 {name}", "Edit facility {name}"),
    "cmd.remove_many": ("删除 {n} 个设施", "Delete {n} facilities"),
    "cmd.close_many": ("标记 {n} 个设施拟关闭", "Mark {n} facilities to close"),
    "menu.edit": ("编辑(&E)", "&Edit"),
    "menu.plan": ("规划方案(&P)", "&Plan"),
    "action.open_project": ("打开项目…", "Open project…"),
    "action.save": ("保存项目", "Save project"),
    "action.save_as": ("项目另存为…", "Save project as…"),
    "action.undo": ("撤销", "Undo"),
    "action.redo": ("重做", "Redo"),
    "toolbar.undo": ("撤销", "Undo"),
    "toolbar.redo": ("重做", "Redo"),
    "action.tool_identify": ("识别/平移", "Identify / pan"),
    "action.tool_add": ("新增规划设施", "Add planned facility"),
    "action.tool_move": ("移动设施", "Move facility"),
    "action.tool_select": ("选择设施", "Select facilities"),
    "action.delete_selected": ("删除所选设施", "Delete selected facilities"),
    "action.close_selected": ("所选设施标记拟关闭", "Mark selected to close"),
    "action.edit_facility": ("编辑设施属性…", "Edit facility attributes…"),
    "action.new_scenario": ("新建方案…", "New scenario…"),
    "action.compare": ("方案对比…", "Compare with baseline…"),
    "dock.history": ("编辑历史", "Edit history"),
    "scenario.label": ("方案", "Scenario"),
    "scenario.new_name": ("新方案名称", "Name of the new scenario"),
    "scenario.default_name": ("规划方案{n}", "Plan {n}"),
    "form.title_add": ("新增规划设施", "Add a planned facility"),
    "form.title_edit": ("设施属性", "Facility attributes"),
    "form.name": ("名称", "Name"),
    "form.type": ("类型", "Type"),
    "form.beds": ("床位数", "Beds"),
    "form.nursing_beds": ("护理型床位数", "Nursing-type beds"),
    "form.status": ("状态", "Status"),
    "form.default_name": ("新建{type}", "New {type}"),
    "save.ask": ("项目有未保存的修改，是否保存？", "The project has unsaved changes. Save them?"),
    "save.title": ("保存修改", "Save changes"),
    "recover.ask": ("发现上次未正常关闭时自动保存的修改（{when}）。是否恢复？", "Unsaved changes from a session that did not close normally were autosaved ({when}). Restore them?"),
    "recover.title": ("恢复未保存的修改", "Restore unsaved changes"),
    "compare.title": ("方案对比：{base} → {other}", "Scenario comparison: {base} → {other}"),
    "compare.base_share": ("基准覆盖率", "Baseline share"),
    "compare.other_share": ("方案覆盖率", "Scenario share"),
    "compare.delta": ("变化", "Change"),
    "compare.base_flags": ("基准未达标", "Baseline flags"),
    "compare.other_flags": ("方案未达标", "Scenario flags"),
    "compare.col.base_share": ("现状覆盖率", "Baseline covered share"),
    "compare.col.other_share": ("方案覆盖率", "Scenario covered share"),
    "compare.col.delta_pp": ("变化（百分点）", "Change (percentage points)"),
    "compare.col.base_covered": ("现状覆盖老人", "Baseline elderly covered"),
    "compare.col.other_covered": ("方案覆盖老人", "Scenario elderly covered"),
    "compare.col.delta_covered": ("覆盖老人变化", "Change in elderly covered"),
    "compare.col.base_flag_labels": ("现状未达标项", "Baseline targets missed"),
    "compare.col.other_flag_labels": ("方案未达标项", "Scenario targets missed"),
    "compare.totals": ("合计（各设施类型）", "Totals by facility class"),
    "compare.legend": ("加粗并着色的行：覆盖率有变化（绿色为提高，红色为降低）；变化以百分点计。",
                       "Bold, tinted rows: the covered share changed (green up, red down); changes in percentage points."),
    "compare.changed_tip": ("覆盖率变化 {delta} 个百分点", "Covered share changed by {delta} percentage points"),
    "compare.export": ("导出…", "Export…"),
    "compare.export_title": ("导出方案对比表 (CSV)", "Export the comparison (CSV)"),
    "compare.export_file": ("方案对比_{other}.csv", "comparison_{other}.csv"),
    "compare.exported": ("已导出：{path}", "Saved: {path}"),
    "compare.export_failed": ("无法写入 {path}：{error}", "Could not write {path}: {error}"),
    "layer.compare": ("新增/减少覆盖区域", "Newly covered / uncovered"),
    "legend.gained": ("新增覆盖", "newly covered"),
    "legend.lost": ("失去覆盖", "newly uncovered"),
    "status.live": ("已更新覆盖（{ms:.0f} 毫秒）", "Coverage updated ({ms:.0f} ms)"),
    "menu.export": ("导出", "Export"),
    "history.empty": ("（打开时的状态）", "(as opened)"),
    "export.pdf": ("打印地图 PDF…", "Print map as PDF…"),
    "export.png": ("打印地图 PNG…", "Print map as PNG…"),
    "export.atlas": ("分乡镇图集 PDF…", "Township atlas (PDF)…"),
    "export.html": ("离线交互地图 HTML…", "Offline interactive map (HTML)…"),
    "export.xlsx": ("指标表 Excel…", "Indicator workbook (Excel)…"),
    "export.gpkg": ("GeoPackage 图层…", "GeoPackage layers…"),
    "export.csv": ("覆盖表 CSV…", "Coverage table (CSV)…"),
    "export.need_result": ("请先运行分析，再导出", "Run the analysis before exporting"),
    "legend.existing": ("现状", "existing"),
    "legend.planned": ("规划 (空心)", "planned (hollow)"),
    "legend.band": ("{m:g} 分钟", "{m:g} min"),
    "legend.share": ("覆盖率 {lo:.0%}–{hi:.0%}", "covered {lo:.0%}–{hi:.0%}"),
    "legend.gap": ("服务缺口", "gap area"),
    "legend.roads_major": ("主要道路", "major roads"),
    "legend.roads_minor": ("其他道路", "other roads"),
    # plan targets (gui.targets_panel) and the township map by one target
    "dock.targets": ("规划目标", "Plan targets"),
    "layer.target": ("规划目标分级 (乡镇)", "Plan target (townships)"),
    "targets.empty": ("运行分析后，这里逐项列出规划标准的目标、出处和是否达标。",
                      "Run the analysis to list the profile's targets, their sources and whether each is met."),
    "targets.profile": ("规划标准：{title}", "Profile: {title}"),
    "targets.hint": ("点击一项目标，地图按镇（街道）显示该目标；再次点击恢复覆盖率分级。",
                     "Click a target to colour the townships by it; click it again for the covered share."),
    "targets.none": ("不按目标着色（显示覆盖率分级）", "No target on the map (covered share)"),
    "targets.on_map": ("▣ 地图显示中", "▣ on the map"),
    "targets.met": ("✔ 达标", "✔ met"),
    "targets.not_met": ("✘ 未达标", "✘ not met"),
    "targets.unknown": ("? 无法计算", "? no figure"),
    "targets.county": ("{unit}：{actual}，目标 ≥{target}", "Overall: {actual}, target ≥{target}"),
    "targets.summary": ("{met}/{total} {level}达标", "{met} of {total} {level} meet it"),
    "targets.beds": ("{v:.1f} 张/千名老人", "{v:.1f} beds per 1,000 elderly"),
    "targets.source": ("出处：{source}", "Source: {source}"),
    "atlas.target": ("规划目标", "Target"),
    "atlas.figure": ("现状", "Figure"),
    "atlas.result": ("结果", "Result"),
    "atlas.count": ("{n} 个", "{n}"),
    "atlas.units": ("{met}/{total} 个达标", "{met} of {total} meet it"),
    "atlas.balance_figure": ("本镇（街道）{own}；{unit} {county}", "here {own}; overall {county}"),
    "atlas.balance": ("平衡参考（全市目标，不分镇考核）", "balance view (a county-wide target)"),
    "targets.note": ("说明：{note}", "Note: {note}"),
    "legend.met_by": ("各{level}是否达标", "whether each {level} meets it"),
    "legend.met": ("✔ 达标", "✔ met"),
    "legend.not_met": ("✘ 未达标", "✘ not met"),
    "legend.target_na": ("不在目标范围或无数据", "outside the target's scope, or no figure"),
    "legend.units": ("各镇（街道）内达标的{level}占比", "share of the township's {level} that meet it"),
    "legend.presence": ("{unit}指标，分镇仅供参考", "a county-wide figure; per township for reference only"),
    "legend.presence_units": ("各镇（街道）内设有{classes}的{level}占比（{unit}指标，分镇仅供参考）",
                              "share of the township's {level} with {classes} (a county-wide figure; per township for reference only)"),
    "legend.has": ("设有{classes}", "has {classes}"),
    "legend.lacks": ("未设{classes}", "no {classes}"),
    "legend.s100": ("100%", "100%"),
    "legend.s80": ("80%–<100%", "80%–<100%"),
    "legend.s50": ("50%–<80%", "50%–<80%"),
    "legend.s0": ("<50%", "<50%"),
    "legend.balance": ("平衡参考，不作分镇考核", "balance view, no per-township verdict"),
    "legend.balance_of": ("各镇（街道）与{unit} {county} 相比", "each township against the county-wide {county}"),
    "legend.hi2": ("高于{unit}水平 25% 以上", "over 25% above the county-wide figure"),
    "legend.hi1": ("高于{unit}水平 0–25%", "0–25% above the county-wide figure"),
    "legend.lo1": ("低于{unit}水平 0–25%", "0–25% below the county-wide figure"),
    "legend.lo2": ("低于{unit}水平 25% 以上", "over 25% below the county-wide figure"),
    # new project / import dialog (gui.import_dialog)
    "action.new_project": ("新建项目…", "New project…"),
    "import.title": ("新建项目：导入数据", "New project: import data"),
    "import.title_layer": ("添加/替换图层：{layer}", "Add or replace a layer: {layer}"),
    "import.project": ("项目名称", "Project title"),
    "import.project_hint": ("默认取乡镇边界文件名", "default: the township file's name"),
    "import.profile": ("规划标准", "Standard profile"),
    "import.snap": ("道路节点吸附距离", "Road snapping distance"),
    "import.snap_tip": ("道路线端、节点相距小于此距离时连接成网（0–10 米，默认 0.5 米）",
                        "Road line ends and vertices closer than this are joined (0–10 m, default 0.5 m)"),
    "import.metres": (" 米", " m"),
    "import.layers": ("数据图层", "Data layers"),
    "import.sep": ("；", "; "),
    "import.list_sep": ("、", ", "),
    "import.col.layer": ("图层", "Layer"),
    "import.col.file": ("文件", "File"),
    "import.col.crs": ("坐标系", "Coordinate system"),
    "import.col.encoding": ("编码", "Encoding"),
    "import.col.columns": ("字段对应", "Columns"),
    "import.col.status": ("状态", "Status"),
    "import.required_layer": ("必需", "required"),
    "import.optional_layer": ("可选", "optional"),
    "import.no_file": ("（未选择文件）", "(no file)"),
    "import.file": ("文件", "File"),
    "import.browse": ("浏览…", "Browse…"),
    "import.clear": ("清除", "Clear"),
    "import.crs": ("坐标系", "Coordinate system"),
    "import.crs_auto": ("文件自带 / 自动", "From the file / automatic"),
    "import.crs_tip": ("文件缺少或写错坐标系时在此指定；可直接输入 EPSG:xxxx",
                       "Set it when the file lacks or misstates its coordinate system; EPSG:xxxx can be typed"),
    "import.encoding": ("文本编码", "Text encoding"),
    "import.encoding_auto": ("自动", "automatic"),
    "import.sheet": ("工作表", "Sheet"),
    "import.sublayer": ("文件内图层", "Layer in file"),
    "import.first": ("（第一个）", "(first)"),
    "import.columns": ("字段对应（* 为必填）", "Columns (* required)"),
    "import.none": ("（无）", "(none)"),
    "import.preview": ("预览", "Preview"),
    "import.features": ("{n:,} 个要素", "{n:,} features"),
    "import.crs_is": ("坐标系：{crs}", "Coordinate system: {crs}"),
    "import.reading": ("正在读取…", "Reading…"),
    "import.loading": ("正在读取并检查各图层…", "Reading and checking the layers…"),
    "import.status_ok": ("✔ {n:,} 个要素", "✔ {n:,} features"),
    "import.status_bad": ("✘ 无法使用", "✘ cannot be used"),
    "import.status_none": ("—", "—"),
    "import.status_basemap": ("✔ GeoTIFF", "✔ GeoTIFF"),
    "import.basemap_note": ("离线底图只需一个 GeoTIFF 文件，仅用于地图显示，不参与分析。",
                            "The offline basemap is one GeoTIFF file, shown under the map and not analysed."),
    "import.basemap_bad": ("离线底图须为 GeoTIFF 文件（.tif / .tiff）", "the offline basemap must be a GeoTIFF file (.tif / .tiff)"),
    "import.need_files": ("请选择以下图层的文件：{layers}", "Choose a file for: {layers}"),
    "import.failed_title": ("无法导入数据", "Cannot import the data"),
    "import.create": ("创建项目", "Create project"),
    "import.apply": ("加载图层", "Load layer"),
    "import.cancel": ("取消", "Cancel"),
    "import.done": ("已新建项目：{title}（尚未保存）", "New project: {title} (not saved yet)"),
    "import.filter.roads": ("道路 (*.osm *.pbf *.gpkg *.shp *.geojson *.json)", "Roads (*.osm *.pbf *.gpkg *.shp *.geojson *.json)"),
    "import.filter.population": ("老年人口 (*.gpkg *.shp *.geojson *.csv *.xlsx *.tif *.tiff)",
                                 "Population (*.gpkg *.shp *.geojson *.csv *.xlsx *.tif *.tiff)"),
    "import.filter.facilities": ("设施表 (*.csv *.xlsx *.gpkg *.shp *.geojson)", "Facility tables (*.csv *.xlsx *.gpkg *.shp *.geojson)"),
    "import.filter.basemap": ("GeoTIFF (*.tif *.tiff)", "GeoTIFF (*.tif *.tiff)"),
    "import.filter.other": ("地理数据 (*.gpkg *.shp *.geojson *.json *.csv *.xlsx)", "GIS data (*.gpkg *.shp *.geojson *.json *.csv *.xlsx)"),
    "field.highway": ("道路等级", "road class"),
    "field.layer": ("立体层级（隧道/桥梁）", "level (tunnel/bridge)"),
    "field.name": ("名称", "name"),
    "field.code": ("行政区划代码", "code"),
    "field.elderly": ("老年人口数", "elderly"),
    "field.kind": ("类别（社区/村）", "kind (community/village)"),
    "field.lon": ("经度", "longitude"),
    "field.lat": ("纬度", "latitude"),
    "field.x": ("X 坐标", "x"),
    "field.y": ("Y 坐标", "y"),
    "field.id": ("编号", "id"),
    "field.type": ("设施类型", "facility class"),
    "field.beds": ("床位数", "beds"),
    "field.nursing_beds": ("护理型床位数", "nursing beds"),
    "field.status": ("状态", "status"),
    "crs.none": ("无坐标系", "no coordinate system"),
    "crs.gk_zone": ("{datum} {deg}度带高斯投影 第{zone}带", "{datum} / {deg}-degree GK zone {zone}"),
    "crs.gk_cm": ("{datum} {deg}度带高斯投影 中央经线{cm}°E", "{datum} / {deg}-degree GK CM {cm}°E"),
    "crs.utm": ("{datum} UTM 投影 第{zone}带（北半球）", "{datum} / UTM zone {zone}N"),
    "crs.web_mercator": ("Web 墨卡托", "Web Mercator"),
    # replacing a layer of the open project
    "replace.title": ("替换图层", "Replace a layer"),
    "replace.layer_ask": ("替换“{layer}”图层？各规划方案和编辑历史均保留，可撤销",
                          "Replace the layer “{layer}”? The scenarios and the edit history are kept; this can be undone."),
    "replace.facilities_keep_ask": ("替换现状设施清单？各规划方案保留其规划设施，以及对仍在新清单中（编号、类型、名称相同）的设施所作的修改"
                                    "（关停、床位、位置等）；其余修改不再保留，将列入“提示与警告”。可撤销",
                                    "Replace the list of existing facilities? Every plan scenario keeps its planned facilities and "
                                    "its changes (closure, beds, location …) to facilities still listed (same id, class and name); "
                                    "changes to the others are dropped and listed under Notes and warnings. This can be undone."),
    "replace.population_counts_ask": ("用乡镇老年人口统计表替换老年人口？现有 {n} 个人口点将被移除，改按乡镇统计数计算（否则分析仍以人口点为准）。可撤销",
                                      "Replace the elderly population with the table of township counts? The {n} population "
                                      "points are removed and the township counts used instead (otherwise the analysis would "
                                      "still count the points). This can be undone."),
    "replace.changes_dropped": ("部分方案修改所涉设施已不在新清单中，未予保留：见“提示与警告”（{n} 条）",
                                "Some scenario changes concern facilities no longer in the list and were dropped: see "
                                "Notes and warnings ({n} lines)"),
    "cmd.replace_layer": ("替换图层：{layer}", "Replace layer: {layer}"),
    # notes and warnings dock (gui.warnings_panel)
    "dock.warnings": ("提示与警告", "Notes and warnings"),
    "dock.warnings_n": ("提示与警告（{n}）", "Notes and warnings ({n})"),
    "warnings.empty": ("运行分析后，这里列出路网孤岛、远离道路的设施、未能计入的老人等提示。",
                       "Run the analysis to list road islands, facilities far from roads, people left out and other notes."),
    "warnings.lines": ("提示", "Notes"),
    "warnings.details": ("逐个设施（双击一行在地图上定位）", "Facility by facility (double-click a row to zoom to it)"),
    "warn.col.kind": ("问题", "Problem"),
    "warn.col.facility_id": ("设施编号", "Facility id"),
    "warn.col.name": ("设施名称", "Name"),
    "warn.col.type": ("设施类型", "Class"),
    "warn.col.beds": ("床位数", "Beds"),
    "warn.col.value": ("数值", "Value"),
    "warn.col.lon": ("经度", "Longitude"),
    "warn.col.lat": ("纬度", "Latitude"),
    "warn.col.message": ("说明", "Message"),
    "warn.kind.island": ("位于路网孤岛", "on a road island"),
    "warn.kind.far_from_road": ("远离道路", "far from roads"),
    "warn.kind.outside_townships": ("不在乡镇范围内", "outside the townships"),
    "warn.msg.island": ("{name}（{fid}）位于仅 {value:.0f} 个节点的路网孤岛上，服务圈限于该孤岛",
                        "facility {name} ({fid}) lies on an island of {value:.0f} nodes; its circle stays on that island"),
    "warn.msg.far_from_road": ("{name}（{fid}）距最近的可步行道路 {value:.0f} 米",
                               "facility {name} ({fid}) is {value:.0f} m from the nearest walkable road"),
    "warn.msg.outside_townships": ("{name}（{fid}）不在任何乡镇内，其 {beds:,} 张床位未计入床位指标",
                                   "facility {name} ({fid}) lies outside every township; its {beds:,} beds are left out of the county bed figures"),
    "warn.many.island": ("{n:,} 个设施位于路网孤岛上，服务圈限于所在片段（见下表）",
                         "{n:,} facilities lie on road islands; their circles stay on those fragments (listed below)"),
    "warn.many.far_from_road": ("{n:,} 个设施距可步行道路超过 {m} 米（见下表）",
                                "{n:,} facilities are more than {m} m from a walkable road (listed below)"),
    "warn.many.outside_townships": ("{n:,} 个设施不在任何乡镇内，其 {beds} 张床位未计入床位指标（见下表）",
                                    "{n:,} facilities lie outside every township; their {beds} beds are left out of the county bed figures (listed below)"),
    "warn.islands": ("路网有 {n} 个孤岛（未与主路网连通的片段，共 {nodes} 个节点）；其上的老人和设施只能到达所在片段",
                     "the road network has {n} islands (fragments not joined to the main network, {nodes} nodes); people and facilities on them reach only their own fragment"),
    "warn.outside_points": ("{n} 个人口点（{elderly} 名老人）不在任何乡镇内，未计入任何指标",
                            "{n} population points with {elderly} elderly lie outside every township and are not counted in any figure"),
    "warn.unplaced": ("{name}有 {n} 名老人但其范围内没有可步行道路，这些老人均无法被覆盖",
                      "township {name} has {n} elderly but no walkable roads inside; none of them can be covered"),
    "warn.duplicates": ("{file}：{n} 个设施重复列出（同类型、同名称、相距 {m} 米以内），只计一次（{beds} 张床位未重复计入）：{list}",
                        "{file}: {n} facilities are listed twice (same class and name within {m} m) and counted once "
                        "({beds} beds not doubled): {list}"),
    "warn.no_beds_column": ("{file}：没有床位数列：其中 {n} 个有床位类设施（其中 {k} 个为养老机构床位）不计床位，床位指标无法据此判断",
                            "{file}: no beds column: {n} facilities of classes with beds ({k} institutional) count no beds; "
                            "the bed targets cannot be judged from this list"),
    "warn.empty_beds": ("{file}：{n} 个社区床位类设施床位数为空（第 {rows} 行），不计床位，按全部养老床位计的指标为下限",
                        "{file}: {n} facilities with community beds have an empty beds cell (rows {rows}); bed figures "
                        "counting all beds are a lower bound"),
    "warn.kept_counts": ("{file}：{n} 个乡镇不在老年人口表中（{names}），沿用乡镇图层中的人数（{elderly} 人）",
                         "{file}: {n} townships are not in the elderly table ({names}); they keep the township layer's "
                         "count ({elderly} elderly)"),
    "warn.outside_china": ("乡镇位于中国境外（约 {at}）：坐标按原样使用（境外无 GCJ-02/BD-09 偏移），中国规划目标未必适用",
                           "the townships lie outside China (around {at}): coordinates taken as given; the Chinese "
                           "plans' targets may not apply"),
    "warn.datum_shift": ("设施按 {now} 读取时距最近道路中位数 {d} 米；按 {best} 读取则为 {d2} 米：清单很可能是 {best} 坐标，"
                         "请在导入对话框中选择该坐标系（命令行 --crs facilities={flag}）",
                         "the facilities sit {d} m (median) from the nearest road as read ({now}); read as {best} they sit "
                         "{d2} m away: choose {best} (--crs facilities={flag})"),
    "warn.circles_left_out": ("共 {n} 个设施：超过 {limit} 个设施时不生成逐设施服务圈图层（内存）；分类服务圈、覆盖与缺口完整",
                              "{n} facilities: the per-facility circle layer is left out above {limit} facilities "
                              "(memory); circles per class, coverage and gaps are complete"),
    "warn.rows_skipped": ("{file}：{n} 行未作为数据读取：{list}", "{file}: {n} row(s) not read as data: {list}"),
    "warn.statuses": ("计入的设施状态：{statuses}；未计入 {n} 个设施（{detail}，共 {beds} 张床位）",
                      "counted statuses: {statuses}; left out {n} facilities ({detail}, {beds} beds)"),
    "warn.no_communities": ("规划标准含社区/村级目标，但未加载社区/村图层，这些目标无法达标",
                            "the profile has community/village targets but no community layer is loaded; they cannot be met"),
    "warn.urban": ("目标 {target} 只计城镇单元；按名称或代码取街道：{streets}",
                   "target {target} counts urban units only; taken as the streets (街道) by name or code: {streets}"),
    "warn.basis": ("目标 {target} 按{basis}老年人口计，数据为{data}老年人口：该项数值不严格可比",
                   "target {target} counts per {basis} elderly, the data hold {data} elderly: its figure is not strictly comparable"),
    "warn.basis.resident": ("常住", "resident"),
    "warn.basis.registered": ("户籍", "registered"),
    "warn.none": ("无", "none"),
    "warn.noding": ("道路节点连接：在 {snap} 米内合并 {merged} 个节点，接上 {closed} 处未连接的线端；{islands}",
                    "road noding joined {merged} vertices within {snap} m ({closed} undershoots closed); {islands}"),
    "warn.noding_islands": ("{n} 个孤岛源于相距很近但未连接的道路", "{n} islands came from near-misses"),
    "warn.noding_no_islands": ("未因此产生孤岛", "no island came from near-misses"),
    "warn.no_cpg": ("{file}：缺少 .cpg 编码文件，属性文字按 {encoding} 读取", "{file}: no .cpg; attribute text read as {encoding}"),
    "warn.encoding_chosen": ("{file}：属性文字按所选编码 {encoding} 读取", "{file}: attribute text read as {encoding}, as chosen"),
    "warn.converted": ("{file}：{crs} 坐标已转换为 WGS 84 (EPSG:4326)", "{file}: {crs} coordinates converted to WGS 84 (EPSG:4326)"),
    "warn.crs_given": ("{file}：文件未写明坐标系，按所选 {crs} 读取", "{file}: the file states no coordinate system; read as {crs}, as given"),
    "warn.crs_overridden": ("{file}：文件写明为 {own}，按所选 {crs} 读取", "{file}: the file says {own}; read as {crs}, as given"),
    "warn.no_prj": ("{file}：缺少 .prj 坐标系文件，按坐标推断为 {crs}", "{file}: no .prj; read as {crs} from its coordinates"),
    # -- print layout and cartography (gui/print_layout.py, gui/print_dialog.py): add keys below this line
    # -- end print layout
    # -- named gaps (gui/gaps_panel.py): add keys below this line
    # -- end named gaps
    # -- window (gui/main_window.py, gui/app.py): add keys below this line
    # -- end window

}


def set_language(lang: str) -> None:
    """Switch the UI language: ``zh`` (default) or ``en``."""
    global _LANG
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    _LANG = lang


def language() -> str:
    return _LANG


#: the analysis' progress steps (English in the engine) in Chinese; "<step>: <detail>" keeps its detail
_STEPS_ZH = {
    "analysis": "分析", "building the walking network": "构建步行路网", "changed areas": "变化区域",
    "checking the layers against each other": "检查图层之间是否匹配", "circle polygons": "生成服务圈",
    "coverage": "计算覆盖", "demand": "布设老年人口", "done": "完成", "export": "导出", "gap areas": "识别服务缺口",
    "inputs ready": "数据已读入", "layer ready": "图层已读入", "reading communities": "读取社区/村",
    "reading facilities": "读取养老设施", "reading population": "读取老年人口", "reading roads": "读取道路",
    "reading the project": "读取项目", "reading townships": "读取乡镇/街道", "walking circles": "计算步行服务圈",
    "facility circles": "生成逐设施服务圈", "scenario": "方案",
}


def step_text(step: str) -> str:
    """A progress step of the engine in the UI language: ``circle polygons: day_care`` -> 生成服务圈：日间照料中心."""
    if _LANG == "en" or not step:
        return step
    head, sep, detail = step.partition(": ")
    if head.startswith("reading ") and head not in _STEPS_ZH:
        return "读取" + head[len("reading "):]
    if head.startswith("scenario "):
        return f"方案 {head[len('scenario '):]}"
    text = _STEPS_ZH.get(head, head)
    if sep:
        from layers.classes import registry

        reg = registry()
        detail = reg.label(detail) if detail in reg else detail
        return f"{text}：{detail}"
    return text


def tr(key: str, **fmt: object) -> str:
    """The text of ``key`` in the current language (the key itself when missing). ``type.<class id>`` and
    ``status.<status id>`` are the names the facility class registry gives."""
    if key.startswith(("type.", "status.")) and key not in CATALOGUE:
        from layers.classes import STATUS_IDS, registry

        kind, _, ident = key.partition(".")
        reg = registry()
        if kind == "type" and ident in reg:
            return reg.label(ident, _LANG)
        if kind == "status" and ident in STATUS_IDS:
            return reg.status_label(ident, _LANG)
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry[0] if _LANG == "zh" else entry[1]
    return text.format(**fmt) if fmt else text
