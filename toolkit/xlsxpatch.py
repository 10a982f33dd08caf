"""Patching an .xlsx package instead of loading and saving it: every part is kept as it
was except the few that change, so a feedback workbook keeps whatever the respondent's
program wrote (images, charts, extensions openpyxl does not know), costs milliseconds instead
of a full load and save, and comes out the same bytes for the same input.

Only what the feedback workbook needs is offered: read a sheet's cells and comments, give a
cell another fill or a comment, set a cell's text, drop a sheet, add a sheet in front. What
cannot be patched safely raises `Unpatchable`; the caller then takes the slow path.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
THREADED_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
XML_NS = "http://www.w3.org/XML/1998/namespace"

REL_OFFICE_DOCUMENT = R_NS + "/officeDocument"
REL_WORKSHEET = R_NS + "/worksheet"
REL_STYLES = R_NS + "/styles"
REL_SHARED_STRINGS = R_NS + "/sharedStrings"
REL_COMMENTS = R_NS + "/comments"
REL_VML = R_NS + "/vmlDrawing"
REL_CALC_CHAIN = R_NS + "/calcChain"
REL_THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
CT_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

# The order of a worksheet's children (ECMA-376 CT_Worksheet), to put a new one in its place.
SHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
STYLES_ORDER = (
    "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
    "tableStyles", "colors", "extLst",
)  # fmt: skip
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)  # fmt: skip

MAX_CELLS = 100_000  # cells one patch may create; a finding never spans more
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FIRST_ELEMENT = re.compile(rb"<(?![?!])")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class Unpatchable(Exception):
    """The package holds something this module does not patch safely."""


# --- small helpers ---------------------------------------------------------------------------


def parse_xml(data: bytes) -> etree._Element:
    """Parse a part without entities, DTDs or network; a DOCTYPE is refused outright."""
    first = _FIRST_ELEMENT.search(data)
    if b"<!DOCTYPE" in (data[: first.start()] if first else data).upper():
        raise Unpatchable("DOCTYPE")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unpatchable(f"XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise Unpatchable("DOCTYPE")
    return root


def to_xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def clean_text(text: str) -> str:
    """Text that XML 1.0 can hold."""
    return _XML_INVALID.sub("", text)


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def parse_ref(ref: str) -> tuple[int, int]:
    """'B5' -> (row 5, column 2)."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(m.group(2)), column_index(m.group(1))
    if not (1 <= row <= 1_048_576 and 1 <= col <= 16_384):
        raise ValueError(f"cell outside a sheet: {ref!r}")
    return row, col


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B5:C7' or 'B5' -> (first row, first column, last row, last column)."""
    first, _, last = ref.partition(":")
    r0, c0 = parse_ref(first)
    r1, c1 = parse_ref(last) if last else (r0, c0)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)


def _truthy(value: str | None) -> bool:
    return value in ("1", "true")


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    ns = etree.QName(parent).namespace
    return parent.find(f"{{{ns}}}{name}" if ns else name)


def _ensure_child(parent: etree._Element, name: str, order: tuple[str, ...],
                  attrib: dict[str, str] | None = None) -> etree._Element:  # fmt: skip
    """The child `name` of `parent`, made where the schema's order puts it if missing."""
    found = _child(parent, name)
    if found is not None:
        return found
    ns = etree.QName(parent).namespace
    made = etree.Element(f"{{{ns}}}{name}" if ns else name, attrib or {})
    _insert_in_order(parent, made, order)
    return made


def _insert_in_order(parent: etree._Element, child: etree._Element, order: tuple[str, ...]) -> None:
    rank = order.index(local(child.tag))
    for i, existing in enumerate(parent):
        name = local(existing.tag)
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


# --- the zip ---------------------------------------------------------------------------------


