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
    "analysis.speed_kmh": ("速度 (km/h)", "Speed (km/h)"),
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
    "flag.day_care_coverage_low": ("日间照料中心覆盖率不足", "day-care centre coverage low"),
    "flag.beds_per_1000_low": ("千人床位不足", "beds per 1,000 low"),
    "flag.nursing_share_low": ("护理型床位占比不足", "nursing-bed share low"),
    "flag.meal_point_gap": ("社区助餐缺口", "meal-point gap"),
    # fields and codes as tables, identify and the comparison show them (field_label, value_label)
    "col.fid": ("编号", "Id"),
    "col.id": ("编号", "Id"),
    "col.facility_id": ("设施编号", "Facility id"),
    "col.name": ("名称", "Name"),
    "col.status": ("状态", "Status"),
    "col.code": ("行政区划代码", "Code"),
    "col.kind": ("类别", "Kind"),
    "col.highway": ("道路等级", "Road class"),
    "col.layer": ("立体层级", "Level"),
    "col.length_m": ("长度（米）", "Length (m)"),
    "col.component": ("路网片段编号", "Network fragment"),
    "col.minutes": ("步行时间（分钟）", "Walking time (min)"),
    "col.area_ha": ("面积（公顷）", "Area (ha)"),
    "col.lon": ("经度", "Longitude"),
    "col.lat": ("纬度", "Latitude"),
    "col.x": ("X 坐标", "x"),
    "col.y": ("Y 坐标", "y"),
    "col.value": ("数值", "Value"),
    "col.message": ("说明", "Message"),
    "col.share_of": ("覆盖率：{type}", "Covered share: {type}"),
    "col.gap": ("差距", "Gap"),
    "col.target": ("目标值", "Target"),
    "col.actual": ("现状值", "Actual"),
    "col.indicator": ("指标", "Indicator"),
    "col.flag": ("未达标项", "Flag"),
    "col.label": ("说明", "Label"),
    "col.township_total": ("合计", "Total"),
    "value.none": ("—", "—"),
    # error dialogs: a Chinese line, the engine's English words at most as a second line
    "error.where": ("{place}：{text}", "{place}: {text}"),
    "error.row": ("第 {row} 行", "row {row}"),
    "error.column": ("“{column}”列", "column {column}"),
    "error.bad_data": ("数据有误，无法使用", "the data cannot be used"),
    "error.detail": ("说明（英文原文）：{detail}", "{detail}"),
    "error.internal": ("程序内部错误（请将下面的说明告知技术支持）", "internal error (please report the line below)"),
    "error.os": ("无法读写文件{path}：{reason}", "Cannot read or write{path}: {reason}"),
    "error.os.permission": ("没有访问权限", "permission denied"),
    "error.os.not_found": ("文件或文件夹不存在", "no such file or folder"),
    "error.os.no_space": ("磁盘空间不足", "no space left on the disk"),
    "error.os.exists": ("文件已存在", "the file exists"),
    "error.os.is_dir": ("这是一个文件夹", "this is a folder"),
    "error.os.read_only": ("磁盘为只读", "read-only disk"),
    "error.os.other": ("读写失败", "the operating system refused"),
    "error.msg.not_number": ("“{what}”须为数字，现为“{value}”", "{what} must be a number, got '{value}'"),
    "error.msg.not_degrees": ("“{what}”须为以度为单位的数字，现为“{value}”", "{what} must be a number of degrees, got '{value}'"),
    "error.msg.not_found": ("找不到文件", "file not found"),
    "error.msg.no_column": ("缺少“{want}”列；文件中的列为：{columns}", "no column '{want}'; the columns are: {columns}"),
    "error.msg.lacks_columns": ("设施清单缺少列：{columns}", "the facilities layer lacks the columns {columns}"),
    "error.msg.unknown_class": ("未知的设施类型“{text}”；可用：{accepted}", "unknown facility class '{text}'; accepted: {accepted}"),
    "error.msg.unknown_status": ("未知的设施状态“{text}”；可用：{accepted}", "unknown status '{text}'; accepted: {accepted}"),
    "error.msg.no_overlap": ("道路与乡镇边界不匹配：没有任何可步行道路位于乡镇范围内", "no walkable road lies inside any township"),
    "error.msg.no_crs": ("文件未写明坐标系，请在导入对话框中选择", "no coordinate system given"),
    "error.msg.unknown_crs": ("无法识别的坐标系“{crs}”", "unknown coordinate system '{crs}'"),
    "error.msg.empty": ("{what}为空", "the {what} is empty"),
    "error.msg.no_features": ("图层中没有要素", "the layer has no features"),
    "error.msg.not_project": ("不是 CareCircle 项目文件 (.ccproj)，或文件已损坏", "not a CareCircle project (.ccproj) or the file is damaged"),
    "error.msg.newer_project": ("此项目由更新版本的 CareCircle 保存，请升级后再打开", "this project was saved by a newer CareCircle"),
    "error.msg.scenario_exists": ("已有名为“{name}”的方案", "a scenario called {name} already exists"),
    "error.msg.scenario_name": ("方案需要名称", "a scenario needs a name"),
    "error.msg.nursing_beds": ("{name}：护理型床位（{nursing}）多于床位（{beds}）", "{name}: nursing beds ({nursing}) exceed beds ({beds})"),
    "error.msg.negative_beds": ("床位数不能为负", "beds cannot be negative"),
    "error.msg.name_empty": ("名称为空", "the name is empty"),
    "error.msg.encoding": ("文字编码不符，请在导入对话框中选择 {encoding}", "wrong text encoding; choose {encoding}"),
    "error.msg.not_csv": ("不是文本 CSV 文件，请另存为 UTF-8 编码的 CSV 或 .xlsx", "this is not a text CSV file"),
    "error.msg.xls": ("不支持旧版 Excel .xls 文件，请另存为 .xlsx 或 .csv", "old Excel .xls files are not supported"),
    "error.msg.outside_china": ("坐标不在中国境内，也不是经纬度（度）", "the coordinates are not degrees in China"),
    "error.msg.snap": ("道路节点吸附距离须在 0–{max} 米之间", "the road snapping distance must be 0–{max} m"),
    "error.msg.load_first": ("请先加载{layers}", "load {layers} first"),
    # file dialogs
    "filter.all": ("所有文件 (*)", "All files (*)"),
    "filter.ccproj": ("CareCircle 项目文件 (*.ccproj)", "CareCircle projects (*.ccproj)"),
    "filter.csv": ("CSV 文件 (*.csv)", "CSV files (*.csv)"),
    "filter.pdf": ("PDF 文件 (*.pdf)", "PDF files (*.pdf)"),
    "filter.png": ("PNG 图片 (*.png)", "PNG images (*.png)"),
    "filter.html": ("HTML 网页 (*.html)", "HTML pages (*.html)"),
    "filter.xlsx": ("Excel 工作簿 (*.xlsx)", "Excel workbooks (*.xlsx)"),
    "filter.gpkg": ("GeoPackage 文件 (*.gpkg)", "GeoPackage files (*.gpkg)"),
    "export.atlas_suffix": ("（分乡镇图集）", "-atlas"),
    # standard profiles (the combo shows the short title; the full title is its tooltip)
    "profile.custom": ("自定义规划标准：{name}", "own profile: {name}"),
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
                         "请在导入对话框中为养老设施选择该坐标系",
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
    "warn.no_nursing_column": ("{file}：没有护理型床位数列：其中 {n} 个有养老机构床位的设施不计护理型床位，护理型床位占比无法据此判断",
                               "{file}: no nursing beds column: {n} facilities with institutional beds count no nursing beds"),
    "warn.pairs": ("{file}：{n} 对设施同类型、同状态、同名称且相距 {m} 米以内，但编号和床位数不同，均已保留；请核实每对是否确为两个设施：{list}",
                   "{file}: {n} pairs of facilities share class, status and name within {m} m but differ in id and beds; both kept: {list}"),
    "warn.utf8_format": ("{file}：该格式以 UTF-8 存储文字，所选编码 {encoding} 未使用", "{file}: the format stores text as UTF-8; {encoding} not used"),
    "warn.no_crs_inferred": ("{file}：文件未写明坐标系，按坐标推断为 {crs}", "{file}: no coordinate system in the file; read as {crs}"),
    "warn.scenario_dropped": ("方案“{name}”：{n} 项修改所涉设施已不在新清单中（编号、类型、名称相同者），未予保留",
                              "scenario {name}: {n} changes to facilities no longer listed were dropped"),
    "warn.scenario_kept_over": ("方案“{name}”：{n} 项规划修改保留，覆盖新清单中的数值", "scenario {name}: {n} planned changes kept over the new list"),
    "warn.planned_kept": ("旧清单中的 {n} 个规划设施不在新清单中，各规划方案仍保留：{list}",
                          "{n} planned facilities of the old list are not in the new one; the scenarios keep them: {list}"),
    "warn.planned_renamed": ("规划设施 {name} 的编号改为 {new}：新清单中的 {old} 为 {other}",
                             "planned facility {name} now has id {new}: the new list uses {old} for {other}"),
    "error.msg.apart": ("{layer}{file}位于 {at} 附近，乡镇边界位于 {t_at} 附近（相距 {km} 公里），没有任何要素落在乡镇范围内：图层属于不同地区，或其中之一坐标系有误",
                        "the {layer} lie around {at}, the townships around {t_at} ({km} km apart)"),
    # -- print layout and cartography (gui/print_layout.py, gui/print_dialog.py): add keys below this line
    "print.title": ("{area}{cls}{m:g}分钟服务圈覆盖{kind}", "{area}: {m:g}-minute service circles of {cls}, {kind}"),
    "print.kind_baseline": ("现状图", "current situation"),
    "print.kind_plan": ("规划图", "plan"),
    "print.legend": ("图例", "Legend"),
    "print.legend_title.circles": ("服务圈（{cls}）", "Service circles ({cls})"),
    "print.legend_title.gaps": ("服务缺口（{cls}）", "Gap areas ({cls})"),
    "print.legend_title.coverage": ("各镇覆盖率（{cls}）", "Covered share by township ({cls})"),
    "print.legend_title.compare": ("新增/失去覆盖（{cls}）", "Newly covered / uncovered ({cls})"),
    "print.no_figure": ("无数据", "no figure"),
    "print.county_table": ("各镇（街道）{cls}覆盖情况", "{cls}: coverage by township"),
    "print.inset": ("城区放大图：{name}", "Main town enlarged: {name}"),
    "print.org_line": ("制图单位：{org}", "Mapped by: {org}"),
    "print.date_line": ("制图时间：{date}", "Date: {date}"),
    "print.date_value": ("{y}年{m}月{d}日", "{y}-{m:02d}-{d:02d}"),
    "print.page": ("第 {i} 页 / 共 {n} 页", "page {i} of {n}"),
    "print.rows_cut": ("……另有 {n} 行，见工作簿", "... {n} more rows in the workbook"),
    "print.sources": ("数据来源：{parts}。制图软件：CareCircle", "Data: {parts}. Made with CareCircle"),
    "print.source_osm": ("道路：OpenStreetMap 贡献者（ODbL）", "roads: OpenStreetMap contributors (ODbL)"),
    "print.source_project": ("{layers}：项目资料", "{layers}: the project's own data"),
    "print.source_kind.roads": ("道路", "roads"),
    "print.source_kind.townships": ("乡镇（街道）界线与老年人口", "township boundaries and elderly"),
    "print.source_kind.population": ("老年人口分布", "elderly population"),
    "print.source_kind.communities": ("村（社区）", "villages and communities"),
    "print.source_kind.facilities": ("养老设施", "facilities"),
    "print.source_kind.basemap": ("底图", "basemap"),
    "print.sources_sample": ("数据来源：示例数据。县界、乡镇（街道）名称与 60 岁及以上老年人口总数（第七次全国人口普查）为真实数据；"
                             "乡镇界线、道路、村（社区）及养老设施为程序生成的虚构数据，不能用于实际规划。制图软件：CareCircle",
                             "Data: sample data. The county outline, the township names and the total of residents aged 60+ "
                             "(2020 census) are real; boundaries, roads, villages and facilities are generated and must not be "
                             "used for planning. Made with CareCircle"),
    "print.dialog_title": ("打印布局", "Print layout"),
    "print.paper": ("纸张", "Paper"),
    "print.orientation": ("方向", "Orientation"),
    "print.landscape": ("横向", "Landscape"),
    "print.portrait": ("纵向", "Portrait"),
    "print.dpi": ("分辨率 (DPI)", "Resolution (DPI)"),
    "print.map_title": ("图名", "Map title"),
    "print.title_reset": ("恢复默认图名", "Default title"),
    "print.org": ("制图单位", "Mapped by"),
    "print.date": ("制图时间", "Date"),
    "print.class": ("显示的设施类型", "Class shown"),
    "print.inset_on": ("城区放大图", "Inset of the main town"),
    "print.page_numbers": ("页码（图集）", "Page numbers (atlas)"),
    "print.summary_page": ("图集首页为全市汇总页", "Atlas starts with a county summary page"),
    "print.preview": ("预览", "Preview"),
    "print.outputs": ("输出", "Outputs"),
    "print.out_pdf": ("PDF 地图", "PDF map"),
    "print.out_png": ("PNG 图片", "PNG image"),
    "print.out_atlas": ("图集 PDF（每镇一页）", "Atlas PDF (a page per township)"),
    "print.browse": ("浏览…", "Browse…"),
    "print.export": ("导出", "Export"),
    "print.need_output": ("请至少选择一个输出文件。", "Choose at least one output file."),
    "print.filter_pdf": ("PDF 文件 (*.pdf)", "PDF files (*.pdf)"),
    "print.filter_png": ("PNG 图片 (*.png)", "PNG images (*.png)"),
    "action.print_layout": ("打印布局…", "Print layout…"),
    # -- end print layout
    # -- named gaps (gui/gaps_panel.py): add keys below this line
    "dock.gaps": ("未覆盖社区/村", "Communities left out"),
    "gaps.class": ("设施类型", "Facility class"),
    "gaps.col.name": ("名称", "Name"),
    "gaps.col.kind": ("社区/村", "Community/village"),
    "gaps.col.township": ("乡镇/街道", "Township"),
    "gaps.col.elderly": ("老年人口", "Elderly"),
    "gaps.col.nearest": ("最近设施", "Nearest facility"),
    "gaps.col.walk_m": ("步行距离 m", "Walk (m)"),
    "gaps.summary": ("{n} 个社区/村在{type} {minutes} 分钟步行服务圈以外，老年人口 {elderly} 人",
                     "{n} communities/villages outside the {minutes}-minute walk of a {type}: {elderly} elderly"),
    "gaps.summary_missing": ("（另有 {k} 个未提供老年人口）", " ({k} more without an elderly count)"),
    "gaps.none": ("所有社区/村都在{type} {minutes} 分钟步行服务圈以内", "Every community/village is within the "
                  "{minutes}-minute walk of a {type}"),
    "gaps.empty": ("运行分析后，这里按老年人口从多到少列出各类设施服务圈以外的社区和村。",
                   "Run the analysis to list the communities and villages outside each class's circle, most elderly first."),
    "gaps.no_communities": ("未加载社区/村图层，无法列出服务圈以外的社区和村（文件 → 添加/替换社区/村）。",
                            "No community/village layer is loaded: the communities left out cannot be named "
                            "(File → Add/replace communities/villages)."),
    "gaps.hint": ("单击一行缩放到该社区/村；步行距离沿道路计到最近一处该类设施。",
                  "Click a row to zoom to it; the walk follows the roads to the nearest facility of the class."),
    "gaps.unreachable": ("不可达", "unreachable"),
    "gaps.unreachable_tip": ("沿路网无法到达任何该类设施（路网孤岛或无连通道路）",
                             "No facility of this class can be reached along the roads (a road island or no link)"),
    "gaps.no_facility": ("无该类设施", "none of this class"),
    "gaps.elderly_missing": ("未提供", "not given"),
    # -- end named gaps
    # -- window (gui/main_window.py, gui/app.py): add keys below this line
    "menu.panels": ("面板", "Panels"),
    "menu.toolbars": ("工具栏", "Toolbars"),
    "action.reset_layout": ("恢复默认布局", "Reset window layout"),
    "toolbar.main_title": ("主工具栏", "Main toolbar"),
    "toolbar.edit_title": ("编辑工具栏", "Edit toolbar"),
    # -- end window
    # -- siting (issue 17): gui/siting_dialog.py
    "action.siting": ("选址建议…", "Siting suggestions…"),
    "siting.title": ("选址建议", "Siting suggestions"),
    "siting.cmd": ("采纳选址建议：{name}", "Adopt siting suggestion: {name}"),
    "siting.class": ("设施类别", "Facility class"),
    "siting.objective": ("目标", "Objective"),
    "siting.best_k": ("新增 k 处，覆盖老人最多", "Best k sites (most elderly newly covered), k ="),
    "siting.meet_targets": ("以最少新增点位达到规划目标", "Fewest sites that meet the plan's targets"),
    "siting.per_township": ("尚无该类设施的每个镇（街道）至少一处", "At least one in each township that has none"),
    "siting.candidates": ("候选点", "Candidates"),
    "siting.generated": ("沿有人居住的道路自动生成", "Generated along populated streets"),
    "siting.spacing": ("间距", "spacing"),
    "siting.metres": (" 米", " m"),
    "siting.from_file": ("自有候选点文件", "My own candidate file"),
    "siting.file_hint": ("CSV/XLSX（经度、纬度）或 GPKG/SHP 点图层", "CSV/XLSX (lon, lat) or GPKG/SHP points"),
    "siting.browse": ("浏览…", "Browse…"),
    "siting.filter": ("候选点文件 (*.csv *.xlsx *.gpkg *.shp *.geojson)", "Candidate files (*.csv *.xlsx *.gpkg *.shp *.geojson)"),
    "siting.township": ("范围", "Limit to"),
    "siting.whole_county": ("全县（市、区）", "Whole county"),
    "siting.exact": ("同时求精确最优解（HiGHS），并报告贪心解与最优解之比", "Also solve exactly (HiGHS) and report greedy / optimal"),
    "siting.ready": ("选择类别与目标后点击“计算”。", "Choose a class and an objective, then Run."),
    "siting.running": ("正在计算选址……", "Computing sites…"),
    "siting.run": ("计算", "Run"),
    "siting.cancel": ("取消", "Cancel"),
    "siting.apply": ("采纳为新方案", "Adopt as a new scenario"),
    "siting.close": ("关闭", "Close"),
    "siting.col.site": ("建议点位", "Site"),
    "siting.col.township": ("镇（街道）", "Township"),
    "siting.col.newly": ("新增覆盖老人", "Elderly newly covered"),
    "siting.col.share": ("累计覆盖率", "Cumulative share"),
    "siting.col.targets": ("满足的目标单元", "Target units met"),
    "siting.done": ("找到 {n} 处建议点位。", "{n} sites found."),
    "siting.summary": ("覆盖率 {before} → {after}（候选点 {n} 个，{method}）",
                       "Covered share {before} → {after} ({n} candidates, {method})"),
    "siting.method.greedy": ("贪心算法", "greedy"),
    "siting.method.exact": ("精确求解", "exact"),
    "siting.ratio": ("贪心解 / 最优解 = {ratio}（{optimal}）", "greedy / optimal = {ratio} ({optimal})"),
    "siting.sets": ("贪心 {greedy} 处，精确最少 {exact} 处", "greedy {greedy} sites, exact fewest {exact}"),
    "siting.optimal": ("已证明最优", "proven optimal"),
    "siting.time_limit": ("达到时间上限", "time limit reached"),
    "siting.unmet": ("候选点无法满足：{units}", "Cannot be met from the candidates: {units}"),
    "siting.more": ("等，另有 {n} 个", " and {n} more"),
    "siting.reason.no_candidate_in_unit": ("辖区内无候选点", "no candidate inside"),
    "siting.reason.too_few_candidates": ("辖区内候选点不足", "too few candidates inside"),
    "siting.reason.no_candidate_within_reach": ("步行可达范围内无候选点", "no candidate within the walk"),
    "siting.reason.share_out_of_reach": ("有候选点的单元不足以达到比例", "too few units have a candidate"),
    "siting.reason.bed_target": ("床位类目标，不由选址满足", "a bed target: not met by siting"),
    "siting.reason.coverage_share_target": ("老人覆盖率目标，请用“新增 k 处”提高", "a covered-share target: raise it with best k"),
    "siting.failed": ("未能完成：{message}", "Not done: {message}"),
    "siting.cancelled": ("已取消。", "Cancelled."),
    "siting.no_file": ("请选择候选点文件。", "Choose a candidate file."),
    "siting.applied": ("已新建方案“{name}”（可撤销）。", "Scenario “{name}” created (undoable)."),
    # -- end siting

}


