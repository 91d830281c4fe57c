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
    "action.add_roads": ("添加道路网络…", "Add road network…"),
    "action.add_townships": ("添加乡镇/街道边界…", "Add township boundaries…"),
    "action.add_population": ("添加老年人口…", "Add elderly population…"),
    "action.add_communities": ("添加社区/村…", "Add communities/villages…"),
    "action.add_facilities": ("添加养老设施表…", "Add facility list…"),
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
}


def set_language(lang: str) -> None:
    """Switch the UI language: ``zh`` (default) or ``en``."""
    global _LANG
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}")
    _LANG = lang


def language() -> str:
    return _LANG


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
