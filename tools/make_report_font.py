"""Make the bundled report font ``gui/fonts/CareCircleSansCJKSC-{Regular,Bold}.otf``: a subset of the system's
Noto Sans CJK SC (SIL Open Font License 1.1, Debian package ``fonts-noto-cjk``), renamed as the OFL asks of a
modified version, holding

* every CJK character in the app's own text: the UI catalogue and every message in ``gui``, ``spatial``,
  ``layers`` and ``projects`` (``.py``), the class registry and the profiles (``.toml``), the sample project's
  names (``projects/sample/*`` text files, and every text value in its GeoPackages and ``sample.ccproj``);
* all of GB 2312 (level 1, 3755 common characters; level 2, 3008 more; and its symbol rows), so names in a
  bureau's own data render too;
* ASCII, Latin-1, general punctuation, arrows, a few maths signs, CJK punctuation and full-width forms.

Run it with any Python that has fontTools (``pip install fonttools``); it needs no network:

    python tools/make_report_font.py [--source-dir /usr/share/fonts/opentype/noto] [--out gui/fonts]

It writes the fonts, ``OFL.txt`` (the copyright lines read from the source font and the licence text) and
``CHARACTERS.txt`` (every character the subset holds, for review). ``gui/fonts/README.md`` says the same.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
FAMILY = "CareCircle Sans CJK SC"
PS_FAMILY = "CareCircleSansCJKSC"
SOURCE_FAMILY = "Noto Sans CJK SC"
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}

#: code point ranges always kept (inclusive)
BASE_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: °, ±, ×, ÷, ², ³, µ, ...
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x203B),  # ‰, primes (120°33′12″), ※
    (0x2103, 0x2103), (0x2116, 0x2116), (0x2121, 0x2121),  # ℃ № ℡
    (0x2160, 0x216B),  # Roman numerals Ⅰ–Ⅻ
    (0x2190, 0x2199),  # arrows
    (0x2211, 0x2212), (0x221A, 0x221A), (0x221E, 0x221E), (0x2248, 0x2248), (0x2260, 0x2265),  # ∑ − √ ∞ ≈ ≠ ≤ ≥
    (0x2460, 0x2473),  # ①–⑳
    (0x25A0, 0x25A1), (0x25B2, 0x25B3), (0x25CB, 0x25CF),  # ■ □ ▲ △ ○ ● (legend marks in text)
    (0x2605, 0x2606), (0x2713, 0x2713),  # ★ ☆ ✓
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。〈〉《》「」【】〔〕
    (0x3220, 0x3229),  # ㈠–㈩
    (0xFF01, 0xFF5E),  # full-width forms
    (0xFFE0, 0xFFE5),  # ￠￡￢￣￤￥
)

#: marks the app writes that Noto Sans CJK lacks, drawn with a glyph it has (a cmap entry more, no new outline),
#: so they never fall back to another font: ✔ as ✓, ✘ and ✗ as ×
ALIASES = {0x2714: 0x2713, 0x2718: 0x00D7, 0x2717: 0x00D7}

#: the app's own text: code, registry, profiles, sample
SCAN_DIRS = ("gui", "spatial", "layers", "projects")
TEXT_SUFFIXES = {".py", ".toml", ".csv", ".json", ".geojson", ".md", ".txt", ".html", ".js", ".css"}
SQLITE_SUFFIXES = {".gpkg", ".ccproj"}


def gb2312_chars(*, level2: bool = True, symbols: bool = True) -> set[str]:
    """GB 2312 by its rows: 1-9 symbols, 16-55 level 1 (3755), 56-87 level 2 (3008), decoded with Python's codec."""
    rows = list(range(16, 56)) + (list(range(56, 88)) if level2 else []) + (list(range(1, 10)) if symbols else [])
    out: set[str] = set()
    for row in rows:
        for cell in range(1, 95):
            try:
                out.add(bytes((0xA0 + row, 0xA0 + cell)).decode("gb2312"))
            except UnicodeDecodeError:
                pass  # unassigned cells (row 55 ends at cell 89; symbol rows have gaps)
    return out


def repo_chars(root: Path = ROOT) -> set[str]:
    """Every character beyond ASCII in the app's own files (text files, and the text values of GeoPackages and
    projects), Leaflet's files left out."""
    found: set[str] = set()
    for top in SCAN_DIRS:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or {"__pycache__", "fonts", "vendor"} & set(path.parts):
                continue
            suffix = path.suffix.lower()
            if suffix in TEXT_SUFFIXES:
                found.update(_beyond_ascii(path.read_text(encoding="utf-8-sig", errors="replace")))
            elif suffix in SQLITE_SUFFIXES:
                found.update(_beyond_ascii(_sqlite_text(path)))
    return found


