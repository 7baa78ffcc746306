"""A bulletin (工作简报) as a Word document, set as a Party or government
bulletin is expected to look.

The page follows GB/T 9704-2012 (党政机关公文格式): A4, top margin (天头)
37 mm, binding margin (订口) 28 mm, a text block of 156 × 225 mm (so 26 mm
right and 35 mm bottom), body text in 3号 仿宋_GB2312 on 22 lines a page
(28.95 pt apart), headings in 黑体, the title in 2号 方正小标宋简体, page
numbers "— 1 —" in 4号 宋体 on the outer side (odd pages right, even pages
left, one character in). The masthead (版头) is the series title in red
方正小标宋简体, 第N期 under it, the issuing body and the date on one line,
and a red rule across the text block; the distribution block (版记: 报送,
抄送) closes the document between two rules.

Fonts are named as Chinese offices have them installed, in each run's
East Asian slot (``w:eastAsia``; Latin text and digits in Times New Roman).
Where a font is missing, the document's font table says what it is: its
alternative (English) name, the GB2312 character set and its family and
PANOSE class, from which Word and WPS substitute the nearest installed
font (方正小标宋简体 → a 宋体, 仿宋_GB2312 → 仿宋, and so on), and
LibreOffice uses its own replacement table for the same names.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import docx
from docx.enum.section import WD_SECTION_START
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from shiji.reports.models import Bulletin, BulletinItem, paragraphs

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Font:
    name: str  # as installed in Chinese offices: what w:eastAsia names
    alt: str  # its English name (the font table's w:altName)
    family: str  # the font table's w:family: roman (serif), swiss (sans), script
    panose: str  # the PANOSE class Word substitutes by when the font is missing


XIAOBIAOSONG = Font("方正小标宋简体", "FZXiaoBiaoSong-B05S", "script", "02000000000000000000")
HEITI = Font("黑体", "SimHei", "modern", "02010609060101010101")
FANGSONG = Font("仿宋_GB2312", "FangSong_GB2312", "modern", "02010609030101010101")
KAITI = Font("楷体", "KaiTi", "modern", "02010609060101010101")
SONGTI = Font("宋体", "SimSun", "auto", "02010600030101010101")
FONTS = (XIAOBIAOSONG, HEITI, FANGSONG, KAITI, SONGTI)
LATIN = "Times New Roman"

# 字号 in points.
CHUHAO, XIAOCHU, YIHAO, XIAOYI, ERHAO, SANHAO, SIHAO = 42, 36, 26, 24, 22, 16, 14
RED = RGBColor(0xFF, 0x00, 0x00)

# GB/T 9704-2012 §5.2: A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TOP, LEFT, TEXT_WIDTH, TEXT_HEIGHT = 37, 28, 156, 225
RIGHT = 210 - LEFT - TEXT_WIDTH  # 26 mm
BOTTOM = 297 - TOP - TEXT_HEIGHT  # 35 mm
LINE = Pt(28.95)  # 22 lines in 225 mm (§5.2.2)
INDENT = Pt(2 * SANHAO)  # first lines indented two characters
# §7.5: the page number's rule is 7 mm below the text block: its baseline
# sits about 7 mm + one 4号 line under the block's lower edge.
FOOTER_DISTANCE = Mm(BOTTOM - 7 - 5)


def chinese_date(day) -> str:
    """2026年3月10日 (§7.3.5: the year in full, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def issued_text(bulletin: Bulletin) -> str:
    """The closing line's date: 2026年3月10日印发 (empty for a draft)."""
    return chinese_date(bulletin.issued_on) + "印发" if bulletin.issued_on else ""


def number_text(bulletin: Bulletin) -> str:
    return f"第{bulletin.number}期" if bulletin.number else "第　期（草稿）"


def bulletin_docx(*, bulletin: Bulletin, items: Sequence[BulletinItem]) -> bytes:
    """The .docx of ``bulletin`` with its ``items`` in order."""
    document = docx.Document()
    _page_setup(document)
    _default_style(document)
    _font_table(document)
    _masthead(document, bulletin)
    if bulletin.corrects_id and bulletin.corrects is not None:
        note = f"更正：本期更正{bulletin.series.title}{number_text(bulletin.corrects)}。"
        _para(document, note + bulletin.correction_note, KAITI, SANHAO, indent=True)
    _para(
        document, bulletin.title, XIAOBIAOSONG, ERHAO,
        align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35), before=Pt(14), after=Pt(6),
    )  # fmt: skip
    if bulletin.subtitle:
        _para(
            document, bulletin.subtitle, KAITI, SANHAO,
            align=WD_ALIGN_PARAGRAPH.CENTER, after=Pt(6),
        )  # fmt: skip
    for text in paragraphs(bulletin.lead):
        _para(document, text, FANGSONG, SANHAO, indent=True)
    for item in items:
        _item(document, item)
    _distribution(document, bulletin)
    props = document.core_properties
    props.title = f"{bulletin.series.title}{number_text(bulletin)}"
    props.subject = bulletin.title
    props.author = bulletin.issuer or bulletin.series.issuer
    props.language = "zh-CN"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# Page and styles ---------------------------------------------------------------------


