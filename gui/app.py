"""Starting the desktop app: fonts that render Chinese, the main window, the optional screenshot mode."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from layers.errors import InputError
from projects.inputs import sample_info

from . import i18n

#: fonts with Simplified Chinese glyphs, best first (Windows, macOS, Linux)
CJK_FAMILIES = ("Microsoft YaHei", "Microsoft YaHei UI", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "SimSun")


def cjk_font_family() -> str | None:
    """The first installed font family that has Chinese glyphs."""
    families = set(QtGui.QFontDatabase.families())
    for fam in CJK_FAMILIES:
        if fam in families:
            return fam
    for fam in sorted(families):
        if QtGui.QFontDatabase.WritingSystem.SimplifiedChinese in QtGui.QFontDatabase.writingSystems(fam):
            return fam
    return None


#: fonts for Latin letters and digits in printed reports (Qt maps their glyphs back to text correctly,
#: so numbers copied out of a PDF stay numbers); Chinese falls through to the CJK family
LATIN_FAMILIES = ("Segoe UI", "Arial", "Helvetica", "DejaVu Sans", "Noto Sans", "Liberation Sans")


def report_font(point_size: float = 10.0) -> QtGui.QFont:
    """A font for printed maps: a Latin family first, then the CJK one."""
    families = set(QtGui.QFontDatabase.families())
    chosen = [f for f in LATIN_FAMILIES if f in families][:1]
    cjk = cjk_font_family()
    font = QtGui.QFont()
    font.setFamilies(chosen + ([cjk] if cjk else []))
    font.setPointSizeF(point_size)
    return font


_QT_TRANSLATOR: QtCore.QTranslator | None = None


def use_qt_translations(lang: str) -> bool:
    """Qt's own texts (OK/Cancel, Save/Discard, the file dialog's labels) in the UI language: Qt's bundled
    ``qtbase_zh_CN`` for zh, none for en. Returns whether the language's translation is in use."""
    global _QT_TRANSLATOR
    app = QtCore.QCoreApplication.instance()
    if app is None:
        return False
    if _QT_TRANSLATOR is not None:
        app.removeTranslator(_QT_TRANSLATOR)
        _QT_TRANSLATOR = None
    if lang != "zh":
        return True
    translator = QtCore.QTranslator(app)
    if not translator.load("qtbase_zh_CN", QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)):
        return False
    app.installTranslator(translator)
    _QT_TRANSLATOR = translator
    return True


def make_app(argv: list[str] | None = None) -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or [sys.argv[0]])
    app.setApplicationName("CareCircle")
    app.setOrganizationName("CareCircle")
    use_qt_translations(i18n.language())
    fam = cjk_font_family()
    if fam:
        font = QtGui.QFont(fam)
        font.setPointSizeF(max(app.font().pointSizeF(), 9.5))
        app.setFont(font)
    return app


def open_target(win, project: str | None) -> None:
    """Open what the command line names in the window: nothing = the bundled sample project (untitled),
    a ``.ccproj`` file, or a folder / ``.toml`` manifest of layer files like ``projects/sample``."""
    if project is None:
        win.open_sample()
        return
    p = Path(project)
    if p.suffix.lower() == ".ccproj":
        if not p.is_file():
            raise InputError("project file not found", path=p)
        win.open_project(p)
    elif p.is_dir():
        win.open_sources(sample_info(p))
    elif p.suffix.lower() == ".toml" and p.is_file():
        win.open_sources(sample_info(p))
    else:
        raise InputError("cannot open this; give a .ccproj project, or a folder with sample.toml", path=p)


def run_gui(project: str | None = None, *, screenshot: Path | None = None, lang: str = "zh", zoom_to: str | None = None) -> int:
    i18n.set_language(lang)
    app = make_app()
    from .main_window import MainWindow

    win = MainWindow()
    win.show()
    try:
        if screenshot is None:
            open_target(win, project)
            code = app.exec()
            _dispose(app, win)
            return code
        return _screenshot(app, win, project, Path(screenshot), zoom_to=zoom_to)
    except InputError as exc:
        print(f"carecircle: error: {exc}", file=sys.stderr)
        _dispose(app, win)
        return 2


def _screenshot(app: QtWidgets.QApplication, win, project: str | None, out: Path, *, zoom_to: str | None = None) -> int:
    """Open, run the analysis, save a picture of the whole window, exit. The picture is 1400x900 whatever the
    screen (an offscreen one is 800x600): it goes into documents."""
    status = {"code": 1}
    win.resize(1400, 900)

    def failed(message: str) -> None:
        print(f"carecircle: error: {message}", file=sys.stderr)
        status["code"] = 2
        app.quit()

    def analysed() -> None:
        if zoom_to:
            win.results.select_township(zoom_to)
            win.zoom_to_township(zoom_to)
        win.canvas.refresh()
        QtCore.QTimer.singleShot(300, shoot)

    def shoot() -> None:
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = win.grab().save(str(out))
        status["code"] = 0 if ok else 1
        if not ok:
            print(f"carecircle: error: cannot write {out}", file=sys.stderr)
        app.quit()

    win.errorShown.connect(failed)
    win.inputsLoaded.connect(win.run_analysis)
    win.analysisFinished.connect(analysed)
    win.ask_restore = lambda when: False  # a documentation run never restores autosaves
    open_target(win, project)
    app.exec()
    _dispose(app, win)
    return status["code"]


def _dispose(app: QtWidgets.QApplication, win) -> None:
    """Close the window and let Qt delete it before Python finalises (avoids teardown-order crashes)."""
    win.wait_idle(30_000)
    win.undo_stack.setClean()
    win._dirty_extra = False  # closing after app.exec() ended: any prompt has already been answered
    win.close()
    win.deleteLater()
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    app.processEvents()