def _zip_info(name: str, date_time: tuple[int, ...]) -> zipfile.ZipInfo:
    """A member with the time it had (or the package's), so the same input gives the same
    bytes."""
    info = zipfile.ZipInfo(name, date_time if date_time[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _level(size: int) -> int:
    """A large part (a sheet of a 300-row table) packed a little less tightly: half the time."""
    return 6 if size < 100_000 else 1


# --- the package -----------------------------------------------------------------------------


@dataclass
class Rel:
    id: str
    type: str
    target: str  # the part name it points at (resolved), or the raw target if external
    external: bool = False


def rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


class Package:
    """An OPC package: parts read on demand, changed parts replaced, the rest copied raw."""

    def __init__(self, path: Path):
        self.data = path.read_bytes()
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        except zipfile.BadZipFile as exc:
            raise Unpatchable(str(exc)) from exc
        self.infos = self.zip.infolist()
        names = [i.filename for i in self.infos]
        if len(set(n.lower() for n in names)) != len(names):
            raise Unpatchable("duplicate part names")
        self._lower = {n.lower(): n for n in names}
        self.changed: dict[str, bytes] = {}  # part -> new content (also new parts)
        self.added: list[str] = []
        self.deleted: set[str] = set()
        self._xml: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._rels: dict[str, list[Rel]] = {}
        self.content_types = self.xml("[Content_Types].xml")
        workbook = [r for r in self.rels("") if r.type == REL_OFFICE_DOCUMENT]
        if len(workbook) != 1 or workbook[0].target != "xl/workbook.xml":
            raise Unpatchable("the workbook part is not xl/workbook.xml")
        self.time = self.zip.getinfo("xl/workbook.xml").date_time

    # parts

    def name(self, part: str) -> str | None:
        """The part's name as stored (names compare without case in a package)."""
        if part in self.deleted:
            return None
        if part in self.changed:
            return part
        found = self._lower.get(part.lower())
        return None if found is None or found in self.deleted else found

    def has(self, part: str) -> bool:
        return self.name(part) is not None

    def read(self, part: str) -> bytes:
        name = self.name(part)
        if name is None:
            raise Unpatchable(f"missing part {part}")
        if name in self._dirty:
            return to_xml(self._xml[name])
        if name in self.changed:
            return self.changed[name]
        return self.zip.read(name)

    def write(self, part: str, data: bytes) -> None:
        stored = self._lower.get(part.lower())  # also a part deleted before: it comes back
        name = stored or self.name(part) or part
        if stored is None and name not in self.added:
            self.added.append(name)
        self.deleted.discard(name)
        self.changed[name] = data
        self._dirty.discard(name)
        self._xml.pop(name, None)

    def delete(self, part: str) -> None:
        name = self.name(part)
        if name is None:
            return
        self.deleted.add(name)
        self.changed.pop(name, None)
        self._dirty.discard(name)
        self._xml.pop(name, None)
        if name in self.added:
            self.added.remove(name)
        self.remove_content_type(name)

    def xml(self, part: str) -> etree._Element:
        """The part parsed (once); changes to it are saved when `touch` is called."""
        name = self.name(part)
        if name is None:
            raise Unpatchable(f"missing part {part}")
        if name not in self._xml:
            self._xml[name] = parse_xml(self.read(name))
        return self._xml[name]

    def touch(self, part: str, root: etree._Element | None = None) -> None:
        """Mark a parsed part as changed (or put `root` as a new part)."""
        if root is not None:
            self.write(part, b"")
            name = self.name(part) or part
            self._xml[name] = root
        name = self.name(part) or part
        self._dirty.add(name)

    def free_name(self, pattern: str) -> str:
        """The first unused part name of `pattern` ('xl/comments{}.xml') counting from 1."""
        n = 1
        while self.has(pattern.format(n)) or pattern.format(n) in self.added:
            n += 1
        return pattern.format(n)

    # relationships

    def rels(self, source: str) -> list[Rel]:
        """The relationships of a part ('' for the package)."""
        part = rels_part(source) if source else "_rels/.rels"
        if part in self._rels:
            return self._rels[part]
        found: list[Rel] = []
        if self.has(part):
            root = self.xml(part)
            folder = posixpath.dirname(source)
            for node in root:
                if local(node.tag) != "Relationship":
                    continue
                target = node.get("Target", "")
                external = node.get("TargetMode") == "External"
                if not external:
                    target = unquote(target.split("#", 1)[0])
                    if target.startswith("/"):
                        target = target.lstrip("/")
                    else:
                        target = posixpath.normpath(posixpath.join(folder, target))
                found.append(Rel(node.get("Id", ""), node.get("Type", ""), target, external))
        self._rels[part] = found
        return found

    def add_rel(self, source: str, rel_type: str, target: str) -> str:
        """A new relationship from `source` to the part `target`; returns its id."""
        part = rels_part(source)
        if self.has(part):
            root = self.xml(part)
        else:
            root = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
            self.touch(part, root)
        used = {r.id for r in self.rels(source)}
        n = len(used) + 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
        ns = etree.QName(root).namespace
        etree.SubElement(root, f"{{{ns}}}Relationship" if ns else "Relationship",
                         {"Id": rid, "Type": rel_type, "Target": relative})  # fmt: skip
        self.touch(part)
        self._rels[part].append(Rel(rid, rel_type, target))
        return rid

    def remove_rel(self, source: str, rid: str) -> None:
        part = rels_part(source)
        if not self.has(part):
            return
        root = self.xml(part)
        for node in list(root):
            if node.get("Id") == rid:
                root.remove(node)
        self.touch(part)
        self._rels[part] = [r for r in self.rels(source) if r.id != rid]

    def referenced(self) -> set[str]:
        """Every part some relationship of a remaining part points at (lower case)."""
        found = set()
        sources = [""] + [n for n in self._all_names() if not n.endswith(".rels")]
        for source in sources:
            if source and not self.has(rels_part(source)):
                continue
            found.update(r.target.lower() for r in self.rels(source) if not r.external)
        return found

    def _all_names(self) -> list[str]:
        names = [i.filename for i in self.infos if i.filename not in self.deleted]
        return names + [n for n in self.added if n not in names]

    # content types

    def content_type(self, part: str) -> str | None:
        for node in self.content_types:
            if local(node.tag) == "Override" and node.get("PartName", "").lower() == (
                "/" + part.lower()
            ):
                return node.get("ContentType")
        ext = part.rsplit(".", 1)[-1].lower()
        for node in self.content_types:
            if local(node.tag) == "Default" and node.get("Extension", "").lower() == ext:
                return node.get("ContentType")
        return None

    def set_content_type(self, part: str, content_type: str) -> None:
        ext = part.rsplit(".", 1)[-1].lower()
        if ext == "vml" and self.content_type(part) == content_type:
            return
        self.remove_content_type(part)
        ns = etree.QName(self.content_types).namespace
        etree.SubElement(self.content_types, f"{{{ns}}}Override",
                         {"PartName": "/" + part, "ContentType": content_type})  # fmt: skip
        self.touch("[Content_Types].xml")

    def remove_content_type(self, part: str) -> None:
        for node in list(self.content_types):
            if local(node.tag) == "Override" and node.get("PartName", "").lower() == (
                "/" + part.lower()
            ):
                self.content_types.remove(node)
                self.touch("[Content_Types].xml")

    # saving

    def save(self, target: Path) -> None:
        for name in self._dirty:
            self.changed[name] = to_xml(self._xml[name])
        self._dirty.clear()
        parts = []
        for info in self.infos:
            name = info.filename
            if name in self.deleted:
                continue
            data = self.changed[name] if name in self.changed else self._read(info)
            parts.append((name, info.date_time, data))
        parts += [(n, self.time, self.changed[n]) for n in self.added if n not in self.deleted]
        if len({name.lower() for name, _, _ in parts}) != len(parts):
            raise Unpatchable("a part would be stored twice")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, date_time, data in parts:
                archive.writestr(_zip_info(name, date_time), data, compresslevel=_level(len(data)))
        target.write_bytes(buffer.getvalue())

    def _read(self, info: zipfile.ZipInfo) -> bytes:
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
            raise Unpatchable(f"a zip member that cannot be read: {exc}") from exc


# --- styles ----------------------------------------------------------------------------------


MINIMAL_STYLES = (
    f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf '
    'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
).encode()
_FILL_TAGS = {"fill", "patternFill", "gradientFill", "fgColor", "bgColor", "stop", "color"}
_FILL_ATTRS = {"patternType", "rgb", "indexed", "theme", "tint", "auto", "type", "degree",
               "left", "right", "top", "bottom", "position"}  # fmt: skip


class Styles:
    """The styles part: cell formats read, and new fonts, fills, borders and formats added."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        found = [r for r in pkg.rels("xl/workbook.xml") if r.type == REL_STYLES]
        if found and pkg.has(found[0].target):
            self.part = found[0].target
            self.root = pkg.xml(self.part)
        else:
            for dangling in found:  # a relationship to a styles part that is not there
                pkg.remove_rel("xl/workbook.xml", dangling.id)
            taken = pkg.has("xl/styles.xml")
            self.part = pkg.free_name("xl/styles{}.xml") if taken else "xl/styles.xml"
            self.root = parse_xml(MINIMAL_STYLES)
            pkg.touch(self.part, self.root)
            pkg.add_rel("xl/workbook.xml", REL_STYLES, self.part)
            pkg.set_content_type(self.part, CT_STYLES)
        if etree.QName(self.root).namespace != MAIN_NS:
            raise Unpatchable("styles in another namespace")
        self.ns = MAIN_NS
        self.changed = False
        self._known: dict[str, dict[tuple, int]] = {}
        self._lists: dict[str, etree._Element] = {}

    def _list(self, name: str) -> etree._Element:
        if name not in self._lists:
            node = _ensure_child(self.root, name, STYLES_ORDER)
            self._lists[name] = node
            if name == "fills" and len(node) == 0:
                for pattern in ("none", "gray125"):
                    fill = etree.SubElement(node, f"{{{MAIN_NS}}}fill")
                    etree.SubElement(fill, f"{{{MAIN_NS}}}patternFill", patternType=pattern)
            if name == "cellStyleXfs" and len(node) == 0:
                etree.SubElement(node, f"{{{MAIN_NS}}}xf", numFmtId="0", fontId="0", fillId="0",
                                 borderId="0")  # fmt: skip
            if name in ("fonts", "borders") and len(node) == 0:
                self._append(name, _DEFAULTS[name]())
            if name == "cellXfs" and len(node) == 0:
                etree.SubElement(node, f"{{{MAIN_NS}}}xf", numFmtId="0", fontId="0", fillId="0",
                                 borderId="0", xfId="0")  # fmt: skip
        return self._lists[name]

    def _items(self, name: str) -> list[etree._Element]:
        return [n for n in self._list(name) if isinstance(n.tag, str)]

    def _append(self, name: str, item: etree._Element) -> int:
        """The index of `item` in the list `name`, added unless an equal one is there (so a
        feedback workbook made again from a returned one does not grow its styles)."""
        node = self._list(name)
        if name not in self._known:
            self._known[name] = {}
            for i, existing in enumerate(self._items(name)):
                self._known[name].setdefault(_key(existing), i)
        known = self._known[name]
        key = _key(item)
        if key in known:
            return known[key]
        index = len(self._items(name))
        node.append(item)
        node.set("count", str(index + 1))
        known[key] = index
        self.changed = True
        return index

    def xf(self, index: int) -> etree._Element:
        items = self._items("cellXfs")
        return items[index] if 0 <= index < len(items) else items[0]

    def fill_of(self, xf_index: int) -> etree._Element | None:
        fills = self._items("fills")
        fill_id = int(self.xf(xf_index).get("fillId") or 0)
        return fills[fill_id] if 0 <= fill_id < len(fills) else None

    def fill_xml(self, xf_index: int) -> str:
        """The cell format's fill as plain XML without namespaces (how marks remember it)."""
        fill = self.fill_of(xf_index)
        if fill is None:
            return "<fill><patternFill/></fill>"
        return etree.tostring(_plain(fill), encoding="unicode")

    def with_fill(self, xf_index: int, fill: etree._Element) -> int:
        """A cell format like `xf_index` but with `fill`."""
        fill_id = self._append("fills", fill)
        xf = etree.fromstring(etree.tostring(self.xf(xf_index)))
        xf.set("fillId", str(fill_id))
        xf.set("applyFill", "1")
        return self._append("cellXfs", xf)

    def add_font(self, font: etree._Element) -> int:
        return self._append("fonts", font)

    def add_fill(self, fill: etree._Element) -> int:
        return self._append("fills", fill)

    def add_border(self, border: etree._Element) -> int:
        return self._append("borders", border)

    def add_xf(self, font: int, fill: int, border: int,
               alignment: dict[str, str] | None = None) -> int:  # fmt: skip
        xf = etree.Element(f"{{{MAIN_NS}}}xf", numFmtId="0", fontId=str(font), fillId=str(fill),
                           borderId=str(border), xfId="0", applyFont="1", applyFill="1",
                           applyBorder="1")  # fmt: skip
        if alignment:
            xf.set("applyAlignment", "1")
            etree.SubElement(xf, f"{{{MAIN_NS}}}alignment", alignment)
        return self._append("cellXfs", xf)

    def save(self) -> None:
        if self.changed:
            self.pkg.touch(self.part)


def _key(node: etree._Element) -> tuple:
    """What an element is, whatever prefixes name its namespace."""
    children = tuple(_key(c) for c in node if isinstance(c.tag, str))
    return (node.tag, tuple(sorted(node.attrib.items())), (node.text or "").strip(), children)


def _plain(node: etree._Element) -> etree._Element:
    copy = etree.Element(local(node.tag), dict(node.attrib))
    for child in node:
        if isinstance(child.tag, str):
            copy.append(_plain(child))
    return copy


def _namespaced(node: etree._Element) -> etree._Element:
    copy = etree.Element(f"{{{MAIN_NS}}}{local(node.tag)}",
                         {k: v for k, v in node.attrib.items() if k in _FILL_ATTRS})  # fmt: skip
    for child in node:
        if isinstance(child.tag, str):
            copy.append(_namespaced(child))
    return copy


def fill_from_xml(text: str) -> etree._Element:
    """A fill remembered by `Styles.fill_xml` (or by openpyxl), checked, with the namespace;
    anything unexpected gives no fill."""
    try:
        node = parse_xml(text.encode("utf-8"))
    except (Unpatchable, ValueError):
        node = None
    ok = (
        node is not None
        and local(node.tag) == "fill"
        and all(isinstance(n.tag, str) and local(n.tag) in _FILL_TAGS for n in node.iter())
    )
    if not ok:
        node = etree.fromstring('<fill><patternFill patternType="none"/></fill>')
    return _namespaced(node)


def solid_fill(rgb: str) -> etree._Element:
    fill = etree.Element(f"{{{MAIN_NS}}}fill")
    pattern = etree.SubElement(fill, f"{{{MAIN_NS}}}patternFill", patternType="solid")
    etree.SubElement(pattern, f"{{{MAIN_NS}}}fgColor", rgb=f"FF{rgb.upper()}")
    etree.SubElement(pattern, f"{{{MAIN_NS}}}bgColor", indexed="64")
    return fill


def font(size: float = 11, bold: bool = False, italic: bool = False, color: str | None = None,
         underline: bool = False) -> etree._Element:  # fmt: skip
    node = etree.Element(f"{{{MAIN_NS}}}font")
    if bold:
        etree.SubElement(node, f"{{{MAIN_NS}}}b")
    if italic:
        etree.SubElement(node, f"{{{MAIN_NS}}}i")
    if underline:
        etree.SubElement(node, f"{{{MAIN_NS}}}u")
    etree.SubElement(node, f"{{{MAIN_NS}}}sz", val=f"{size:g}")
    if color:
        etree.SubElement(node, f"{{{MAIN_NS}}}color", rgb=f"FF{color.upper()}")
    etree.SubElement(node, f"{{{MAIN_NS}}}name", val="Calibri")
    etree.SubElement(node, f"{{{MAIN_NS}}}family", val="2")
    return node


def border(style: str | None = None, color: str | None = None) -> etree._Element:
    node = etree.Element(f"{{{MAIN_NS}}}border")
    for side in ("left", "right", "top", "bottom", "diagonal"):
        edge = etree.SubElement(node, f"{{{MAIN_NS}}}{side}")
        if style and side != "diagonal":
            edge.set("style", style)
            if color:
                etree.SubElement(edge, f"{{{MAIN_NS}}}color", rgb=f"FF{color.upper()}")
    return node


_DEFAULTS = {"fonts": font, "borders": border}


# --- worksheets ------------------------------------------------------------------------------


@dataclass
class Comment:
    text: str
    author: str
    width: int = 144  # px, as openpyxl's default
    height: int = 79


_SHEET_DATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_ROW_START = re.compile(rb"<(?:[\w.-]+:)?row\b")
_ROW_NUMBER = re.compile(rb"<[^>]*?\sr\s*=\s*[\"'](\d+)[\"']")
_EMPTY_SHEET_DATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\s*/>")
_WRAPPER = re.compile(rb"^<_w\b[^>]*>|</_w>$")


@dataclass
class Sheet:
    """One worksheet of the package with pending changes.

    A sheet can be large (a table of 300 rows), so it is never parsed whole: the XML around
    <sheetData> is parsed as a small skeleton, and only the rows that are read or changed are
    parsed, each on its own; the other rows are copied as bytes."""

    pkg: Package
    name: str
    rid: str
    part: str
    state: str = "visible"
    worksheet: bool = True
    styles: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, col) -> xf
    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    comments_set: dict[tuple[int, int], Comment | None] = field(default_factory=dict)
    _root: etree._Element | None = None
    _data: bytes = b""
    _rows_at: tuple[int, int] = (0, 0)  # where the rows are in _data
    _spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # row -> (start, end)
    _parsed: dict[int, etree._Element] = field(default_factory=dict)  # row -> <row>
    _new_rows: set[int] = field(default_factory=set)
    _touched: set[int] = field(default_factory=set)
    _skeleton_changed: bool = False
    _comments: dict[tuple[int, int], Comment] | None = None
    _merges: list[tuple[int, int, int, int]] | None = None

    @property
    def root(self) -> etree._Element:
        """The worksheet without its rows (the skeleton)."""
        if self._root is None:
            self._load()
        assert self._root is not None
        return self._root

    def _load(self) -> None:
        data = self.pkg.read(self.part)
        start = _SHEET_DATA.search(data)
        if start is None:
            raise Unpatchable(f"sheet {self.name} has no sheetData")
        prefix = start.group(1)
        if start.group(2):  # <sheetData/>: no rows
            rows_at, end = (start.end(), start.end()), start.end()
        else:  # the last </sheetData>, found from the end (a search from the start is slow)
            name = data.rfind(b"sheetData")
            close = data.rfind(b"</", 0, name)
            tail = data[name + 9 : name + 40].lstrip()
            if close < start.end() or data[close + 2 : name] != prefix or tail[:1] != b">":
                raise Unpatchable(f"sheet {self.name} has no </sheetData>")
            rows_at, end = (start.end(), close), data.index(b">", name) + 1
        skeleton = data[: start.start()] + b"<" + prefix + b"sheetData/>" + data[end:]
        root = parse_xml(skeleton)
        if root.tag != f"{{{MAIN_NS}}}worksheet":
            raise Unpatchable(f"sheet {self.name} is not a transitional worksheet")
        # Each row runs from its start tag to the next row's (or to </sheetData>).
        starts = [m.start() for m in _ROW_START.finditer(data, *rows_at)]
        if data[rows_at[0] : starts[0] if starts else rows_at[1]].strip():
            raise Unpatchable(f"something other than rows in the sheetData of {self.name}")
        spans: dict[int, tuple[int, int]] = {}
        for start_at, end_at in zip(starts, [*starts[1:], rows_at[1]], strict=True):
            number = _ROW_NUMBER.match(data, start_at, min(end_at, start_at + 400))
            if number is None or int(number.group(1)) in spans:
                raise Unpatchable(f"a row without a number of its own in {self.name}")
            spans[int(number.group(1))] = (start_at, end_at)
        self._root, self._data, self._rows_at, self._spans = root, data, rows_at, spans

    def _wrap(self, fragment: bytes) -> etree._Element:
        """A row's XML parsed inside an element that declares the sheet's namespaces."""
        decls = "".join(
            f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
            for prefix, uri in self.root.nsmap.items()
        )
        return parse_xml(b"<_w" + decls.encode("utf-8") + b">" + fragment + b"</_w>")

    @property
    def changed(self) -> bool:
        return bool(self.styles or self.texts or self.comments_set)

    def q(self, name: str) -> str:
        return f"{{{MAIN_NS}}}{name}"

    def row_numbers(self) -> list[int]:
        if self._root is None:
            self._load()
        return sorted(set(self._spans) | self._new_rows)

    def row(self, number: int, create: bool = False) -> etree._Element | None:
        """The <row> element of a row, parsed on first use (made if `create`)."""
        if self._root is None:
            self._load()
        if number in self._parsed:
            return self._parsed[number]
        span = self._spans.get(number)
        if span is None:
            if not create:
                return None
            wrapper = self._wrap(b"")
            node = etree.SubElement(wrapper, self.q("row"), r=str(number))
            self._new_rows.add(number)
        else:
            wrapper = self._wrap(self._data[span[0] : span[1]])
            if len(wrapper) != 1 or wrapper[0].tag != self.q("row"):
                raise Unpatchable(f"an unexpected row element in {self.name}")
            node = wrapper[0]
        self._parsed[number] = node
        return node

    def _cells(self, row_number: int, row: etree._Element) -> list[tuple[int, etree._Element]]:
        """The cells of a row by column; a cell without an r attribute gets its implied one."""
        found = []
        col = 0
        for c in row:
            if c.tag != self.q("c"):
                continue
            r = c.get("r")
            m = _REF.match(r) if r else None
            col = column_index(m.group(1)) if m else col + 1
            if not m or int(m.group(2)) != row_number:
                c.set("r", f"{column_letters(col)}{row_number}")
                self._touched.add(row_number)
            found.append((col, c))
        return found

    def cell(self, row: int, col: int) -> etree._Element | None:
        node = self.row(row)
        if node is None:
            return None
        for c_col, c in self._cells(row, node):
            if c_col == col:
                return c
        return None

    def hidden_by_merge(self, row: int, col: int) -> bool:
        """Whether a merge hides the cell (it is in a merged range but not its first cell)."""
        if self._merges is None:
            self._merges = []
            merges = _child(self.root, "mergeCells")
            for m in merges if merges is not None else []:
                try:
                    self._merges.append(parse_range(m.get("ref", "")))
                except ValueError:
                    continue
        return any(
            r0 <= row <= r1 and c0 <= col <= c1 and (row, col) != (r0, c0)
            for r0, c0, r1, c1 in self._merges
        )

    def style(self, row: int, col: int) -> int:
        """The cell format a cell shows: its own, else its row's, else its column's."""
        if (row, col) in self.styles:
            return self.styles[(row, col)]
        c = self.cell(row, col)
        if c is not None:
            return _int(c.get("s"))
        node = self.row(row)
        if node is not None and _truthy(node.get("customFormat")):
            return _int(node.get("s"))
        cols = _child(self.root, "cols")
        for spec in cols if cols is not None else []:
            if _int(spec.get("min")) <= col <= _int(spec.get("max")):
                return _int(spec.get("style"))
        return 0

    def text(self, row: int, col: int, shared: SharedStrings) -> str | None:
        """A cell's value as text (None if empty)."""
        c = self.cell(row, col)
        if c is None:
            return None
        kind = c.get("t", "n")
        if kind == "inlineStr":
            node = c.find(self.q("is"))
            return _rich_text(node) if node is not None else None
        v = c.find(self.q("v"))
        if v is None or v.text is None:
            return None
        if kind == "s":
            return shared.get(_int(v.text))
        return v.text

    def unselect(self) -> None:
        """Not a selected tab: two selected tabs open as a group in Excel, and typing would go
        into both sheets."""
        if self._root is None:  # not loaded: edit the bytes before <sheetData>
            data = self.pkg.read(self.part)
            m = _SHEET_DATA.search(data)
            head = data[: m.start()] if m else data
            if b"tabSelected" in head:
                self.pkg.write(self.part, _TAB_SELECTED.sub(b"", head) + data[len(head) :])
            return
        views = _child(self.root, "sheetViews")
        for view in views if views is not None else []:
            if "tabSelected" in view.attrib:
                del view.attrib["tabSelected"]
                self._skeleton_changed = True

    # comments

    def comment_rels(self) -> tuple[Rel | None, Rel | None, Rel | None]:
        """(comments, VML drawing, threaded comments) relationships of the sheet."""
        rels = self.pkg.rels(self.part)
        comments = next((r for r in rels if r.type == REL_COMMENTS and not r.external), None)
        threaded = next((r for r in rels if r.type == REL_THREADED and not r.external), None)
        legacy = _child(self.root, "legacyDrawing")
        vml = None
        if legacy is not None:
            rid = legacy.get(f"{{{R_NS}}}id")
            vml = next((r for r in rels if r.id == rid and not r.external), None)
            if vml is None or not self.pkg.has(vml.target):
                raise Unpatchable(f"sheet {self.name} has a legacy drawing that is missing")
        return comments, vml, threaded

    def comments(self) -> dict[tuple[int, int], Comment]:
        """The sheet's comments as they are in the file."""
        if self._comments is None:
            found: dict[tuple[int, int], Comment] = {}
            part, _, _ = self.comment_rels()
            if part is not None and self.pkg.has(part.target):
                root = self.pkg.xml(part.target)
                authors = [_rich_text(a) or "" for a in root.iter(f"{{{MAIN_NS}}}author")]
                for node in root.iter(f"{{{MAIN_NS}}}comment"):
                    try:
                        where = parse_ref(node.get("ref", ""))
                    except ValueError:
                        continue
                    text = node.find(f"{{{MAIN_NS}}}text")
                    a = _int(node.get("authorId"))
                    author = authors[a] if 0 <= a < len(authors) else ""
                    found[where] = Comment(_rich_text(text) if text is not None else "", author)
            self._comments = found
        return self._comments

    def comment(self, row: int, col: int) -> Comment | None:
        if (row, col) in self.comments_set:
            return self.comments_set[(row, col)]
        return self.comments().get((row, col))

    # writing

    def apply(self) -> None:
        """Put the pending cell formats, texts and comments into the sheet's parts."""
        if self._root is None and not self.changed:
            return
        targets = sorted(set(self.styles) | set(self.texts))
        if len(targets) > MAX_CELLS:
            raise Unpatchable("too many cells to mark")
        for row, col in targets:
            xf = self.styles.get((row, col))
            c = self._make_cell(row, col, xf if xf is not None else self.style(row, col))
            if xf is not None:
                if xf:
                    c.set("s", str(xf))
                elif "s" in c.attrib:
                    del c.attrib["s"]
            if (row, col) in self.texts:
                _set_inline(c, self.texts[(row, col)])
            self._touched.add(row)
        if targets:
            self._grow_dimension(targets)
        if self.comments_set:
            self._apply_comments()
        if self._touched or self._new_rows or self._skeleton_changed:
            self.pkg.write(self.part, self._assemble())

    def _make_cell(self, row: int, col: int, xf: int) -> etree._Element:
        found = self.cell(row, col)
        if found is not None:
            return found
        node = self.row(row, create=True)
        assert node is not None
        cell = etree.Element(self.q("c"), r=f"{column_letters(col)}{row}")
        if xf:
            cell.set("s", str(xf))
        later = [c for c_col, c in self._cells(row, node) if c_col > col]
        if later:
            later[0].addprevious(cell)
        else:
            ext = node.find(self.q("extLst"))
            if ext is not None:
                ext.addprevious(cell)
            else:
                node.append(cell)
        return cell

    def _row_xml(self, number: int) -> bytes:
        wrapper = self._parsed[number].getparent()
        return _WRAPPER.sub(b"", etree.tostring(wrapper, encoding="UTF-8", xml_declaration=False))

    def _assemble(self) -> bytes:
        """The sheet's XML: the skeleton with the rows put back, changed rows written anew."""
        data, (start, end) = self._data, self._rows_at
        new = sorted(self._new_rows)
        pieces = []
        pos = start
        for number, (s, e) in sorted(self._spans.items(), key=lambda item: item[1][0]):
            pieces.append(data[pos:s])
            while new and new[0] < number:
                pieces.append(self._row_xml(new.pop(0)))
            pieces.append(self._row_xml(number) if number in self._touched else data[s:e])
            pos = e
        pieces.append(data[pos:end])
        pieces.extend(self._row_xml(n) for n in new)
        rows = b"".join(pieces)
        skeleton = to_xml(self.root)
        m = _EMPTY_SHEET_DATA.search(skeleton)
        if m is None:
            raise Unpatchable("the sheet's skeleton lost its sheetData")
        if not rows.strip():
            return skeleton
        prefix = m.group(1)
        filled = b"<" + prefix + b"sheetData>" + rows + b"</" + prefix + b"sheetData>"
        return skeleton[: m.start()] + filled + skeleton[m.end() :]

    def _grow_dimension(self, cells: Iterable[tuple[int, int]]) -> None:
        dim = _child(self.root, "dimension")
        if dim is None:
            return
        try:
            r0, c0, r1, c1 = parse_range(dim.get("ref", ""))
        except ValueError:
            return
        for r, c in cells:
            r0, c0, r1, c1 = min(r0, r), min(c0, c), max(r1, r), max(c1, c)
        first, last = f"{column_letters(c0)}{r0}", f"{column_letters(c1)}{r1}"
        ref = first if first == last else f"{first}:{last}"
        if ref != dim.get("ref"):
            dim.set("ref", ref)
            self._skeleton_changed = True

    def _apply_comments(self) -> None:
        pkg = self.pkg
        comments_rel, vml_rel, threaded_rel = self.comment_rels()
        final = {**self.comments(), **self.comments_set}
        final = {k: v for k, v in final.items() if v is not None}
        changed = set(self.comments_set)

        # the comments part
        if comments_rel is not None and pkg.has(comments_rel.target):
            root = pkg.xml(comments_rel.target)
            if root.tag != f"{{{MAIN_NS}}}comments":
                raise Unpatchable("comments in another namespace")
            comments_part = comments_rel.target
        else:
            root = etree.Element(f"{{{MAIN_NS}}}comments", nsmap={None: MAIN_NS})
            comments_part = None
        if final:
            _write_comments(root, {k: v for k, v in self.comments_set.items()}, changed)
            if comments_part is None:
                comments_part = pkg.free_name("xl/comments{}.xml")
                pkg.touch(comments_part, root)
                pkg.set_content_type(comments_part, CT_COMMENTS)
                if comments_rel is not None:  # a relationship to a missing part
                    pkg.remove_rel(self.part, comments_rel.id)
                pkg.add_rel(self.part, REL_COMMENTS, comments_part)
            else:
                pkg.touch(comments_part)
        elif comments_part is not None:
            pkg.delete(comments_part)
            pkg.remove_rel(self.part, comments_rel.id)

        # the threaded comments on cells whose comment changes go: they would contradict it
        if threaded_rel is not None and pkg.has(threaded_rel.target):
            troot = pkg.xml(threaded_rel.target)
            for node in list(troot):
                try:
                    where = parse_ref(node.get("ref", ""))
                except ValueError:
                    continue
                if where in changed:
                    troot.remove(node)
            pkg.touch(threaded_rel.target)

        # the VML drawing that shows them
        if vml_rel is not None:
            data = pkg.read(vml_rel.target)
            new = _splice_vml(data, changed, final)
            if new is None and final:  # comments whose shapes were missing: draw them all
                new = _new_vml(final, _free_vml_block(pkg))
            if new is None:  # no shapes left at all: drop the drawing
                pkg.delete(vml_rel.target)
                pkg.remove_rel(self.part, vml_rel.id)
                legacy = _child(self.root, "legacyDrawing")
                self.root.remove(legacy)
                self._skeleton_changed = True
            else:
                pkg.write(vml_rel.target, new)
        elif final:
            part = pkg.free_name("xl/drawings/vmlDrawing{}.vml")
            block = _free_vml_block(pkg)
            pkg.write(part, _new_vml(final, block))
            pkg.set_content_type(part, CT_VML)
            rid = pkg.add_rel(self.part, REL_VML, part)
            legacy = etree.Element(self.q("legacyDrawing"), nsmap={"r": R_NS})
            legacy.set(f"{{{R_NS}}}id", rid)
            _insert_in_order(self.root, legacy, SHEET_ORDER)
            self._skeleton_changed = True


def _int(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _rich_text(node: etree._Element) -> str:
    """The text of a string item: its <t>, or the <t> of its runs (phonetic runs left out)."""
    parts = []
    for child in node:
        name = local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            t = child.find(f"{{{etree.QName(child).namespace}}}t")
            if t is not None:
                parts.append(t.text or "")
    if not parts and local(node.tag) in ("author",):
        return node.text or ""
    return "".join(parts)


def _t(parent: etree._Element, text: str) -> etree._Element:
    ns = etree.QName(parent).namespace
    t = etree.SubElement(parent, f"{{{ns}}}t")
    t.text = clean_text(text)
    t.set(f"{{{XML_NS}}}space", "preserve")
    return t


def _set_inline(cell: etree._Element, text: str) -> None:
    ns = etree.QName(cell).namespace
    for child in list(cell):
        if local(child.tag) in ("v", "f", "is"):
            cell.remove(child)
    cell.set("t", "inlineStr")
    inline = etree.Element(f"{{{ns}}}is")
    _t(inline, text)
    ext = cell.find(f"{{{ns}}}extLst")
    if ext is not None:
        ext.addprevious(inline)
    else:
        cell.append(inline)


def _write_comments(root: etree._Element, wanted: dict[tuple[int, int], Comment | None],
                    changed: set[tuple[int, int]]) -> None:  # fmt: skip
    """Replace the comments on the `changed` cells by those `wanted` (None: no comment)."""
    ns = MAIN_NS
    authors = _ensure_child(root, "authors", ("authors", "commentList", "extLst"))
    comment_list = _ensure_child(root, "commentList", ("authors", "commentList", "extLst"))
    names = [_rich_text(a) or "" for a in authors.iter(f"{{{ns}}}author")]
    kept: list[tuple[tuple[int, int], etree._Element]] = []
    for node in list(comment_list):
        comment_list.remove(node)
        try:
            where = parse_ref(node.get("ref", ""))
        except ValueError:
            continue
        if where not in changed:
            kept.append((where, node))
    for where, comment in wanted.items():
        if comment is None:
            continue
        if comment.author not in names:
            etree.SubElement(authors, f"{{{ns}}}author").text = clean_text(comment.author)
            names.append(comment.author)
        node = etree.Element(f"{{{ns}}}comment", ref=f"{column_letters(where[1])}{where[0]}",
                             authorId=str(names.index(comment.author)), shapeId="0")  # fmt: skip
        _t(etree.SubElement(node, f"{{{ns}}}text"), comment.text)
        kept.append((where, node))
    for _, node in sorted(kept, key=lambda item: item[0]):
        comment_list.append(node)


# --- VML drawings of comments ----------------------------------------------------------------

VML_NS = "urn:schemas-microsoft-com:vml"
OFFICE_NS = "urn:schemas-microsoft-com:office:office"
EXCEL_NS = "urn:schemas-microsoft-com:office:excel"
_NS_DECL = f'xmlns:v="{VML_NS}" xmlns:o="{OFFICE_NS}" xmlns:x="{EXCEL_NS}"'
_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
_SHAPE = re.compile(rb"<([\w.-]+:)?shape\b(?:[^>]*/>|[^>]*>.*?</\1?shape\s*>)", re.DOTALL)
_NOTE = re.compile(rb"ObjectType\s*=\s*[\"']Note[\"']")
_ROW = re.compile(rb"<(?:[\w.-]+:)?Row\s*>\s*(\d+)\s*</")
_COL = re.compile(rb"<(?:[\w.-]+:)?Column\s*>\s*(\d+)\s*</")
_SHAPE_ID = re.compile(rb"\bid\s*=\s*[\"']_x0000_s(\d+)[\"']")
_IDMAP = re.compile(rb"<(?:[\w.-]+:)?idmap\b[^>]*\bdata\s*=\s*[\"']([\d,\s]*)[\"']")


def _note_shape(where: tuple[int, int], comment: Comment, shape_id: int, declare: bool) -> str:
    row, col = where
    ns = f" {_NS_DECL}" if declare else ""
    return (
        f'<v:shape{ns} id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:59.25pt;margin-top:1.5pt;width:{comment.width}px;height:{comment.height}px;"
        'z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        "<x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>"
    )


def _free_vml_block(pkg: Package) -> int:
    """A shape id block (o:idmap) no other VML drawing of the package uses."""
    used = set()
    for name in pkg._all_names():
        if name.lower().endswith(".vml") and pkg.has(name):
            for m in _IDMAP.finditer(pkg.read(name)):
                used.update(int(x) for x in re.findall(rb"\d+", m.group(1)))
    block = 1
    while block in used:
        block += 1
    return block


def _new_vml(comments: dict[tuple[int, int], Comment], block: int) -> bytes:
    blocks = ",".join(str(block + i) for i in range(len(comments) // 1024 + 1))
    shapes = "".join(
        _note_shape(where, comments[where], block * 1024 + 1 + i, False)
        for i, where in enumerate(sorted(comments))
    )
    return (
        f'<xml {_NS_DECL}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{blocks}"/>'
        f"</o:shapelayout>{_SHAPETYPE}{shapes}</xml>"
    ).encode()


def _splice_vml(data: bytes, changed: set[tuple[int, int]],
                final: dict[tuple[int, int], Comment]) -> bytes | None:  # fmt: skip
    """The drawing with the note shapes of `changed` cells replaced; None if no shape is left.

    The VML is edited as text (Excel's VML is not always well-formed XML), shape by shape."""
    end = data.rfind(b"</xml>")
    if end < 0:
        raise Unpatchable("a VML drawing without </xml>")
    kept_any = False
    out = []
    last = 0
    for m in _SHAPE.finditer(data):
        shape = m.group(0)
        if _NOTE.search(shape):
            row, col = _ROW.search(shape), _COL.search(shape)
            if row is None or col is None:
                raise Unpatchable("a comment shape without its cell")
            if (int(row.group(1)) + 1, int(col.group(1)) + 1) in changed:
                out.append(data[last : m.start()])
                last = m.end()
                continue
        kept_any = True
    out.append(data[last:end])
    ids = [int(x) for x in _SHAPE_ID.findall(data)]
    next_id = max(ids, default=1024) + 1
    added = [w for w in sorted(changed) if w in final]
    if not added and not kept_any:
        return None
    if added and b'"_x0000_t202"' not in data and b"'_x0000_t202'" not in data:
        out.append(_SHAPETYPE.replace("<v:shapetype ", f"<v:shapetype {_NS_DECL} ", 1).encode())
    for i, where in enumerate(added):
        out.append(_note_shape(where, final[where], next_id + i, True).encode("utf-8"))
    out.append(data[end:])
    return b"".join(out)


# --- shared strings --------------------------------------------------------------------------


class SharedStrings:
    """The shared strings, parsed only if a cell asks for one."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._items: list[etree._Element] | None = None

    def get(self, index: int) -> str | None:
        if self._items is None:
            found = [r for r in self.pkg.rels("xl/workbook.xml") if r.type == REL_SHARED_STRINGS]
            if found and self.pkg.has(found[0].target):
                root = self.pkg.xml(found[0].target)
                self._items = [n for n in root if local(n.tag) == "si"]
            else:
                self._items = []
        if 0 <= index < len(self._items):
            return _rich_text(self._items[index])
        return None


# --- the workbook ----------------------------------------------------------------------------


class Workbook:
    """A workbook package opened for patching."""

    def __init__(self, path: Path, template_to_workbook: bool = True, macros: bool = False):
        self.pkg = Package(path)
        pkg = self.pkg
        kind = pkg.content_type("xl/workbook.xml")
        allowed = {CT_SHEET_MAIN, CT_TEMPLATE_MAIN} | ({CT_MACRO_MAIN} if macros else set())
        if kind not in allowed:
            raise Unpatchable(f"workbook content type {kind}")
        if kind == CT_TEMPLATE_MAIN and template_to_workbook:
            pkg.set_content_type("xl/workbook.xml", CT_SHEET_MAIN)
        self.root = pkg.xml("xl/workbook.xml")
        if self.root.tag != f"{{{MAIN_NS}}}workbook":
            raise Unpatchable("the workbook is not transitional SpreadsheetML")
        self.sheets_node = _child(self.root, "sheets")
        if self.sheets_node is None:
            raise Unpatchable("no sheets")
        rels = {r.id: r for r in pkg.rels("xl/workbook.xml")}
        self.sheets: list[Sheet] = []
        for node in self.sheets_node:
            if node.tag != f"{{{MAIN_NS}}}sheet":
                continue
            rid = node.get(f"{{{R_NS}}}id", "")
            rel = rels.get(rid)
            if rel is None or rel.external or not pkg.has(rel.target):
                raise Unpatchable(f"sheet {node.get('name')} has no part")
            # a chart sheet or a dialog sheet is kept as it is, never edited
            state, is_worksheet = node.get("state", "visible"), rel.type == REL_WORKSHEET
            self.sheets.append(
                Sheet(pkg, node.get("name", ""), rid, rel.target, state, is_worksheet)
            )
        self.styles = Styles(pkg)
        self.shared = SharedStrings(pkg)
        self._new: list[tuple[str, bytes]] = []

    @property
    def sheetnames(self) -> list[str]:
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                if not s.worksheet:
                    raise Unpatchable(f"{name} is not a worksheet")
                return s
        raise KeyError(name)

    def free_title(self, title: str) -> str:
        taken = {n.lower() for n in self.sheetnames}
        n, candidate = 2, title
        while candidate.lower() in taken:
            candidate, n = f"{title} {n}", n + 1
        return candidate

    def remove_sheet(self, name: str) -> None:
        """Drop a sheet with its part and what only it used; names local to it go too."""
        index = self.sheetnames.index(name)
        sheet = self.sheets.pop(index)
        pkg = self.pkg
        for node in self.sheets_node:
            if node.get(f"{{{R_NS}}}id") == sheet.rid and node.get("name") == name:
                self.sheets_node.remove(node)
                break
        self._shift_local_names(index, None)
        pkg.remove_rel("xl/workbook.xml", sheet.rid)
        if sheet.part:
            targets = [r.target for r in pkg.rels(sheet.part) if not r.external]
            pkg.delete(rels_part(sheet.part))
            pkg.delete(sheet.part)
            still = pkg.referenced()
            for target in targets:
                if target.lower() not in still:
                    pkg.delete(target)
                    pkg.delete(rels_part(target))
        pkg.touch("xl/workbook.xml")

    def _shift_local_names(self, index: int, inserted: bool | None) -> None:
        """Keep localSheetId pointing at the same sheet after a sheet is inserted at `index`
        (inserted=True) or removed from it (None): a removed sheet's own names go."""
        names = _child(self.root, "definedNames")
        for node in list(names) if names is not None else []:
            value = node.get("localSheetId")
            if value is None or not value.isdigit():
                continue
            local_id = int(value)
            if inserted:
                if local_id >= index:
                    node.set("localSheetId", str(local_id + 1))
            elif local_id == index:
                names.remove(node)
            elif local_id > index:
                node.set("localSheetId", str(local_id - 1))

    def insert_first(self, title: str, xml: bytes, print_titles: str | None = None) -> None:
        """A new worksheet in front of the others, shown and selected when the file opens."""
        pkg = self.pkg
        part = pkg.free_name("xl/worksheets/sheet{}.xml")
        pkg.write(part, xml)
        pkg.set_content_type(part, CT_WORKSHEET)
        rid = pkg.add_rel("xl/workbook.xml", REL_WORKSHEET, part)
        ids = [_int(n.get("sheetId")) for n in self.sheets_node]
        node = etree.Element(f"{{{MAIN_NS}}}sheet", nsmap={"r": R_NS},
                             name=title, sheetId=str(max(ids, default=0) + 1))  # fmt: skip
        node.set(f"{{{R_NS}}}id", rid)
        self.sheets_node.insert(0, node)
        self._shift_local_names(0, True)
        if print_titles:
            names = _ensure_child(self.root, "definedNames", WORKBOOK_ORDER)
            quoted = title.replace("'", "''")
            defined = etree.Element(f"{{{MAIN_NS}}}definedName", name="_xlnm.Print_Titles",
                                    localSheetId="0")  # fmt: skip
            defined.text = f"'{quoted}'!{print_titles}"
            names.insert(0, defined)
        views = _child(self.root, "bookViews")
        for view in views if views is not None else []:
            for attr in ("activeTab", "firstSheet"):
                if attr in view.attrib:
                    del view.attrib[attr]
        self.sheets.insert(0, Sheet(pkg, title, rid, part))
        self._new.append((part, xml))
        pkg.touch("xl/workbook.xml")

    def save(self, target: Path, selected: str | None = None) -> None:
        """Write the patched package; only `selected` (if given) stays a selected tab."""
        pkg = self.pkg
        new_parts = {part for part, _ in self._new}
        for sheet in self.sheets:
            if sheet.part in new_parts:
                continue
            if selected is not None and sheet.name != selected:
                sheet.unselect()
            sheet.apply()
        self.styles.save()
        for calc in [r for r in pkg.rels("xl/workbook.xml") if r.type == REL_CALC_CHAIN]:
            pkg.delete(calc.target)  # cell positions may have moved; Excel makes it again
            pkg.remove_rel("xl/workbook.xml", calc.id)
        pkg.save(target)


_TAB_SELECTED = re.compile(rb"\s+tabSelected\s*=\s*(?:\"(?:1|true)\"|'(?:1|true)')")


# --- a new worksheet -------------------------------------------------------------------------


@dataclass
class NewSheet:
    """A simple worksheet written from scratch: inline strings, formats, merges, internal
    links, column widths, row heights and print setup."""

    cells: dict[tuple[int, int], tuple[str | None, int]] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    widths: list[float] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    links: list[tuple[str, str, str | None]] = field(default_factory=list)  # cell, place, tip
    footer: str = ""
    landscape: bool = False
    fit_width: bool = False
    grid_lines: bool = True
    protect: bool = False

    def set(self, row: int, col: int, value: str | None, xf: int = 0) -> None:
        self.cells[(row, col)] = (value, xf)

    def to_xml(self) -> bytes:
        e = _escape
        out = [f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{R_NS}">']
        if self.fit_width:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        if self.cells:
            last_row = max(r for r, _ in self.cells)
            last_col = max(c for _, c in self.cells)
            out.append(f'<dimension ref="A1:{column_letters(last_col)}{last_row}"/>')
        grid = "" if self.grid_lines else ' showGridLines="0"'
        out.append(f'<sheetViews><sheetView{grid} tabSelected="1" workbookViewId="0">'
                   '<selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>')  # fmt: skip
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>")
            for i, width in enumerate(self.widths, start=1):
                out.append(f'<col min="{i}" max="{i}" width="{width:g}" customWidth="1"/>')
            out.append("</cols>")
        out.append("<sheetData>")
        rows = sorted({r for r, _ in self.cells} | set(self.heights))
        for r in rows:
            height = self.heights.get(r)
            attrs = f' ht="{height:g}" customHeight="1"' if height is not None else ""
            out.append(f'<row r="{r}"{attrs}>')
            for (_, c), (value, xf) in sorted((k, v) for k, v in self.cells.items() if k[0] == r):
                style = f' s="{xf}"' if xf else ""
                ref = f"{column_letters(c)}{r}"
                if value is None or value == "":
                    out.append(f'<c r="{ref}"{style}/>')
                else:
                    out.append(f'<c r="{ref}"{style} t="inlineStr"><is>'
                               f'<t xml:space="preserve">{e(value)}</t></is></c>')  # fmt: skip
            out.append("</row>")
        out.append("</sheetData>")
        if self.protect:
            out.append('<sheetProtection sheet="1" objects="1" scenarios="1"/>')
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            out.extend(f'<mergeCell ref="{m}"/>' for m in self.merges)
            out.append("</mergeCells>")
        if self.links:
            out.append("<hyperlinks>")
            for ref, location, tip in self.links:
                tooltip = f' tooltip="{e(tip)}"' if tip else ""
                out.append(f'<hyperlink ref="{ref}" location="{e(location)}"{tooltip}/>')
            out.append("</hyperlinks>")
        out.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
                   'footer="0.5"/>')  # fmt: skip
        orientation = "landscape" if self.landscape else "portrait"
        fit = ' fitToWidth="1" fitToHeight="0"' if self.fit_width else ""
        out.append(f'<pageSetup paperSize="9" orientation="{orientation}"{fit}/>')
        if self.footer:
            out.append(f"<headerFooter><oddFooter>{e(self.footer)}</oddFooter></headerFooter>")
        out.append("</worksheet>")
        return "".join(out).encode("utf-8")


def _escape(text: str) -> str:
    text = clean_text(text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
    )  # fmt: skip


def header_footer_text(text: str) -> str:
    """Text shown as is in a header or footer, where '&' starts a code."""
    return text.replace("&", "&&")
