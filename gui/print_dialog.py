"""The print layout dialog (打印布局): a simplified print composer for the county map, PNG and atlas.

The dialog only collects choices and shows a small live preview drawn by the same
:func:`gui.print_layout.paint_sheet` as the exports; the export itself is an :class:`gui.exports.ExportRequest`
emitted through :attr:`PrintLayoutDialog.exportRequested`, which the main window runs in its worker thread
like every other export (``export_all``), so nothing long runs on the GUI thread.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from layers.classes import registry
from projects.workspace import Workspace

from .exports import ExportRequest, _subtitle
from .i18n import tr
from .print_layout import Layout, Page, county_sheet, render_png, sources_line, thematic_title
from .render import MapRenderer
from .worker import Task

#: the dialog's DPI range (the exports accept 50-1200; these are the useful print resolutions)
DPI_RANGE = (96, 600)
#: preview resolution (dots per inch of the small page drawn in the dialog)
PREVIEW_DPI = 50
SETTINGS_ORG = "print/org"
OUTPUTS = ("pdf", "png", "atlas")


class PrintLayoutDialog(QtWidgets.QDialog):
    """Paper, orientation, DPI, thematic title, 制图单位 (remembered), 制图时间, class shown, inset, page
    numbers, atlas summary page, output files and a live preview. ``exportRequested(ExportRequest)`` when
    the user presses 导出 with at least one output chosen."""

    exportRequested = QtCore.Signal(object)

    def __init__(self, workspace: Workspace, result, *, display_type: str | None = None, scenario: str | None = None,
                 sources: dict | None = None, comparison=None, settings: QtCore.QSettings | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.result = result
        self.scenario = scenario
        self.sources = sources
        self.comparison = comparison
        self.settings = settings if settings is not None else QtCore.QSettings("CareCircle", "CareCircle")
        self.setWindowTitle(tr("print.dialog_title"))
        self._renderer = MapRenderer()
        self._auto_title = ""
        self._preview_timer = QtCore.QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self.update_preview)
        self._preview_task: Task | None = None
        self._preview_again = False

        # -- page
        self.paper = QtWidgets.QComboBox()
        self.paper.addItems(["A4", "A3"])
        self.orientation = QtWidgets.QComboBox()
        self.orientation.addItem(tr("print.landscape"), True)
        self.orientation.addItem(tr("print.portrait"), False)
        self.dpi = QtWidgets.QSpinBox()
        self.dpi.setRange(*DPI_RANGE)
        self.dpi.setSingleStep(50)
        self.dpi.setValue(200)
        self.dpi.setSuffix(" dpi")
        # -- content
        self.cls = QtWidgets.QComboBox()
        reg = registry()
        for t in reg.ids:
            self.cls.addItem(tr(f"type.{t}"), t)
        chosen = display_type if display_type in reg else reg.default
        self.cls.setCurrentIndex(max(0, self.cls.findData(chosen)))
        self.title = QtWidgets.QLineEdit()
        self.title_reset = QtWidgets.QToolButton()
        self.title_reset.setText(tr("print.title_reset"))
        self.title_reset.clicked.connect(self.reset_title)
        self.org = QtWidgets.QLineEdit(str(self.settings.value(SETTINGS_ORG, "") or ""))
        self.date = QtWidgets.QDateEdit(QtCore.QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy年M月d日")
        self.inset = QtWidgets.QCheckBox(tr("print.inset_on"))
        self.inset.setChecked(True)
        self.page_numbers = QtWidgets.QCheckBox(tr("print.page_numbers"))
        self.page_numbers.setChecked(True)
        self.summary_page = QtWidgets.QCheckBox(tr("print.summary_page"))
        self.summary_page.setChecked(True)
        # -- outputs
        self.out_check: dict[str, QtWidgets.QCheckBox] = {}
        self.out_path: dict[str, QtWidgets.QLineEdit] = {}
        outputs = QtWidgets.QGridLayout()
        base = workspace.title or "carecircle"
        for row, kind in enumerate(OUTPUTS):
            check = QtWidgets.QCheckBox(tr(f"print.out_{kind}"))
            path = QtWidgets.QLineEdit(str(Path.home() / f"{base}{'-图集' if kind == 'atlas' else ''}.{'png' if kind == 'png' else 'pdf'}"))
            browse = QtWidgets.QPushButton(tr("print.browse"))
            browse.clicked.connect(lambda _=False, k=kind: self._browse(k))
            check.setChecked(kind == "pdf")
            outputs.addWidget(check, row, 0)
            path.setMinimumWidth(QtGui.QFontMetrics(path.font()).horizontalAdvance("x" * 36))
            path.setCursorPosition(0)
            outputs.addWidget(path, row, 1)
            outputs.addWidget(browse, row, 2)
            self.out_check[kind], self.out_path[kind] = check, path
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #b2182b")
        self.error.setWordWrap(True)
        # -- preview
        self.preview = QtWidgets.QLabel()
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(360, 360)
        self.preview.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        # -- layout
        form = QtWidgets.QFormLayout()
        form.addRow(tr("print.paper"), self.paper)
        form.addRow(tr("print.orientation"), self.orientation)
        form.addRow(tr("print.dpi"), self.dpi)
        title_row = QtWidgets.QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.title_reset)
        form.addRow(tr("print.class"), self.cls)
        form.addRow(tr("print.map_title"), title_row)
        form.addRow(tr("print.org"), self.org)
        form.addRow(tr("print.date"), self.date)
        form.addRow("", self.inset)
        form.addRow("", self.page_numbers)
        form.addRow("", self.summary_page)
        out_box = QtWidgets.QGroupBox(tr("print.outputs"))
        out_box.setLayout(outputs)
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        left.addWidget(out_box)
        left.addWidget(self.error)
        left.addStretch(1)
        prev_box = QtWidgets.QGroupBox(tr("print.preview"))
        pl = QtWidgets.QVBoxLayout(prev_box)
        pl.addWidget(self.preview)
        body = QtWidgets.QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(prev_box, 2)
        self.buttons = QtWidgets.QDialogButtonBox()
        self.export_button = self.buttons.addButton(tr("print.export"), QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(tr("action.cancel"), QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        outer = QtWidgets.QVBoxLayout(self)
        outer.addLayout(body)
        outer.addWidget(self.buttons)
        # the whole built title readable in its field, the dialog as wide as that needs (within the screen)
        self.title.setMinimumWidth(QtGui.QFontMetrics(self.title.font()).horizontalAdvance(self.title.text() + "图图") + 16)
        self.title.setCursorPosition(0)
        screen = (parent.screen() if parent is not None else QtGui.QGuiApplication.primaryScreen())
        avail = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1366, 728)
        hint = self.sizeHint()
        self.resize(min(max(hint.width(), 980), avail.width() - 40), min(max(hint.height(), 560), avail.height() - 60))

        self.reset_title()
        self.cls.currentIndexChanged.connect(self._class_changed)
        for signal in (self.paper.currentIndexChanged, self.orientation.currentIndexChanged, self.title.textChanged,
                       self.org.textChanged, self.date.dateChanged, self.inset.toggled):
            signal.connect(self.schedule_preview)
        self.schedule_preview()

    # -- choices ----------------------------------------------------------------------------------
    def display_type(self) -> str:
        return str(self.cls.currentData())

    def thematic_title(self) -> str:
        return thematic_title(self.result, display_type=self.display_type())

    def reset_title(self) -> None:
        self._auto_title = self.thematic_title()
        self.title.setText(self._auto_title)

    def _class_changed(self) -> None:
        if self.title.text().strip() in ("", self._auto_title):  # an unedited title follows the class
            self.reset_title()
        else:
            self._auto_title = self.thematic_title()
        self.schedule_preview()

    def page(self) -> Page:
        return Page(size=self.paper.currentText(), landscape=bool(self.orientation.currentData()), dpi=self.dpi.value())

    def layout_choices(self) -> Layout:
        text = self.title.text().strip()
        d = self.date.date()
        return Layout(title=None if text in ("", self._auto_title) else text, org=self.org.text().strip(),
                      date=_dt.date(d.year(), d.month(), d.day()), inset=self.inset.isChecked(),
                      page_numbers=self.page_numbers.isChecked(), summary_page=self.summary_page.isChecked())

    def request(self) -> ExportRequest | None:
        """The export the dialog describes (None when no output is chosen)."""
        paths = {k: Path(self.out_path[k].text().strip()) for k in OUTPUTS
                 if self.out_check[k].isChecked() and self.out_path[k].text().strip()}
        if not paths:
            return None
        return ExportRequest(**paths, page=self.page(), display_type=self.display_type(), comparison=self.comparison,
                             layout=self.layout_choices())

    def export(self) -> None:
        request = self.request()
        if request is None:
            self.error.setText(tr("print.need_output"))
            return
        self.error.clear()
        self.settings.setValue(SETTINGS_ORG, self.org.text().strip())
        self.exportRequested.emit(request)
        self.accept()

    def _browse(self, kind: str) -> None:
        current = self.out_path[kind].text()
        filt = tr("print.filter_png") if kind == "png" else tr("print.filter_pdf")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, tr(f"print.out_{kind}"), current, filt)
        if path:
            suffix = ".png" if kind == "png" else ".pdf"
            self.out_path[kind].setText(path if path.lower().endswith(suffix) else path + suffix)
            self.out_check[kind].setChecked(True)

    # -- preview ----------------------------------------------------------------------------------
    def schedule_preview(self, *_args) -> None:
        self._preview_timer.start()

    def _preview_args(self) -> tuple:
        page = self.page()
        layout = self.layout_choices()
        t = self.display_type()
        sheet = county_sheet(self.workspace, title=layout.title or self._auto_title,
                             subtitle=_subtitle(self.result, self.scenario, t), layout=layout, display_type=t,
                             sources=sources_line(self.workspace, self.sources))
        return (self.workspace.snapshot(), sheet, Page(size=page.size, landscape=page.landscape, dpi=PREVIEW_DPI), t,
                tuple(self.result.params.minutes))

    def preview_image(self) -> QtGui.QImage:
        """The county page as the export draws it, at a small resolution (drawn here, in the calling thread)."""
        return _draw_preview(None, MapRenderer(), *self._preview_args())  # not the worker's renderer: no sharing

    def update_preview(self) -> None:
        """Draw the preview in a worker thread (the dialog stays responsive); a change made meanwhile draws
        it once more when that one is done."""
        if self._preview_task is not None and self._preview_task.isRunning():
            self._preview_again = True
            return
        self._preview_again = False
        task = Task(_draw_preview, self._renderer, *self._preview_args(), parent=self)
        task.succeeded.connect(self._show_preview)
        task.finished.connect(self._preview_done)
        self._preview_task = task
        task.start()

    def _preview_done(self) -> None:
        if self._preview_again:
            self.schedule_preview()

    def _show_preview(self, img: QtGui.QImage) -> None:
        box = self.preview.contentsRect().size()
        pix = QtGui.QPixmap.fromImage(img)
        if box.width() > 10 and box.height() > 10:
            pix = pix.scaled(box, QtCore.Qt.AspectRatioMode.KeepAspectRatio, QtCore.Qt.TransformationMode.SmoothTransformation)
        self.preview.setPixmap(pix)

    def wait_preview(self, ms: int = 30_000) -> None:
        """Wait for a preview being drawn (closing the dialog does)."""
        self._preview_timer.stop()
        self._preview_again = False
        if self._preview_task is not None:
            self._preview_task.wait(ms)

    def done(self, result: int) -> None:  # noqa: D401 - QDialog API
        self.wait_preview()
        super().done(result)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        self.wait_preview()
        super().closeEvent(event)


def _draw_preview(feedback, renderer: MapRenderer, workspace: Workspace, sheet, page: Page, display_type: str,
                  minutes: tuple[float, ...]) -> QtGui.QImage:
    """The preview page (runs in a worker thread: an image, a snapshot of the workspace, the dialog's own renderer)."""
    renderer.display_type = display_type
    return render_png(workspace, sheet, page=page, renderer=renderer, minutes=minutes)