def _beyond_ascii(text: str) -> set[str]:
    return {c for c in text if ord(c) > 0x7F and c.isprintable() and c != "\ufffd"}


def _sqlite_text(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        parts: list[str] = []
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            for col in cols:
                for (value,) in con.execute(f'SELECT "{col}" FROM "{table}" WHERE typeof("{col}") = \'text\''):
                    parts.append(value)
        return "\n".join(parts)
    finally:
        con.close()


def base_chars() -> set[str]:
    return {chr(c) for lo, hi in BASE_RANGES for c in range(lo, hi + 1)}


def load_source(path: Path) -> TTFont:
    """The Simplified Chinese face of the Noto Sans CJK collection."""
    for font in TTCollection(str(path)).fonts:
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return font
    raise SystemExit(f"{path}: no face named {SOURCE_FAMILY!r}")


def make_subset(source: Path, out: Path, *, weight: str, chars: set[str]) -> tuple[int, int]:
    """Subset ``source`` to ``chars``, rename it and save it as CFF OpenType. Returns (characters, glyphs)."""
    font = load_source(source)
    copyright_ = font["name"].getDebugName(0)
    options = subset.Options()
    options.layout_features = ["ccmp", "kern", "liga", "calt", "mark", "mkmk"]  # no locl/vert alternates (JP/KR/TC forms, vertical text)
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x0409]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = True
    options.desubroutinize = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    _alias(font)
    _rename(font, weight=weight, copyright_=copyright_)
    font.recalcTimestamp = False  # the same bytes on every run (head.modified stays the source's)
    font.save(str(out))
    cmap = font.getBestCmap()
    return len(cmap), len(font.getGlyphOrder())


def _alias(font: TTFont) -> None:
    """Map each of :data:`ALIASES` to the glyph of its stand-in in every Unicode cmap subtable."""
    for table in font["cmap"].tables:
        if not table.isUnicode():
            continue
        for code, stand_in in ALIASES.items():
            if stand_in in table.cmap and code not in table.cmap:
                table.cmap[code] = table.cmap[stand_in]


def _rename(font: TTFont, *, weight: str, copyright_: str) -> None:
    """New names (a modified version must not carry the original's reserved names; Noto is a trademark)."""
    name = font["name"]
    ps = f"{PS_FAMILY}-{weight}"
    names = {
        0: copyright_,
        1: FAMILY, 2: weight, 3: f"CareCircle:{ps}", 4: f"{FAMILY} {weight}" if weight != "Regular" else FAMILY,
        5: "Version 1.0; subset of Noto Sans CJK SC " + (font["name"].getDebugName(5) or ""),
        6: ps,
        13: "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        14: "https://openfontlicense.org",
    }
    name.names = [n for n in name.names if n.nameID not in names and n.nameID not in (16, 17)]
    for nid, text in names.items():
        name.setName(text, nid, 3, 1, 0x0409)
        name.setName(text, nid, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps]
        top = cff.topDictIndex[0]
        top.FullName = names[4]
        top.FamilyName = FAMILY
        if hasattr(top, "CIDFontName"):
            top.CIDFontName = ps
        for fd in getattr(top, "FDArray", []) or []:
            if hasattr(fd, "FontName"):
                fd.FontName = f"{ps}-{fd.FontName.rsplit('-', 1)[-1]}"


#: the copyright line of noto-cjk's LICENSE (github.com/notofonts/noto-cjk, Sans/LICENSE)
UPSTREAM_COPYRIGHT = "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'."
MODIFIED = (f"{FAMILY} (Regular, Bold) is a Modified Version of Noto Sans CJK SC 2.004: a subset of its characters\n"
            "(see CHARACTERS.txt), renamed; made by tools/make_report_font.py. Noto is a trademark of Google LLC.")

