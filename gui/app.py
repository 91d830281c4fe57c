"""Starting the desktop app: fonts that render Chinese, the bundled icons, the main window, the optional
screenshot mode."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from layers.errors import InputError
from projects.inputs import sample_info

from . import i18n

#: the report and UI font bundled with the app (``gui/fonts``, SIL Open Font License 1.1): a subset of Noto Sans
#: CJK SC with every character of the app's own text and all of GB 2312, Latin included, made by
#: ``tools/make_report_font.py``. Printed maps and PDFs use it alone, so they are the same on every machine
#: (a Windows office PC without Noto, a Linux build server); a PyInstaller build keeps it at the same relative path
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FAMILY = "CareCircle Sans CJK SC"
BUNDLED_FONT_FILES = ("CareCircleSansCJKSC-Regular.otf", "CareCircleSansCJKSC-Bold.otf")

#: fonts with Simplified Chinese glyphs, best first (Windows, macOS, Linux), used only when the bundled font
#: cannot be loaded (a source checkout without ``gui/fonts``)
CJK_FAMILIES = ("Microsoft YaHei", "Microsoft YaHei UI", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "SimSun")

_BUNDLED: dict[str, str | None] = {}


def register_bundled_fonts() -> str | None:
    """Register the bundled font files with Qt's font database (once per process; needs a QGuiApplication).
    They are added from their files, not from bytes, because Qt's PDF writer embeds only fonts that have a file.
    Returns the family, or None when the files are missing or unreadable (then the installed CJK fonts serve)."""
    if "family" in _BUNDLED:
        return _BUNDLED["family"]
    if QtGui.QGuiApplication.instance() is None:
        return None  # nothing cached: asked again once the application exists
    families: set[str] = set()
    for name in BUNDLED_FONT_FILES:
        path = FONTS_DIR / name
        font_id = QtGui.QFontDatabase.addApplicationFont(str(path)) if path.is_file() else -1
        if font_id >= 0:
            families.update(QtGui.QFontDatabase.applicationFontFamilies(font_id))
    _BUNDLED["family"] = BUNDLED_FAMILY if BUNDLED_FAMILY in families else None
    return _BUNDLED["family"]


def cjk_font_family() -> str | None:
    """The family for Chinese text: the bundled font, else the first installed family with Chinese glyphs."""
    bundled = register_bundled_fonts()
    if bundled:
        return bundled
    families = set(QtGui.QFontDatabase.families())
    for fam in CJK_FAMILIES:
        if fam in families:
            return fam
    for fam in sorted(families):
        if QtGui.QFontDatabase.WritingSystem.SimplifiedChinese in QtGui.QFontDatabase.writingSystems(fam):
            return fam
    return None


#: fonts for Latin letters and digits in printed reports when the bundled font is missing (Qt maps their glyphs
#: back to text correctly, so numbers copied out of a PDF stay numbers); Chinese falls through to the CJK family
LATIN_FAMILIES = ("Segoe UI", "Arial", "Helvetica", "DejaVu Sans", "Noto Sans", "Liberation Sans")


def report_font(point_size: float = 10.0) -> QtGui.QFont:
    """A font for printed maps: the bundled font alone (its Latin, digits and Chinese), so a PDF embeds the
    same font on every machine; without it a Latin family first, then the installed CJK one."""
    font = QtGui.QFont()
    bundled = register_bundled_fonts()
    if bundled:
        font.setFamilies([bundled])
    else:
        families = set(QtGui.QFontDatabase.families())
        chosen = [f for f in LATIN_FAMILIES if f in families][:1]
        cjk = cjk_font_family()
        font.setFamilies(chosen + ([cjk] if cjk else []))
    font.setPointSizeF(point_size)
    return font


#: the bundled SVG icons (plain files next to this module, MIT like the project: ``gui/icons/README.md``);
#: a PyInstaller build keeps them as data files at the same relative path
ICONS_DIR = Path(__file__).resolve().parent / "icons"
APP_ICON = "carecircle"


@lru_cache(maxsize=None)
def icon(name: str) -> QtGui.QIcon:
    """The bundled icon ``gui/icons/<name>.svg``; a missing file is an error (a typo must not ship as a blank
    button)."""
    path = ICONS_DIR / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no bundled icon {name!r} ({path})")
    return QtGui.QIcon(str(path))


_QT_TRANSLATOR: QtCore.QTranslator | None = None


class _QtGaps(QtCore.QTranslator):
    """The few texts of Qt's own dialogs that ``qtbase_zh_CN`` lacks (the file dialog's "Look in:", "Files of
    type:", ...), from :data:`gui.i18n.QT_GAPS_ZH`. Returns None for anything else, so Qt falls back to the
    other translators (an empty string would blank the text)."""

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D102 - Qt's signature
        return i18n.QT_GAPS_ZH.get((context, source))


_QT_GAPS: _QtGaps | None = None


def use_qt_translations(lang: str) -> bool:
    """Qt's own texts (OK/Cancel, Save/Discard, the file dialog's labels) in the UI language: Qt's bundled
    ``qtbase_zh_CN`` for zh, none for en. Returns whether the language's translation is in use."""
    global _QT_TRANSLATOR, _QT_GAPS
    app = QtCore.QCoreApplication.instance()
    if app is None:
        return False
    for old in (_QT_GAPS, _QT_TRANSLATOR):
        if old is not None:
            app.removeTranslator(old)
    _QT_TRANSLATOR = _QT_GAPS = None
    if lang != "zh":
        return True
    translator = QtCore.QTranslator(app)
    if not translator.load("qtbase_zh_CN", QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)):
        return False
    app.installTranslator(translator)
    _QT_TRANSLATOR = translator
    gaps = _QtGaps(app)
    app.installTranslator(gaps)  # installed last, asked first
    _QT_GAPS = gaps
    return True