#: Qt's own texts that its bundled qtbase_zh_CN does not translate (Qt 6 added mnemonics to the file dialog's labels):
#: (context, source) -> Chinese, for a QTranslator installed next to qtbase_zh_CN (gui.app)
QT_GAPS_ZH: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
    ("QAbstractFileIconProvider", "Drive"): "驱动器",
    ("QAbstractFileIconProvider", "File"): "文件",
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
    "facility circles": "生成逐设施服务圈", "scenario": "方案", "named gaps": "列出未覆盖社区/村",
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


# -- labels of fields and codes: the one place tables, identify and the comparison take them from ----------

#: OpenStreetMap road classes (``highway``) in Chinese; English shows the tag with spaces
_HIGHWAY_ZH = {
    "motorway": "高速公路", "motorway_link": "高速公路匝道", "trunk": "快速路", "trunk_link": "快速路匝道",
    "primary": "主干路", "primary_link": "主干路连接线", "secondary": "次干路", "secondary_link": "次干路连接线",
    "tertiary": "支路", "tertiary_link": "支路连接线", "unclassified": "未分级道路", "road": "道路（未分级）",
    "residential": "居住区道路", "living_street": "生活街道", "service": "服务性道路", "track": "乡村小路",
    "pedestrian": "步行街", "footway": "人行道", "path": "小径", "steps": "台阶", "cycleway": "自行车道",
    "bridleway": "马道", "corridor": "室内通道",
}
#: field names that mean the same as a ``col.*`` key
_FIELD_ALIASES = {"facility": "facility_id", "class": "type", "facility_type": "type", "elderly_count": "elderly"}
#: columns whose values are facility class ids, status ids, community kinds, road classes, townships
_CLASS_COLUMNS = ("type", "class", "facility_type")
_STATUS_COLUMNS = ("status",)
_KIND_COLUMNS = ("kind",)
_HIGHWAY_COLUMNS = ("highway",)
_TOWNSHIP_COLUMNS = ("township",)