def _page_setup(document) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = Mm(TOP), Mm(BOTTOM)
    section.left_margin, section.right_margin = Mm(LEFT), Mm(RIGHT)
    section.footer_distance = FOOTER_DISTANCE
    section.header_distance = Mm(15)
    # Page numbers on the outer side: odd pages right, even pages left.
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(footer, align) -> None:
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(SIHAO)
    else:
        fmt.left_indent = Pt(SIHAO)
    _set_font(paragraph.add_run("— "), SONGTI, SIHAO)
    run = paragraph.add_run()
    _set_font(run, SONGTI, SIHAO)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)
    _set_font(paragraph.add_run(" —"), SONGTI, SIHAO)


def _default_style(document) -> None:
    style = document.styles["Normal"]
    _set_font(style, FANGSONG, SANHAO)
    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _font_table(document) -> None:
    """Describe the Chinese fonts in word/fontTable.xml (see the module
    docstring): what a reader without them substitutes by."""
    part = next(r.target_part for r in document.part.rels.values() if r.reltype == RT.FONT_TABLE)
    entries = "".join(
        f"<w:font w:name={quoteattr(f.name)}><w:altName w:val={quoteattr(f.alt)}/>"
        f'<w:panose1 w:val="{f.panose}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{f.family}"/><w:pitch w:val="variable"/></w:font>'
        for f in FONTS
    )
    xml = part.blob.decode("utf-8")
    part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _set_font(target, font: Font, size: float, *, bold: bool = False, color=None) -> None:
    """``target`` (a run or a style) in ``font``: its East Asian slot named,
    Latin text in Times New Roman."""
    target.font.size = Pt(size)
    target.font.bold = bold
    if color is not None:
        target.font.color.rgb = color
    rpr = target.element.get_or_add_rPr() if hasattr(target, "element") else None
    if rpr is None:  # pragma: no cover - python-docx gives both a run and a style .element
        return
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), font.name)
    fonts.set(qn("w:cs"), LATIN)
    fonts.set(qn("w:hint"), "eastAsia")


def _para(
    document,
    text: str,
    font: Font,
    size: float,
    *,
    align=None,
    indent: bool = False,
    line=None,
    before=None,
    after=None,
    color=None,
    bold: bool = False,
):
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if indent:
        fmt.first_line_indent = INDENT
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    if before is not None:
        fmt.space_before = before
    if after is not None:
        fmt.space_after = after
    if text:
        _set_font(paragraph.add_run(text), font, size, bold=bold, color=color)
    return paragraph