def make_app(argv: list[str] | None = None) -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(argv or [sys.argv[0]])
    app.setApplicationName("CareCircle")
    app.setOrganizationName("CareCircle")
    app.setWindowIcon(icon(APP_ICON))
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


#: the size of ``--screenshot`` pictures unless one is asked for: they go into documents
SCREENSHOT_SIZE = (1400, 900)


def run_gui(project: str | None = None, *, screenshot: Path | None = None, lang: str = "zh", zoom_to: str | None = None,
            size: tuple[int, int] | None = None) -> int:
    """Open the main window (sized for the screen, or as it was left last time) on ``project``; with
    ``screenshot`` run the analysis, save a picture of the window (``size`` wide and high, default
    SCREENSHOT_SIZE, laid out as on a screen that size) and exit."""
    i18n.set_language(lang)
    app = make_app()
    from .main_window import MainWindow

    win = MainWindow()
    win.show()
    try:
        if screenshot is None:
            settings = QtCore.QSettings()
            win.restore_layout(settings)  # a first start keeps the layout made for the screen
            win.layout_settings = settings  # saved when the window closes
            open_target(win, project)
            code = app.exec()
            _dispose(app, win)
            return code
        return _screenshot(app, win, project, Path(screenshot), zoom_to=zoom_to, size=size or SCREENSHOT_SIZE)
    except InputError as exc:
        print(f"carecircle: error: {exc}", file=sys.stderr)
        _dispose(app, win)
        return 2


def _screenshot(app: QtWidgets.QApplication, win, project: str | None, out: Path, *, zoom_to: str | None = None,
                size: tuple[int, int] = SCREENSHOT_SIZE) -> int:
    """Open, run the analysis, save a picture of the whole window, exit. The picture is ``size`` whatever the
    screen (an offscreen one is 800x600), with the dock layout a window of that size gets."""
    status = {"code": 1}
    win.set_window_size(*size)

    def failed(message: str) -> None:
        print(f"carecircle: error: {message}", file=sys.stderr)
        status["code"] = 2
        app.quit()

    def analysed() -> None:
        if zoom_to:
            win.results.select_township(zoom_to)
            win.zoom_to_township(zoom_to)
        else:
            win.canvas.zoom_full()  # the map fitted to the canvas as laid out, not as it was when the data came
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
