"""A docxtpl template that renders large reports in a fraction of the time and memory.

The template stays an ordinary docxtpl template (same tags, same autoescaping, same XML);
only these steps of docxtpl's `render` and `save` work differently:

- **Most table rows are never parsed.** docxtpl parses the rendered body into one lxml tree
  (about ten times the size of the XML: 600 MB for the 39,000 table rows of a national rate
  report, and 2.6 s) and then moves it into the document, which walks every node again. Here
  the rows of the body's tables are found in the rendered text and replaced by small
  placeholders before parsing, once expat has checked the whole text (0.7 s); the rows are put
  back, as they were rendered, when the file is written. That is the same XML as docxtpl's,
  not always the same bytes (lxml writes '<w:t/>' for '<w:t></w:t>'). Where the text is not
  as this expects (another namespace declaration, a row's table inside a content control),
  the body is parsed incrementally instead, each finished row serialised at once by lxml and
  left as a placeholder: byte for byte docxtpl's document. Either way, rows that anything
  after rendering may need to see stay in the tree: the first row of each table (its cell
  widths), and rows holding a nested table, a field, a bookmark, a picture, tracked changes
  of a cell, or a paragraph in one of `keep_styles` (e.g. the headings a table of contents is
  made from).
- **Table grids** are fixed as docxtpl's `fix_tables` does, from the cells counted per row.
- **Line breaks and tabs in text** (`resolve_listing`) are looked for only in the paragraphs
  that contain such a character, instead of by three nested regular expressions over every
  paragraph of the document.
- **Three copies less of the rendered XML**: the line breaks docxtpl puts before paragraphs
  for Jinja's line numbers are left out (and put in where a part must be rendered again to
  be exact, or for an error's line number), and its escaped braces are looked for before
  they are replaced (`render_xml_part`).

Anything unusual (XML the parser has to repair, a row with its own namespace declarations)
takes docxtpl's own path, so the document is the same either way.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from typing import IO, Any
from xml.parsers import expat

from docxtpl import DocxTemplate
from jinja2 import Template, TemplateError
from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
W_TBL, W_TR, W_TC = f"{{{_W}}}tbl", f"{{{_W}}}tr", f"{{{_W}}}tc"
W_TCPR, W_GRIDSPAN, W_VAL = f"{{{_W}}}tcPr", f"{{{_W}}}gridSpan", f"{{{_W}}}val"
W_PSTYLE = f"{{{_W}}}pStyle"
# What must stay in the tree for fix_docpr_ids and for work on the rendered document.
_KEEP_TAGS = (
    W_TBL, f"{{{_W}}}bookmarkStart", f"{{{_W}}}bookmarkEnd", f"{{{_W}}}fldChar",
    f"{{{_W}}}instrText", f"{{{_W}}}fldSimple", f"{{{_WP}}}docPr",
)  # fmt: skip
_LISTING = re.compile("[\t\a\n\f]")
# docxtpl's paragraph pattern in resolve_listing.
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", flags=re.DOTALL)
# A table row start tag that declares namespaces itself: serialising it alone is not exact.
_ROW_WITH_XMLNS = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?tr(?=[\s/>])[^>]*?xmlns")
_CHUNK = 1 << 20


class LeanTemplate(DocxTemplate):
    """docxtpl's DocxTemplate, rendering the same document with less time and memory.

    `keep_styles`: paragraph style ids whose paragraphs must stay visible in `docx` after
    rendering (where they sit in table rows); see the module docstring."""

    def __init__(self, template_file: IO[bytes] | str, keep_styles: Iterable[str] = ()):
        super().__init__(template_file)
        self.keep_styles = frozenset(keep_styles)
        self._held: list[bytes] = []
        self._marker = ""

    def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any],
                        jinja_env: Any = None) -> str:  # fmt: skip
        """docxtpl's render_xml_part, without the line break it puts before every paragraph
        (so that Jinja's errors name a line) and takes out of the whole rendered text again:
        two copies of a large body. Jinja renders the same either way, but for where the
        breaks are. Where the rendered text has a break before a paragraph all the same (from
        the template or from Markup), or rendering fails, the part is rendered docxtpl's way,
        for the same text or the same error."""
        self.current_rendering_part = part
        try:
            template = jinja_env.from_string(src_xml) if jinja_env else Template(src_xml)
            dst_xml = template.render(context)
        except Exception:  # noqa: BLE001 - raised again, with docxtpl's line numbers
            dst_xml = None
        if dst_xml is None or "\n<w:p" in dst_xml:
            dst_xml = self._render_with_line_breaks(src_xml, context, jinja_env)
        if "{_" in dst_xml or "_}" in dst_xml:  # each of docxtpl's four, found in two scans
            dst_xml = (
                dst_xml.replace("{_{", "{{")
                .replace("}_}", "}}")
                .replace("{_%", "{%")
                .replace("%_}", "%}")
            )
        return self.resolve_listing(dst_xml)

    def _render_with_line_breaks(self, src_xml: str, context: dict[str, Any],
                                 jinja_env: Any) -> str:  # fmt: skip
        """docxtpl's rendering of a part, to its escaped braces: a line break before every
        paragraph, taken out after rendering (by str.replace: re.sub holds every piece of a
        large document as a string of its own until it joins them)."""
        src_xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
        try:
            template = jinja_env.from_string(src_xml) if jinja_env else Template(src_xml)
            dst_xml = template.render(context)
        except TemplateError as exc:
            if hasattr(exc, "lineno") and exc.lineno is not None:
                line_number = max(exc.lineno - 4, 0)
                exc.docx_context = map(  # type: ignore[attr-defined]
                    lambda x: re.sub(r"<[^>]+>", "", x),
                    src_xml.splitlines()[line_number : (line_number + 7)],
                )
            raise exc
        # The same as re.sub(r"\n<w:p([ >])", r"<w:p\1"): taking out one kind of break
        # neither makes nor breaks one of the other kind.
        return dst_xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's resolve_listing, run only on the paragraphs that contain a tab, a line
        break, a form feed or a bell: the others come out unchanged anyway."""
        if not any(c in xml for c in "\t\a\n\f"):
            return xml
        resolve = super().resolve_listing

        def paragraph(m: re.Match[str]) -> str:
            text = m.group(0)
            return resolve(text) if _LISTING.search(text) else text

        return _PARAGRAPH.sub(paragraph, xml)

    def fix_tables(self, xml: str) -> Any:
        """Parse the rendered body without most of its table rows, and fix the table grids as
        docxtpl does. Falls back to docxtpl for XML it would repair."""
        self._held, self._marker = [], uuid.uuid4().hex
        marker = f"{self._marker}:"
        tree = self._parse_without_rows(xml, marker)
        if tree is not None:
            return tree
        holder = _Holder(self.keep_styles, marker)
        compact = _ROW_WITH_XMLNS.search(xml) is None
        # Strict: XML that docxtpl's parser would have to repair raises, and goes its way.
        parser = etree.XMLPullParser(events=("end",), tag=W_TR)
        try:
            for start in range(0, len(xml), _CHUNK):
                parser.feed(xml[start : start + _CHUNK])
                for _event, row in parser.read_events():
                    # A row is held once the parser has gone past it: its tail is then
                    # complete and the parser no longer adds anything next to it.
                    if compact and holder.pending is not None:
                        holder.hold(holder.pending)
                    holder.pending = row
            tree = parser.close()
            if compact and holder.pending is not None:
                holder.hold(holder.pending)
        except Exception:  # noqa: BLE001 - XML to repair, or anything unforeseen
            return super().fix_tables(xml)
        self._fix_grids(tree, holder.widths)
        self._held = holder.rows
        return tree

    def _parse_without_rows(self, xml: str, marker: str) -> Any:
        """The fast way, or None: rows cut out of the text before parsing (see `_cut_rows`),
        where the whole text is well-formed and every cut row turns out to sit in a table of
        the body itself."""
        if not _plain_namespaces(xml):
            return None
        try:  # text that is not UTF-8 (a lone surrogate) goes the long way, as docxtpl's
            data = xml.encode("utf-8")
            cut = _cut_rows(data, _keep_words(self.keep_styles), marker.encode("utf-8"))
            if cut is None or not cut[1] or not _well_formed(data):
                return None
            rest, rows, widths = cut
            tree = etree.fromstring(rest)
        except (UnicodeError, etree.XMLSyntaxError):
            return None
        if _markers_in_body_tables(tree, marker) != len(rows):
            return None  # e.g. a table in a content control: the rows go the long way
        self._fix_grids(tree, widths)
        self._held = rows
        return tree

    def _fix_grids(self, tree: Any, held: dict[int, tuple[int, int]]) -> None:
        """docxtpl's fix_tables on the parsed body, counting held rows by their widths."""
        ns = "{" + tree.nsmap["w"] + "}"
        prefix = f"{self._marker}:"
        for t in tree.iter(ns + "tbl"):
            rows = [_row_width(r) for r in t.iter(ns + "tr")]
            rows += [
                held[int(c.text[len(prefix) :])]
                for c in t.iterchildren(etree.Comment)
                if c.text and c.text.startswith(prefix)
            ]
            _fix_grid(t, ns, rows)

    def save(self, filename: IO[bytes] | str, *args: Any, **kwargs: Any) -> None:
        """Write the document, with the held rows back in their places."""
        if not self._held:
            super().save(filename, *args, **kwargs)
            return
        self.pre_processing()
        package = io.BytesIO()
        self.docx.save(package, *args, **kwargs)
        _write_with_rows(package, filename, self.docx.part.partname.membername,
                         self._marker, self._held)  # fmt: skip
        self.post_processing(filename)
        self.is_saved = True


class _Holder:
    """The rows held out of the tree while parsing: their XML, and their widths by number."""

    def __init__(self, keep_styles: frozenset[str], marker: str):
        self.keep, self.marker = _keep_pattern(keep_styles), marker
        self.rows: list[bytes] = []
        self.widths: dict[int, tuple[int, int]] = {}
        self.heads: dict[Any, tuple[bytes, bytes]] = {}
        self.pending: Any = None

    def hold(self, row: Any) -> None:
        """Replace a finished row of a top-level table by a placeholder, keeping its XML."""
        table = row.getparent()
        if table is None or table.tag != W_TBL:
            return
        body = table.getparent()
        if body is None or body.getparent() is not None:
            return
        # Rows come in order, so the first seen of a table is its first row. (Not `find`:
        # while the parser is open, it walks every placeholder put in before.)
        if table not in self.heads:
            self.heads[table] = _start_tags(table, row)
            return
        text = etree.tostring(row, encoding="UTF-8", with_tail=False)
        if self.keep.search(text):  # may be text that only looks so: then it stays too
            return
        tag, head = self.heads[table]
        rest = text[len(head) :]
        if not text.startswith(head) or rest[:1] not in (b" ", b">", b"/"):
            return
        placeholder = etree.Comment(f"{self.marker}{len(self.rows)}")
        placeholder.tail = row.tail
        self.widths[len(self.rows)] = _row_width(row)
        table.replace(row, placeholder)
        self.rows.append(tag + rest)


def _keep_pattern(styles: frozenset[str]) -> re.Pattern[bytes]:
    """What in a serialised row shows that it must stay in the tree: a table, and the words
    of `_keep_words` (for a row of the pull parser)."""
    words = [re.escape(w) for w in _keep_words(styles)]
    return re.compile(b"|".join([rb"tbl[\s/>]", *words]))


# --- rows cut from the text before parsing ------------------------------------------------

# Start and end tags of tables and rows, with the prefix the whole body binds to _W.
_TABLE_OR_ROW = re.compile(rb"<(/?)w:(tbl|tr)(?=[\s/>])")
_CELL = re.compile(rb"<w:tc(?=[\s/>])")
_GRID_SPAN = re.compile(rb'<w:gridSpan w:val="(\d+)"/>')
_SLASH = ord("/")
Widths = dict[int, tuple[int, int]]


def _plain_namespaces(xml: str) -> bool:
    """The prefix w, and only w, is bound to _W by the body's start tag, and no other tag
    declares a namespace (nor does text mention one: then the long way is taken for nothing);
    and there is no comment, CDATA section or instruction, whose text could look like a tag."""
    end = xml.find(">") + 1
    return (
        f'xmlns:w="{_W}"' in xml[:end]
        and xml.count(_W, 0, end) == 1
        and xml.find("xmlns", end) < 0
        and "<!" not in xml
        and "<?" not in xml
    )


def _keep_words(styles: frozenset[str]) -> tuple[bytes, ...]:
    """What shows in a row's text that it must stay in the tree, besides a table: the elements
    of _KEEP_TAGS; a paragraph style of `styles` (its id anywhere, in either kind of quotes or
    in text; an id that XML would escape keeps every row with a paragraph style); a cell's
    former properties (tracked changes), whose grid span docxtpl does not count; and a content
    control or custom markup, which may hold cells docxtpl does not count either. Plain words:
    `in` is many times faster than a pattern of alternatives. As UTF-8, as the text is searched."""
    words = [t.split("}")[1] for t in _KEEP_TAGS[1:]] + ["PrChange", "<w:sdt", "<w:customXml"]
    for style in sorted(styles):
        plain = not any(c in style for c in "&<>\"'\n\r\t")
        words.append(style if plain else "pStyle")
    return tuple(word.encode("utf-8") for word in words)


def _cut_rows(
    xml: bytes, keep: tuple[bytes, ...], marker: bytes
) -> tuple[bytes, list[bytes], Widths] | None:
    """The rendered body (UTF-8) with rows of its outermost tables replaced by placeholders,
    the rows, and their widths (cells, grid columns spanned); None for tags it does not follow.

    Parsing is most of the time of a large report (the 54 MB body of a national rate report
    takes 2.6 s), and most rows need not be parsed: finding them in the text takes a fraction
    of that. A row stays in the text, to be parsed, where it is the first of its table, holds
    a table, contains one of `keep`, or has a grid span the text cannot count as docxtpl does. A
    row cut out is written as it was rendered, which is the same XML as lxml's serialisation,
    not always the same bytes (e.g. '<w:t></w:t>' for '<w:t/>', '&#34;' for a quote). Bytes
    throughout: the rows are then written as they are, without encoding each."""
    keep = tuple(word for word in keep if word in xml)  # one scan, not one per row
    pieces: list[bytes] = []
    rows: list[bytes] = []
    widths: Widths = {}
    depth, last, start, first, nested = 0, 0, -1, False, False
    for m in _TABLE_OR_ROW.finditer(xml):
        closing, name = m.group(1), m.group(2)
        end = xml.find(b">", m.end()) + 1
        if not closing and xml[end - 2] == _SLASH:
            if name == b"tbl":
                return None  # an empty table: not what Word writes
            if depth == 1:
                start = -1
            continue
        if name == b"tbl":
            depth += -1 if closing else 1
            if depth < 0:
                return None
            first = first or (depth == 1 and not closing)
            nested = nested or depth > 1
            continue
        if depth != 1:
            continue
        if not closing:
            start, nested = m.start(), False
            continue
        if start < 0:
            return None
        row, begin, start = xml[start:end], start, -1
        if first or nested or any(word in row for word in keep):
            first = False
            continue
        if b"<w:gridSpan" in row:
            cells = _CELL.split(row)[1:]
            count, spans = len(cells), _spans(cells)
            if spans is None:
                continue
        else:
            count, spans = len(_CELL.findall(row)), 0
        widths[len(rows)] = (count, count + spans)
        pieces += [xml[last:begin], b"<!--%s%d-->" % (marker, len(rows))]
        rows.append(row)
        last = end
    if depth:
        return None
    pieces.append(xml[last:])
    return b"".join(pieces), rows, widths


def _spans(cells: list[bytes]) -> int | None:
    """Grid columns the cells span beyond one each, as docxtpl counts them (the first grid
    span of a cell's first tcPr); None where a span is written otherwise than lxml writes it,
    or a cell has more than one tcPr or grid span, which the text alone cannot tell apart.
    `cells`: the text from each cell's start tag to the next's."""
    extra = 0
    for cell in cells:
        if b"<w:gridSpan" not in cell:
            continue
        head, closed, _ = cell.partition(b"</w:tcPr>")
        span = _GRID_SPAN.search(head)
        if (
            not closed
            or span is None
            or cell.count(b"<w:gridSpan") != 1
            or cell.count(b"<w:tcPr") != 1
            or head.find(b"<w:tcPr") > span.start()
            or cell[cell.find(b">") - 1] == _SLASH
        ):
            return None
        extra += int(span.group(1)) - 1
    return extra


def _well_formed(xml: bytes) -> bool:
    """Well-formed XML with every prefix bound, checked by expat without building a tree."""
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        return False
    return True


def _markers_in_body_tables(tree: Any, marker: str) -> int:
    """Placeholders that are rows of a table of the body itself, as `_Holder.hold` holds."""
    return sum(
        1
        for table in tree.iterchildren(W_TBL)
        for c in table.iterchildren(etree.Comment)
        if c.text and c.text.startswith(marker)
    )


def _start_tags(table: Any, row: Any) -> tuple[bytes, bytes]:
    """How a row's start tag begins in the whole document, and serialised alone: then it
    repeats the namespaces declared above it, which are dropped again."""
    probe = etree.SubElement(table, row.tag)
    text = etree.tostring(probe, encoding="UTF-8")
    table.remove(probe)
    tag = text[: text.index(b" ")] if b" " in text else text[: -len(b"/>")]
    return tag, text[: -len(b"/>")]


def _row_width(row: Any) -> tuple[int, int]:
    """Cells in a row, and grid columns they span (docxtpl's get_cell_len, summed)."""
    cells = row.findall(W_TC)
    span = len(cells)
    for grid_span in row.iter(W_GRIDSPAN):
        tc_pr = grid_span.getparent()
        cell = tc_pr.getparent() if tc_pr is not None else None
        if (
            tc_pr.tag == W_TCPR
            and cell is not None
            and cell.tag == W_TC
            and cell.getparent() is row
            and cell.find(W_TCPR) is tc_pr
            and tc_pr.find(W_GRIDSPAN) is grid_span
        ):
            span += int(grid_span.get(W_VAL)) - 1
    return len(cells), span


def _fix_grid(t: Any, ns: str, rows: list[tuple[int, int]]) -> None:
    """docxtpl's fix_tables for one table, given (cells, spanned columns) per row."""
    tbl_grid = t.find(ns + "tblGrid")
    columns = tbl_grid.findall(ns + "gridCol")
    to_add = 0
    for n_cells, _span in rows:
        if (len(columns) + to_add) < n_cells:
            to_add = n_cells - len(columns)
    if to_add > 0:
        width = 0.0
        for c in columns:
            if c.get(ns + "w") is not None:
                width += float(c.get(ns + "w"))
        if width > 0:
            old_average = width / len(columns)
            new_average = width / (len(columns) + to_add)
            for c in columns:
                c.set(ns + "w", str(int(float(c.get(ns + "w")) * new_average / old_average)))
            for _ in range(to_add):
                etree.SubElement(tbl_grid, ns + "gridCol", {ns + "w": str(int(new_average))})
    columns = tbl_grid.findall(ns + "gridCol")
    cells_len_max = max((span for _n, span in rows), default=0)
    to_remove = len(columns) - cells_len_max
    if to_remove > 0:
        removed_width = 0.0
        for c in columns[-to_remove:]:
            removed_width += float(c.get(ns + "w"))
            tbl_grid.remove(c)
        columns_left = tbl_grid.findall(ns + "gridCol")
        extra_space = int(removed_width / len(columns_left)) if columns_left else 0
        for c in columns_left:
            c.set(ns + "w", str(int(float(c.get(ns + "w")) + extra_space)))


def _write_with_rows(package: io.BytesIO, target: IO[bytes] | str, member: str, marker: str,
                     rows: list[bytes]) -> None:  # fmt: skip
    """Copy the saved package to `target`, the held rows written in place of their markers."""
    pattern = re.compile(b"<!--" + marker.encode() + rb":(\d+)-->")
    package.seek(0)
    with zipfile.ZipFile(package) as source, \
            zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:  # fmt: skip
        for info in source.infolist():
            data = source.read(info)
            if info.filename != member:
                out.writestr(info, data)
                continue
            pieces = pattern.split(data)
            size = sum(len(p) for p in pieces[::2]) + sum(len(rows[int(i)]) for i in pieces[1::2])
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            with out.open(entry, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as stream:
                # In pieces of a megabyte or so: a write per row costs more than the deflating.
                chunk: list[bytes] = []
                length = 0
                for k, piece in enumerate(pieces):
                    part = rows[int(piece)] if k % 2 else piece
                    chunk.append(part)
                    length += len(part)
                    if length >= _CHUNK:
                        stream.write(b"".join(chunk))
                        chunk, length = [], 0
                stream.write(b"".join(chunk))
