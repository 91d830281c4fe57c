"""The frozen app (issue 18): build it with ``build.spec`` from a clean copy of the checkout into a temporary
folder, remove the copy, and run the smoke checks on ``dist/carecircle/carecircle`` with no source tree:

* ``--self-check``: registry, profiles, sample, Leaflet, icons, the report font, Qt's zh_CN translation, PROJ
  and GDAL data are all found inside the bundle;
* ``analyze --sample --out DIR`` gives byte-for-byte the coverage.csv and targets.csv of the source install;
* ``export --pdf/--atlas`` embeds the bundled font and no other;
* ``gui --screenshot F`` renders the window with Chinese text, drawn as the source install draws it;
* no ``connect()`` reaches the kernel (under strace, when it is there).

Building takes a minute or two, so the module runs only with ``CARECIRCLE_FROZEN_TEST=1`` (``.ci/run`` sets it
in a step of its own). ``CARECIRCLE_FROZEN_DIST=DIR`` reuses a build already made there (``tools/build.sh
--dist DIR``) instead of building.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

if os.environ.get("CARECIRCLE_FROZEN_TEST") != "1":
    pytest.skip("builds the frozen app: set CARECIRCLE_FROZEN_TEST=1", allow_module_level=True)
pytest.importorskip("PyInstaller")
pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtGui  # noqa: E402
from pypdf import PdfReader  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXE = "carecircle.exe" if sys.platform == "win32" else "carecircle"
BUNDLED_FONTS = {"CareCircleSansCJKSC-Regular", "CareCircleSansCJKSC-Bold"}


def clean_copy(dest: Path) -> Path:
    """The checkout as git would commit it (tracked files and new ones not ignored): no .venv, no build output,
    no caches, nothing the build could pick up by accident."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode("utf-8").split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():  # a tracked file deleted in the working tree is left out
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> dict:
    """The built app's folder (``app``), its bundle and the build's duration and size."""
    given = os.environ.get("CARECIRCLE_FROZEN_DIST")
    if given:
        app = Path(given) / "carecircle"
        assert (app / EXE).is_file(), f"no {EXE} in {app}"
        return {"app": app, "seconds": None}
    base = tmp_path_factory.mktemp("frozen")
    src = clean_copy(base / "src")
    start = time.perf_counter()
    if sys.platform != "win32" and shutil.which("bash"):  # tools/build.sh: build, then the bundle's self-check
        cmd = ["bash", str(src / "tools" / "build.sh"), "--dist", str(base / "dist"), "--work", str(base / "build")]
    else:  # Windows: the same spec, as the README says
        cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(base / "dist"), "--workpath", str(base / "build"), str(src / "build.spec")]
    proc = subprocess.run(cmd, cwd=src, env={**os.environ, "PYTHON": sys.executable, "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    # the modules were taken from the copy, not from the checkout the virtual environment points at
    toc = (base / "build" / "build" / "Analysis-00.toc").read_text(encoding="utf-8", errors="replace")
    assert str(src / "gui" / "app.py") in toc and str(ROOT / "gui" / "app.py") not in toc
    shutil.rmtree(src)  # the app must run with no source tree
    app = base / "dist" / "carecircle"
    size_mb = sum(f.lstat().st_size for f in app.rglob("*") if not f.is_symlink() and f.is_file()) / 1e6  # links once
    print(f"\nfrozen build: {seconds:.0f} s, {size_mb:.0f} MB in {app}")
    return {"app": app, "seconds": seconds, "size_mb": size_mb}


def run(frozen: dict, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the frozen app from a folder of its own, with a minimal environment (no PYTHONPATH, no venv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA"))}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})
    if sys.platform == "win32":
        env["PATH"] = os.environ.get("SystemRoot", r"C:\Windows") + r"\System32"
    return subprocess.run([str(frozen["app"] / EXE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=timeout)


def test_self_check(frozen, tmp_path):
    proc = run(frozen, "--self-check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["ok"] and report["frozen"]["value"] is True
    inside = str(frozen["app"])
    for key in ("sample", "proj", "gdal_pyogrio", "gdal_rasterio", "qt_translations", "report_font", "icons"):
        assert inside in str(report[key]["value"]), (key, report[key])  # read from the bundle, nowhere else
    assert report["qt_translations"]["value"].endswith("取消")
    assert len(report["profiles"]["value"]) >= 6


def test_analysis_same_as_source(frozen, tmp_path):
    proc = run(frozen, "analyze", "--sample", "--out", str(tmp_path / "frozen"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    src = subprocess.run([sys.executable, "-m", "gui.cli", "analyze", "--sample", "--out", str(tmp_path / "source"), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert src.returncode == 0, src.stderr[-2000:]
    for name in ("coverage.csv", "targets.csv", "gaps.csv", "indicators.csv"):
        a, b = (tmp_path / "frozen" / name).read_bytes(), (tmp_path / "source" / name).read_bytes()
        if a != b:
            import pandas as pd
            from pandas.testing import assert_frame_equal

            assert_frame_equal(pd.read_csv(tmp_path / "frozen" / name), pd.read_csv(tmp_path / "source" / name))
            pytest.fail(f"{name}: same table, different bytes")


def embedded_fonts(path: Path) -> set[str]:
    names = set()
    for page in PdfReader(str(path)).pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            embedded = any(any(k in d.get_object()["/FontDescriptor"].get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                           for d in font.get("/DescendantFonts", []))
            names.add((str(font["/BaseFont"]).lstrip("/").split("+")[-1], embedded))
    return names


def test_pdf_embeds_the_bundled_font(frozen, tmp_path):
    proc = run(frozen, "export", "--sample", "--pdf", str(tmp_path / "map.pdf"), "--atlas", str(tmp_path / "atlas.pdf"),
               "--dpi", "100", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("map.pdf", "atlas.pdf"):
        fonts = embedded_fonts(tmp_path / name)
        assert fonts == {(f, True) for f in BUNDLED_FONTS}, (name, fonts)
    text = PdfReader(str(tmp_path / "map.pdf")).pages[0].extract_text()
    assert "如皋市" in text and "覆盖率" in text and "%" in text  # Chinese and numbers come back out as text


def test_screenshot_renders_chinese_like_the_source(frozen, tmp_path):
    proc = run(frozen, "gui", "--screenshot", str(tmp_path / "frozen.png"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    src = subprocess.run([sys.executable, "-m", "gui.cli", "gui", "--screenshot", str(tmp_path / "source.png")], cwd=ROOT,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=600)
    assert src.returncode == 0, src.stderr[-2000:]
    frozen_img, source_img = QtGui.QImage(str(tmp_path / "frozen.png")), QtGui.QImage(str(tmp_path / "source.png"))
    assert frozen_img.size() == source_img.size() and frozen_img.width() >= 1200
    colours = {frozen_img.pixel(x, y) for x in range(0, frozen_img.width(), 17) for y in range(0, frozen_img.height(), 17)}
    assert len(colours) > 50
    # the menu bar (文件 编辑 视图 ...) is drawn with the same font, pixel for pixel: no empty boxes, no other font
    menu = QtCore.QRect(0, 0, 400, 22)
    assert frozen_img.copy(menu) == source_img.copy(menu)
    dark = sum(QtGui.QColor(frozen_img.pixel(x, y)).lightness() < 100 for x in range(0, 400) for y in range(0, 22))
    assert dark > 200  # there is text


def _strace_usable() -> bool:
    if sys.platform != "linux" or shutil.which("strace") is None:
        return False
    return subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", "/dev/null", "true"],
                          capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _strace_usable(), reason="needs strace (apt-get install strace)")
def test_frozen_app_connects_nowhere(frozen, tmp_path):
    log = tmp_path / "strace.txt"
    exe = str(frozen["app"] / EXE)
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(log), exe, "export", "--sample",
                           "--html", str(tmp_path / "map.html"), "--xlsx", str(tmp_path / "r.xlsx"), "--quiet"],
                          cwd=tmp_path, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    calls = [line for line in log.read_text().splitlines() if "connect(" in line]
    assert calls == [], calls[:5]
