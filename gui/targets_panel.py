"""The plan-targets dock: every target of the result's profile with its county figure, whether it is met and
where the plan says so; clicking one colours the township map by it (``Workspace.set_map_target``).

The panel reads ``workspace.result`` and ``workspace.map_target`` on every ``result_changed`` /
``map_target_changed`` event and keeps nothing else. :func:`target_legend` gives the legend lines of the
township map by a target (shared through :func:`gui.render.legend_entries` by the layer panel and printed maps).
"""
from __future__ import annotations

import html
import math

from PySide6 import QtCore, QtGui, QtWidgets

from layers.classes import registry
from projects.workspace import Workspace
from spatial.targets import LEVEL_LABELS, LEVEL_LABELS_EN, Target, TargetRow, target_label

from . import i18n
from .i18n import tr
from .render import TARGET_FILLS, Swatch, draw_swatch

#: badge colours of the three states (white text; symbol and word besides the colour)
STATE_COLOURS = {"met": "#1f5f99", "not_met": "#a34700", "unknown": "#666666"}
#: the panel lays its target list and its legend side by side when at least this wide (a bottom dock)
WIDE_PX = 760
#: English plurals of the unit levels ("11 of 14 townships")
LEVEL_PLURALS_EN = {"county": "counties", "township": "townships", "urban_street": "streets",
                    "urban_community": "urban communities", "village": "villages"}


def _label(t: Target, minutes: float) -> str:
    return target_label(t, class_label=registry().label, lang=i18n.language(), minutes=minutes)


def target_text(t: Target, profile) -> str:
    """A target's short name in the UI language (at the walking time it measures)."""
    return _label(t, profile.minutes_of(t))


def _level(level: str, *, plural: bool = False) -> str:
    if i18n.language() == "zh":
        return LEVEL_LABELS[level]
    return LEVEL_PLURALS_EN[level] if plural else LEVEL_LABELS_EN[level]


def format_figure(indicator: str, value: float, *, target: bool = False) -> str:
    """A county figure as the plans write it: beds per 1,000 with one decimal, shares as %."""
    if value is None or math.isnan(value):
        return "—"
    if indicator == "beds_per_1000":
        return tr("targets.beds", v=value)
    pct = f"{value * 100:.1f}"
    return (pct.removesuffix(".0") if target else pct) + "%"


def county_figure(t: Target, row: TargetRow | None) -> str:
    """The county line of a target: actual against target, or "11/14 镇（街道）达标" for a per-unit one."""
    if row is None:
        return "—"
    if row.summary:
        return tr("targets.summary", met=int(row.actual), total=int(row.target), level=_level(t.level, plural=True))
    return tr("targets.county", unit=row.unit, actual=format_figure(row.indicator, row.actual),
              target=format_figure(row.indicator, row.target, target=True))


def row_state(row: TargetRow | None) -> str:
    """``met``, ``not_met`` or ``unknown`` (no figure: not called a shortfall)."""
    if row is None or (math.isnan(row.actual) and not row.met):
        return "unknown"
    return "met" if row.met else "not_met"


def target_legend(kind: object) -> list[tuple[str, Swatch]]:
    """Legend lines of the township map by one target; ``kind`` is the layer's kind
    (a :class:`projects.workspace.TargetKind` naming the target and how it is shown)."""
    def fill(key: str, text: str) -> tuple[str, Swatch]:
        colour, hatch = TARGET_FILLS[key]
        return text, Swatch("fill", colour=colour, hatch=hatch)

    t = getattr(kind, "target", None)
    if t is None:
        return [fill("met", tr("legend.met")), fill("not_met", tr("legend.not_met")), fill("na", tr("legend.target_na"))]
    label, mode, unit = _label(t, kind.minutes), kind.mode, kind.unit
    classes = ("或" if i18n.language() == "zh" else " or ").join(registry().label(c, i18n.language()) for c in t.classes)
    note = Swatch("note")
    out = [(label, note)]  # the target's name, then how the map shows it (lines short enough for a printed legend)
    if mode == "met":
        out += [(tr("legend.met_by", level=_level(t.level)), note), fill("met", tr("legend.met")),
                fill("not_met", tr("legend.not_met"))]
    elif mode == "presence":
        out += [(tr("legend.presence", unit=unit), note), fill("has", tr("legend.has", classes=classes)),
                fill("lacks", tr("legend.lacks", classes=classes))]
    elif mode in ("units", "presence_units"):
        out.append((tr(f"legend.{mode}", level=_level(t.level, plural=True), classes=classes, unit=unit), note))
        out += [fill(k, tr(f"legend.{k}")) for k in ("s100", "s80", "s50", "s0")]
    elif mode == "balance":
        out.append((tr("legend.balance"), note))
        out.append((tr("legend.balance_of", unit=unit, county=format_figure(t.indicator, kind.county)), note))
        out += [fill(k, tr(f"legend.{k}", unit=unit)) for k in ("hi2", "hi1", "lo1", "lo2")]
    if "na" in kind.present:
        out.append(fill("na", tr("legend.target_na")))
    return out