def _border(paragraph, side: str, *, size: int, color: str) -> None:
    """A rule along ``side`` of the paragraph, as wide as the text block;
    ``size`` in eighths of a point."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    rule = OxmlElement(f"w:{side}")
    rule.set(qn("w:val"), "single")
    rule.set(qn("w:sz"), str(size))
    rule.set(qn("w:space"), "4")
    rule.set(qn("w:color"), color)
    borders.append(rule)


# The parts of the bulletin ------------------------------------------------------------


def masthead_size(title: str) -> int:
    """The largest of 初号, 小初, 一号, 小一 and 二号 at which the series
    title fits on one line of the text block (二号 for longer titles, which
    then wrap)."""
    room = TEXT_WIDTH / 25.4 * 72  # the text block's width in points
    for size in (CHUHAO, XIAOCHU, YIHAO, XIAOYI, ERHAO):
        if len(title) * size <= room:
            return size
    return ERHAO


def _masthead(document, bulletin: Bulletin) -> None:
    series = bulletin.series
    size = masthead_size(series.title)
    _para(
        document, series.title, XIAOBIAOSONG, size,
        align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(size * 1.3), before=Pt(12), after=Pt(12),
        color=RED,
    )  # fmt: skip
    _para(document, number_text(bulletin), KAITI, SANHAO, align=WD_ALIGN_PARAGRAPH.CENTER)
    # The issuing body on the left, the date on the right, over the red rule.
    line = _para(document, "", KAITI, SANHAO, after=Pt(18))
    line.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    day = chinese_date(bulletin.issued_on) if bulletin.issued_on else ""
    _set_font(line.add_run(bulletin.issuer or series.issuer), KAITI, SANHAO)
    _set_font(line.add_run("\t" + day), KAITI, SANHAO)
    _border(line, "bottom", size=18, color="FF0000")


def _item(document, item: BulletinItem) -> None:
    _para(document, item.heading, HEITI, SANHAO, indent=True, before=Pt(8))
    for text in paragraphs(item.body):
        _para(document, text, FANGSONG, SANHAO, indent=True)
    if item.show_photos:
        for photo in item.update.photos.all():
            _photo(document, photo)
    if item.byline:
        _para(document, item.byline_text, KAITI, SANHAO, align=WD_ALIGN_PARAGRAPH.RIGHT)


def _photo(document, photo) -> None:
    try:
        with photo.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        logger.warning("photo %s is missing from storage; left out of the bulletin", photo.pk)
        return
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.space_before = Pt(6)
    try:
        paragraph.add_run().add_picture(io.BytesIO(data), width=Mm(120))
    except Exception:  # python-docx's image parsers raise their own types
        logger.exception("photo %s could not be placed", photo.pk)
        paragraph._p.getparent().remove(paragraph._p)
        return
    if photo.caption:
        _para(document, photo.caption, KAITI, SIHAO, align=WD_ALIGN_PARAGRAPH.CENTER)


def _distribution(document, bulletin: Bulletin) -> None:
    """版记: 报送 and 抄送 between two rules, the issuer and date under them."""
    rows = [("报送：", bulletin.report_to), ("抄送：", bulletin.copy_to)]
    rows = [(label, text) for label, text in rows if text] or [("报送：", "")]
    _para(document, "", FANGSONG, SANHAO, before=Pt(24))
    made = []
    for label, text in rows:
        paragraph = _para(document, "", FANGSONG, SIHAO)
        fmt = paragraph.paragraph_format
        fmt.left_indent = Pt(SIHAO * 4)  # hanging under the label, one character in
        fmt.first_line_indent = -Pt(SIHAO * 3)
        _set_font(paragraph.add_run(label + text), FANGSONG, SIHAO)
        made.append(paragraph)
    # §7.4.1: the first and last rules 0.35 mm, the one between 0.25 mm.
    # Paragraphs with the same borders are drawn as one framed group (Word
    # and LibreOffice alike), so the rules sit on paragraphs that differ.
    _border(made[0], "top", size=8, color="000000")
    closing = _para(document, "", FANGSONG, SIHAO)
    _border(closing, "top", size=6, color="000000")
    closing.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    fmt = closing.paragraph_format
    fmt.left_indent = Pt(SIHAO)
    day = issued_text(bulletin)
    _set_font(closing.add_run(bulletin.issuer or bulletin.series.issuer), FANGSONG, SIHAO)
    _set_font(closing.add_run("\t" + day), FANGSONG, SIHAO)
    _border(closing, "bottom", size=8, color="000000")
