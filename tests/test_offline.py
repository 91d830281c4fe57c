"""No network at run time (issue 18): the analysis, every export (pdf, png, atlas, html, xlsx, gpkg, csv) and
the window run with sockets blocked, and nothing tries to connect.

In this process Python's ``socket`` module is patched to refuse and record every attempt. GDAL's curl, Qt's
network code and the like are C and would pass that patch, so a child process runs the same under ``strace``
(when it is installed and allowed) and no ``connect()`` of any kind may reach the kernel.
"""
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from gui.cli import main as cli_main  # noqa: E402
from gui.i18n import set_language  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = {"pdf": "map.pdf", "png": "map.png", "atlas": "atlas.pdf", "html": "map.html", "xlsx": "report.xlsx",
           "gpkg": "layers.gpkg", "csv": "coverage.csv"}


@pytest.fixture(scope="module")
def attempts():
    """Every connection tried and every name looked up while the module's tests run, each refused with OSError.
    Making a socket is allowed (urllib3, imported by folium, probes IPv6 by binding one to ::1); connecting or
    sending on it is not."""
    seen: list[tuple[str, tuple]] = []

    def refuse(what):
        def refused(*args, **kwargs):
            seen.append((what, args))
            raise OSError(f"network access attempted in an offline test ({what})")
        return refused

    class RefusingSocket(socket.socket):
        connect = refuse("socket.connect")
        connect_ex = refuse("socket.connect_ex")
        sendto = refuse("socket.sendto")
        sendmsg = refuse("socket.sendmsg")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "socket", RefusingSocket)
        for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            mp.setattr(socket, name, refuse(name))
        yield seen


def test_the_block_refuses_and_records(attempts):
    before = len(attempts)
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80), timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
        sock.connect(("127.0.0.1", 9))
    with pytest.raises(OSError):
        socket.getaddrinfo("example.org", 443)
    assert [w for w, _ in attempts[before:]] == ["create_connection", "socket.connect", "getaddrinfo"]
    del attempts[before:]


def test_analysis_offline(attempts, tmp_path):
    code = cli_main(["analyze", "--sample", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    assert (tmp_path / "coverage.csv").stat().st_size > 0 and (tmp_path / "targets.csv").stat().st_size > 0
    assert attempts == []


def test_all_exports_offline(attempts, tmp_path, qapp):
    args = ["export", "--sample", "--dpi", "100", "--quiet"]
    for opt, name in EXPORTS.items():
        args += [f"--{opt}", str(tmp_path / name)]
    assert cli_main(args) == 0
    for name in EXPORTS.values():
        assert (tmp_path / name).stat().st_size > 0, name
    assert attempts == []
    # the web map loads nothing from elsewhere: no remote scripts, styles, images or tiles
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    remote = re.findall(r"""(?:src\s*=\s*["']|<link[^>]*href\s*=\s*["']|url\(\s*["']?)(?:https?:)?//[^"')\s]+""", html)
    assert remote == []


def test_window_offline(attempts, qtbot):
    from gui.main_window import MainWindow

    set_language("zh")
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.inputsLoaded, timeout=60_000):
        win.open_sample()
    with qtbot.waitSignal(win.analysisFinished, timeout=120_000):
        win.run_analysis()
    assert not win.grab().isNull()
    win.wait_idle()
    assert attempts == []


def _strace_usable() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", "/dev/null", "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0  # ptrace may be forbidden in a container


@pytest.mark.skipif(sys.platform != "linux" or not _strace_usable(), reason="needs strace (apt-get install strace)")
def test_no_connect_reaches_the_kernel(tmp_path):
    """The command line with every export and the window's screenshot mode, traced: no connect() at all (no
    TCP/UDP, and no local socket either: the app talks to nothing)."""
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, "-m", "gui.cli", "export", "--sample", "--dpi", "100", "--quiet"]
    for opt, name in EXPORTS.items():
        args += [f"--{opt}", str(tmp_path / name)]
    for i, cmd in enumerate((args, [sys.executable, "-m", "gui.cli", "gui", "--screenshot", str(tmp_path / "shot.png")])):
        log = tmp_path / f"strace{i}.txt"
        proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(log), *cmd], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        calls = [line for line in log.read_text().splitlines() if "connect(" in line]
        assert calls == [], calls[:5]


#: characters in the app's files that it never draws (read from input only) and Noto Sans CJK lacks
NEVER_DRAWN = {"˚"}  # a degree sign in coordinates as typed (layers/tables.py), read as °


def test_bundled_font_holds_the_apps_text(qapp):
    """Reports need no installed font: every character of the app's own text (UI catalogue, messages, class
    registry, profiles, sample) is in the bundled font. When this fails, run tools/make_report_font.py."""
    from PySide6 import QtGui

    from gui.app import BUNDLED_FONT_FILES, FONTS_DIR

    used: set[str] = set()
    for top in ("gui", "spatial", "layers", "projects"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix in {".py", ".toml", ".csv", ".md", ".geojson"} and not {"vendor", "fonts", "__pycache__"} & set(path.parts):
                used.update(c for c in path.read_text(encoding="utf-8-sig", errors="replace")
                            if ord(c) > 0x7F and c.isprintable() and c != "\ufffd")
    for name in BUNDLED_FONT_FILES:
        raw = QtGui.QRawFont(str(FONTS_DIR / name), 12)
        assert raw.isValid(), name
        missing = sorted(c for c in used - NEVER_DRAWN if not raw.supportsCharacter(ord(c)))  # by code point
        assert missing == [], f"{name} lacks {''.join(missing)}: run tools/make_report_font.py"