class TargetCard(QtWidgets.QFrame):
    """One clickable line of the panel: state badge, target name, county figure and source."""

    clicked = QtCore.Signal(object)  # the target id (None: the "no target" line)

    def __init__(self, target_id: str | None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.target_id = target_id
        self.state = ""
        self.title_text = ""
        self.figure_text = ""
        self.picked = False
        self.setObjectName("targetCard")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.badge = QtWidgets.QLabel()
        self.text = QtWidgets.QLabel()  # the target's name (bold) and its county figure
        self.text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.on_map = QtWidgets.QLabel()
        self.source = QtWidgets.QLabel()
        self.source.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        for lab in (self.text, self.source):
            lab.setWordWrap(True)
            lab.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        small = QtGui.QFont(self.source.font())
        small.setPointSizeF(max(small.pointSizeF() - 1.0, 8.0))
        self.source.setFont(small)
        self.source.setStyleSheet("color: #444444;")
        self.on_map.setStyleSheet("color: #1f5f99; font-weight: bold;")
        self.badge.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(1)
        grid.addWidget(self.badge, 0, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.text, 0, 1)
        grid.addWidget(self.on_map, 0, 2, QtCore.Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.source, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)

    def set_content(self, *, title: str, state: str = "", figure: str = "", source: str = "", tooltip: str = "") -> None:
        self.state, self.title_text, self.figure_text = state, title, figure
        self.text.setText(f"<b>{html.escape(title)}</b>" + (f"&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(figure)}" if figure else ""))
        self.badge.setVisible(bool(state))
        if state:
            self.badge.setText(tr({"met": "targets.met", "not_met": "targets.not_met"}.get(state, "targets.unknown")))
            self.badge.setStyleSheet(f"background: {STATE_COLOURS[state]}; color: white; font-weight: bold;"
                                     "border-radius: 3px; padding: 1px 6px;")
        self.source.setText(source)
        self.source.setVisible(bool(source))
        self.setToolTip(tooltip)
        self.setAccessibleName(" ".join(x for x in (self.badge.text() if state else "", title, figure) if x))
        self.setAccessibleDescription(source)

    def set_picked(self, picked: bool) -> None:
        self.picked = picked
        self.on_map.setText(tr("targets.on_map") if picked else "")
        border = "2px solid #1f5f99" if picked else "1px solid #c8c8c8"
        back = "#eef4fa" if picked else "palette(base)"
        self.setStyleSheet(f"QFrame#targetCard {{ border: {border}; border-radius: 4px; background: {back}; }}")

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.target_id)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802
        if event.key() in (QtCore.Qt.Key.Key_Space, QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self.clicked.emit(self.target_id)
            return
        super().keyPressEvent(event)


class TargetsPanel(QtWidgets.QWidget):
    """规划目标: one line per target of the current result's profile; a click colours the map by it."""

    targetPicked = QtCore.Signal(object)  # the target id now on the map, or None

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.cards: dict[str | None, TargetCard] = {}
        self.legend_texts: list[str] = []
        self.header = QtWidgets.QLabel()
        self.header.setWordWrap(True)
        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #444444;")
        self.list_widget = QtWidgets.QWidget()
        self.list_layout = QtWidgets.QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(4)
        self.list_layout.addStretch(1)
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.list_widget)
        self.legend_box = QtWidgets.QWidget()
        self.legend_layout = QtWidgets.QGridLayout(self.legend_box)
        self.legend_layout.setContentsMargins(0, 0, 0, 0)
        self.legend_layout.setHorizontalSpacing(4)
        self.legend_layout.setVerticalSpacing(1)
        self.legend_layout.setColumnStretch(1, 1)
        legend = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(legend)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.hint)
        lv.addWidget(self.legend_box)
        lv.addStretch(1)
        self.legend = QtWidgets.QScrollArea()
        self.legend.setWidgetResizable(True)
        self.legend.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.legend.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.legend.setWidget(legend)
        left = QtWidgets.QWidget()
        v = QtWidgets.QVBoxLayout(left)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.header)
        v.addWidget(self.scroll, 1)
        self.body = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.TopToBottom, self)
        self.body.setContentsMargins(4, 4, 4, 4)
        self.body.addWidget(left, 3)
        self.body.addWidget(self.legend, 1)
        workspace.subscribe(self._on_workspace)
        self.refresh()

    # -- model events -----------------------------------------------------------------------------
    def _on_workspace(self, event: str, payload: object) -> None:
        if event == "result_changed":
            self.refresh()
        elif event == "map_target_changed":
            self._show_picked()

    def retranslate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show the targets of the current result (or a hint before any analysis)."""
        result = self.workspace.result
        profile = result.params.profile if result is not None else None
        self.hint.setText(tr("targets.hint") if profile is not None else tr("targets.empty"))
        self.header.setText(tr("targets.profile", title=profile.title or profile.name) if profile is not None else "")
        self.header.setVisible(profile is not None)
        ids: list[str | None] = [None, *(t.id for t in profile.targets)] if profile is not None else []
        if list(self.cards) != ids:
            for card in self.cards.values():
                self.list_layout.removeWidget(card)
                card.deleteLater()
            self.cards = {}
            for i, tid in enumerate(ids):
                card = TargetCard(tid, self.list_widget)
                card.clicked.connect(self.pick)
                self.list_layout.insertWidget(i, card)
                self.cards[tid] = card
        if profile is not None:
            county = {r.target_id: r for r in result.targets if r.level == "county"}
            self.cards[None].set_content(title=tr("targets.none"))
            for t in profile.targets:
                row = county.get(t.id)
                source = tr("targets.source", source=t.source) if t.source else ""
                tip = "\n".join(x for x in (source, tr("targets.note", note=t.note) if t.note else "") if x)
                self.cards[t.id].set_content(title=_label(t, profile.minutes_of(t)), state=row_state(row),
                                             figure=county_figure(t, row), source=source, tooltip=tip)
        self._show_picked()

    def _show_picked(self) -> None:
        picked = self.workspace.map_target
        for tid, card in self.cards.items():
            card.set_picked(tid == picked)
        QtCore.QTimer.singleShot(0, self, self._reveal_picked)  # once the list is laid out
        self._show_legend()

    def _reveal_picked(self) -> None:
        card = self.cards.get(self.workspace.map_target)
        if card is not None and self.workspace.map_target is not None:
            self.scroll.ensureWidgetVisible(card)

    def _show_legend(self) -> None:
        while self.legend_layout.count():
            item = self.legend_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        lyr = self.workspace.layer("coverage")
        entries = target_legend(lyr.kind) if lyr is not None and lyr.kind == "target" else []
        self.hint.setVisible(not entries)  # the legend of the map by a target, else how to get one
        self.legend_box.setVisible(bool(entries))
        for i, (text, swatch) in enumerate(entries):
            lab = QtWidgets.QLabel(text)
            lab.setWordWrap(True)
            lab.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
            if swatch.kind == "note":
                lab.setStyleSheet("font-weight: bold;" if i == 0 else "color: #333333;")
                self.legend_layout.addWidget(lab, i, 0, 1, 2)
                continue
            icon = QtWidgets.QLabel()
            icon.setPixmap(_swatch_pixmap(swatch))
            self.legend_layout.addWidget(icon, i, 0, QtCore.Qt.AlignmentFlag.AlignTop)
            self.legend_layout.addWidget(lab, i, 1)
        self.legend_texts = [text for text, _ in entries]

    # -- user actions -----------------------------------------------------------------------------
    def pick(self, target_id: str | None) -> None:
        """Colour the map by ``target_id``; picking the target on the map again (or None) goes back to
        the covered share."""
        if target_id == self.workspace.map_target:
            target_id = None
        if self.workspace.result is None:
            return
        self.workspace.set_map_target(target_id)
        self.targetPicked.emit(target_id)

    # -- reading (tests, accessibility) -----------------------------------------------------------
    def target_ids(self) -> list[str]:
        return [tid for tid in self.cards if tid is not None]

    def card(self, target_id: str | None) -> TargetCard:
        return self.cards[target_id]

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802
        wide = event.size().width() >= WIDE_PX
        direction = QtWidgets.QBoxLayout.Direction.LeftToRight if wide else QtWidgets.QBoxLayout.Direction.TopToBottom
        if self.body.direction() != direction:
            self.body.setDirection(direction)
        super().resizeEvent(event)


def _swatch_pixmap(swatch: Swatch, size: int = 18) -> QtGui.QPixmap:
    pm = QtGui.QPixmap(size + 4, size)
    pm.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pm)
    draw_swatch(p, QtCore.QRectF(0, 0, size + 4, size), swatch)
    p.end()
    return pm