def field_label(column: object) -> str:
    """The display name of a field of a layer or table in the UI language: ``fid`` → 编号, ``type`` → 设施类型,
    ``share_day_care`` → 覆盖率：日间照料中心; a field it does not know is shown as named (a planner's own header)."""
    name = str(column)
    name = _FIELD_ALIASES.get(name, name)
    key = f"col.{name}"
    if key in CATALOGUE:
        return tr(key)
    if name.startswith("share_"):
        from layers.classes import registry

        reg = registry()
        cls = name[len("share_"):]
        if cls in reg:
            return tr("col.share_of", type=reg.label(cls, _LANG))
    if f"field.{name}" in CATALOGUE:
        return tr(f"field.{name}")
    return name


def value_label(column: object, value: object) -> str | None:
    """The display label of a coded value of ``column`` (``type``/``day_care`` → 日间照料中心, ``status``/``existing`` →
    现状, ``kind``/``urban`` → 社区, ``highway``/``residential`` → 居住区道路, the 合计 row → Total in English);
    ``None`` when the value is not a code of that column (numbers, names)."""
    if not isinstance(value, str) or not value:
        return None
    name = _FIELD_ALIASES.get(str(column), str(column))
    if name in _CLASS_COLUMNS:
        from layers.classes import registry

        reg = registry()
        return reg.label(value, _LANG) if value in reg else None
    if name in _STATUS_COLUMNS:
        from layers.classes import STATUS_IDS, registry

        return registry().status_label(value, _LANG) if value in STATUS_IDS else None
    if name in _KIND_COLUMNS:
        return tr(f"kind.{value}") if f"kind.{value}" in CATALOGUE else None
    if name in _HIGHWAY_COLUMNS:
        if value not in _HIGHWAY_ZH:
            return None
        return _HIGHWAY_ZH[value] if _LANG == "zh" else value.replace("_", " ")
    if name in _TOWNSHIP_COLUMNS and value == "合计":
        return tr("col.township_total")
    return None


def file_filter(*keys: str) -> str:
    """A file dialog's filter line in the UI language: ``file_filter("csv")`` → ``CSV 文件 (*.csv);;所有文件 (*)``
    (the "all files" entry always last)."""
    return ";;".join([*(tr(f"filter.{k}") for k in keys), tr("filter.all")])


def profile_label(name: str, title: str = "") -> str:
    """How a standard profile is named in a list: its short Chinese title (``南通 2014``, the part before the
    colon of its title) in Chinese, its name in English; a profile without a title by its name."""
    if _LANG == "en":
        return name
    from projects.profiles import short_title

    return short_title(name, title)