OFL_TEXT = """
This Font Software is licensed under the SIL Open Font License, Version 1.1.
This license is copied below, and is also available with a FAQ at:
https://openfontlicense.org


-----------------------------------------------------------
SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007
-----------------------------------------------------------

PREAMBLE
The goals of the Open Font License (OFL) are to stimulate worldwide
development of collaborative font projects, to support the font creation
efforts of academic and linguistic communities, and to provide a free and
open framework in which fonts may be shared and improved in partnership
with others.

The OFL allows the licensed fonts to be used, studied, modified and
redistributed freely as long as they are not sold by themselves. The
fonts, including any derivative works, can be bundled, embedded,
redistributed and/or sold with any software provided that any reserved
names are not used by derivative works. The fonts and derivatives,
however, cannot be released under any other type of license. The
requirement for fonts to remain under this license does not apply
to any document created using the fonts or their derivatives.

DEFINITIONS
"Font Software" refers to the set of files released by the Copyright
Holder(s) under this license and clearly marked as such. This may
include source files, build scripts and documentation.

"Reserved Font Name" refers to any names specified as such after the
copyright statement(s).

"Original Version" refers to the collection of Font Software components as
distributed by the Copyright Holder(s).

"Modified Version" refers to any derivative made by adding to, deleting,
or substituting -- in part or in whole -- any of the components of the
Original Version, by changing formats or by porting the Font Software to a
new environment.

"Author" refers to any designer, engineer, programmer, technical
writer or other person who contributed to the Font Software.

PERMISSION & CONDITIONS
Permission is hereby granted, free of charge, to any person obtaining
a copy of the Font Software, to use, study, copy, merge, embed, modify,
redistribute, and sell modified and unmodified copies of the Font
Software, subject to the following conditions:

1) Neither the Font Software nor any of its individual components,
in Original or Modified Versions, may be sold by itself.

2) Original or Modified Versions of the Font Software may be bundled,
redistributed and/or sold with any software, provided that each copy
contains the above copyright notice and this license. These can be
included either as stand-alone text files, human-readable headers or
in the appropriate machine-readable metadata fields within text or
binary files as long as those fields can be easily viewed by the user.

3) No Modified Version of the Font Software may use the Reserved Font
Name(s) unless explicit written permission is granted by the corresponding
Copyright Holder. This restriction only applies to the primary font name as
presented to the users.

4) The name(s) of the Copyright Holder(s) or the Author(s) of the Font
Software shall not be used to promote, endorse or advertise any
Modified Version, except to acknowledge the contribution(s) of the
Copyright Holder(s) and the Author(s) or with their explicit written
permission.

5) The Font Software, modified or unmodified, in part or in whole,
must be distributed entirely under this license, and must not be
distributed under any other license. The requirement for fonts to
remain under this license does not apply to any document created
using the Font Software.

TERMINATION
This license becomes null and void if any of the above conditions are
not met.

DISCLAIMER
THE FONT SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO ANY WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT
OF COPYRIGHT, PATENT, TRADEMARK, OR OTHER RIGHT. IN NO EVENT SHALL THE
COPYRIGHT HOLDER BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
INCLUDING ANY GENERAL, SPECIAL, INDIRECT, INCIDENTAL, OR CONSEQUENTIAL
DAMAGES, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
FROM, OUT OF THE USE OR INABILITY TO USE THE FONT SOFTWARE OR FROM
OTHER DEALINGS IN THE FONT SOFTWARE.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source-dir", type=Path, default=Path("/usr/share/fonts/opentype/noto"))
    p.add_argument("--out", type=Path, default=ROOT / "gui" / "fonts")
    p.add_argument("--no-gb2312-level2", action="store_true", help="GB 2312 level 1 only (a smaller font)")
    args = p.parse_args(argv)
    ours = repo_chars()
    chars = base_chars() | gb2312_chars(level2=not args.no_gb2312_level2) | ours
    args.out.mkdir(parents=True, exist_ok=True)
    copyright_ = None
    for weight, filename in WEIGHTS.items():
        out = args.out / f"{PS_FAMILY}-{weight}.otf"
        kept, glyphs = make_subset(args.source_dir / filename, out, weight=weight, chars=chars)
        copyright_ = copyright_ or load_source(args.source_dir / filename)["name"].getDebugName(0)
        print(f"{out}: {kept} characters, {glyphs} glyphs, {out.stat().st_size / 1e6:.2f} MB")
    font = TTFont(str(args.out / f"{PS_FAMILY}-Regular.otf"))
    held = sorted(chr(c) for c in font.getBestCmap())
    missing = sorted(c for c in ours if ord(c) not in font.getBestCmap())  # e.g. ˚, read as ° but never drawn
    (args.out / "OFL.txt").write_text(f"{UPSTREAM_COPYRIGHT}\n(in the font: {copyright_})\n\n{MODIFIED}\n{OFL_TEXT}", encoding="utf-8")
    lines = [f"# {len(held)} characters of {FAMILY} (made by tools/make_report_font.py); "
             f"{len(ours & set(held))} of them found in the app's own files", ""]
    for i in range(0, len(held), 64):
        lines.append("".join(held[i:i + 64]))
    (args.out / "CHARACTERS.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if missing:
        print(f"not in the source font (they fall back to an installed font): {''.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
