"""The entry point of the frozen app (``build.spec``): the ``carecircle`` command, as ``gui.cli:main`` is for
an install from source. Started by a double-click on Windows the console is hidden (``hide_console``) and may
be gone; output then goes nowhere instead of failing.

``carecircle --self-check`` (frozen app only) checks from inside the bundle that everything read at run time
is there and works — class registry, profiles, sample, Leaflet, icons, the report font, Qt's zh_CN
translation, PROJ and GDAL data — prints one JSON object and exits 0 when all is well (1 otherwise).

With ``CARECIRCLE_STARTUP_PROBE=FILE`` in the environment (``bench/bench_startup.py``), ``carecircle gui``
writes to FILE when its window is up (shown, event loop running) and when it is usable (the sample loaded and
drawn), as wall-clock times, then closes.
"""
from __future__ import annotations

import json
import os
import sys


def _streams() -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # a windowed start has no console streams
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # Chinese messages on a GBK console never raise


def _check(report: dict, name: str, fn) -> None:
    try:
        value = fn()
        report[name] = {"ok": bool(value), "value": value}
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the others
        report[name] = {"ok": False, "value": f"{type(exc).__name__}: {exc}"}


def self_check() -> int:
    """Check what the app reads at run time from inside the bundle; print JSON; 0 when everything is there."""
    report: dict[str, dict] = {"frozen": {"ok": True, "value": bool(getattr(sys, "frozen", False))}}

    def registry():
        from layers.classes import DEFAULT_REGISTRY_PATH, load_registry

        return f"{DEFAULT_REGISTRY_PATH.name}: {len(load_registry(DEFAULT_REGISTRY_PATH).classes)} classes"

    def profiles():
        from projects.profiles import available_profiles

        return available_profiles()

    def sample():
        from projects.document import SAMPLE_PROJECT
        from projects.inputs import SAMPLE_DIR

        return SAMPLE_PROJECT.is_file() and (SAMPLE_DIR / "sample.toml").is_file() and str(SAMPLE_PROJECT)

    def leaflet():
        from projects.web_map import VENDOR

        return sorted(p.name for p in VENDOR.iterdir() if p.is_file())

    def proj():
        import pyproj
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True).transform(120.57, 32.37)
        return f"{pyproj.datadir.get_data_dir()}: 120.57E 32.37N -> {x:.0f} {y:.0f} m"

    def gdal_pyogrio():
        import pyogrio
        from projects.inputs import SAMPLE_DIR

        info = pyogrio.read_info(SAMPLE_DIR / "townships.gpkg")
        return f"{pyogrio.get_gdal_data_path()}: townships.gpkg {info['features']} features, {info['crs']}"

    def gdal_rasterio():
        import rasterio
        from rasterio.crs import CRS

        with rasterio.Env():
            data = rasterio.env.get_gdal_config("GDAL_DATA")
            return f"{data}: EPSG:4549 is {CRS.from_epsg(4549).to_dict().get('proj')}" if data else None

    for name, fn in (("registry", registry), ("profiles", profiles), ("sample", sample), ("leaflet", leaflet),
                     ("proj", proj), ("gdal_pyogrio", gdal_pyogrio), ("gdal_rasterio", gdal_rasterio)):
        _check(report, name, fn)

    from PySide6 import QtCore, QtWidgets

    from gui import app as gui_app

    qapp = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    _check(report, "qt_translations", lambda: gui_app.use_qt_translations("zh") and
           f"{QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)}: Cancel = "
           f"{QtCore.QCoreApplication.translate('QPlatformTheme', 'Cancel')}")
    _check(report, "report_font", lambda: gui_app.register_bundled_fonts() == gui_app.BUNDLED_FAMILY
           and f"{gui_app.report_font().families()} from {gui_app.FONTS_DIR}")
    _check(report, "icons", lambda: all(not gui_app.icon(p.stem).pixmap(24, 24).isNull()
                                        for p in gui_app.ICONS_DIR.glob("*.svg")) and str(gui_app.ICONS_DIR))
    del qapp
    ok = all(v["ok"] for v in report.values())
    print(json.dumps({"ok": ok, **report}, ensure_ascii=False, indent=1))
    return 0 if ok else 1


def _startup_probe(path: str) -> None:
    """Record when the window is up and when it is usable, then quit (bench/bench_startup.py)."""
    import time

    from gui import app as gui_app

    marks: dict[str, float] = {}
    real_open_target = gui_app.open_target

    def open_target(win, project):
        from PySide6 import QtCore

        def up():
            marks.setdefault("window_up", time.time())

        def usable():
            win.canvas.repaint()  # the map drawn now, not at the next idle moment
            QtCore.QCoreApplication.processEvents()
            marks["usable"] = time.time()
            with open(path, "w", encoding="utf-8") as f:
                json.dump(marks, f)
            win.undo_stack.setClean()
            QtCore.QTimer.singleShot(0, QtCore.QCoreApplication.quit)

        win.ask_restore = lambda when: False
        QtCore.QTimer.singleShot(0, up)  # runs once the event loop has started, the window shown
        win.inputsLoaded.connect(lambda: QtCore.QTimer.singleShot(0, usable))
        real_open_target(win, project)

    gui_app.open_target = open_target


if __name__ == "__main__":
    _streams()
    if os.environ.get("CARECIRCLE_STARTUP_PROBE"):
        _startup_probe(os.environ["CARECIRCLE_STARTUP_PROBE"])
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    from gui.cli import console_main

    console_main()
