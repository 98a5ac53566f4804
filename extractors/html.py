"""Web pages: find the report body, keep paragraphs in order, turn data tables into grids.

We decode the bytes ourselves (extractors.encoding) and hand lexbor a str, because lexbor obeys
a wrong meta charset. The parsed DOM is copied once into a light tree of Python objects; every
later step (measuring, choosing the body, walking) runs on that tree without recursion, so
deeply nested or huge single-line pages cannot exhaust the stack.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from extractors.base import Block, RawDocument, Table
from extractors.encoding import decode
from extractors.limits import MAX_TABLE_CELLS, Deadline
from extractors.textutil import (clean_inline, count_cjk, count_cjk_each, normalize_grid,
                                 smart_join, strip_controls)

# never content: dropped while copying the DOM
_SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "frame", "object", "embed", "svg",
    "math", "canvas", "select", "option", "button", "input", "textarea", "head", "map",
    "area", "audio", "video", "link", "meta", "img", "picture", "source", "title",
})
# page furniture: dropped unless it holds much of the page's text (then it is not furniture)
_NOISE_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
_CONTAINER_TAGS = frozenset({"article", "main"})  # a report container whatever its class
_NOISE_TOKENS = frozenset({
    "nav", "navbar", "navigation", "menu", "menubar", "submenu", "footer", "foot", "header",
    "breadcrumb", "breadcrumbs", "crumb", "crumbs", "sidebar", "copyright", "share",
    "sharebar", "toolbar", "topbar", "dqwz", "location", "position", "links", "friendlink",
    "bdshare", "print", "close", "related", "xgwz", "xgxx",
})
_CONTENT_TOKENS = frozenset({
    "zoom", "content", "contents", "article", "articlecontent", "article-content",
    "article_content", "art_content", "main-content", "maincontent", "main_content", "zw",
    "zwnr", "zw_content", "nr", "detail", "details", "news_content", "newscontent",
    "pages_content", "trs_editor", "ucap-content", "maintext", "view", "xxgk_content",
    "bodylabel", "fontzoom", "info_content", "article_con", "show_content", "wzy_nr", "cont",
    "con", "text", "txt", "conttext", "artibody", "context",
})
_BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "table", "tr", "td", "th",
    "caption", "address", "figure", "figcaption", "hr", "form", "fieldset", "tbody", "thead",
    "tfoot", "body", "html", "header", "footer", "nav", "aside", "legend", "details",
    "summary", "w:p", "text:p", "text:h",
})
_HEADINGS = frozenset({"h1", "h2", "h3"})
# elements that start a new line inside a table cell
_CELL_BREAKS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5",
                          "h6", "table"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_TAG = re.compile(r"<[^>]{0,2000}>")
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_DATE_LABELS = [
    re.compile(r"(?:发布日期|发布时间|发文日期|成文日期|公开日期|发布于)\s*[:：]?\s*" + _DATE),
    re.compile(r"(?:日期|时间|发布)\s*[:：]\s*" + _DATE),
]
# what a labelled date leaves in the markup: a label's end, then blanks, tags or &nbsp;, then
# the colon or the year's first digit (发布于 is the one label not ending in 日期, 时间 or 发布)
_LABEL_IN_MARKUP = re.compile(r"(?:日期|时间|发布于?)"
                              r"(?:\s|<[^>]{0,2000}>|&nbsp;)*[:：\d]")
_DATE_META = re.compile(r"pub.*date|publish|firstpublishedtime|published_time|^date$", re.I)
# what later steps read (hidden and style only decide, while copying, whether to copy at all)
_KEEP_ATTRS = frozenset({"class", "id", "rowspan", "colspan"})
_SPAN_NUMBER = re.compile(r"\s*(\d+)")
MAX_DEPTH = 3000
_OPEN_CLOSE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)(?:\s[^<>]*?)?(/?)>")
_NO_NEST = frozenset({
    "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
    "track", "wbr", "param", "p", "li", "td", "th", "tr", "dt", "dd", "option", "tbody",
    "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "optgroup",
})


_NO_ATTRS: dict[str, str] = {}  # shared by elements without kept attributes; never modified


class _N:
    """A light DOM element; its text nodes are plain str items of `children`.

    `cjk`/`link_cjk`: ideographs outside/inside links in the subtree; `chars`: its
    non-whitespace characters. `content`: looks like a report container (article, main or a
    content class or id).
    """

    __slots__ = ("tag", "attrs", "children", "parent", "cjk", "link_cjk", "chars",
                 "has_table", "detached", "in_link", "content")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None,
                 parent: _N | None = None, in_link: bool = False) -> None:
        self.tag = tag
        self.attrs = _NO_ATTRS if attrs is None else attrs
        self.children: list[_N | str] = []
        self.parent = parent
        self.cjk = 0
        self.link_cjk = 0
        self.chars = 0
        self.has_table = False
        self.detached = False
        self.in_link = in_link
        self.content = False


def read_html(data: bytes, declared_charset: str | None = None,
              deadline: Deadline | None = None, media_type: str = "text/html") -> RawDocument:
    """Read an HTML page from bytes; the charset hint only breaks ties between decodings."""
    meta = _meta_charset(data)
    decoded = decode(data, declared=meta or declared_charset)
    warnings = list(decoded.warnings)
    if meta and _family(meta) and _family(meta) != _family(decoded.encoding):
        warnings.append(f"page declares charset {meta} but its bytes are {decoded.encoding}")
    doc = read_html_text(decoded.text, deadline, media_type)
    doc.encoding = decoded.encoding
    doc.warnings = warnings + doc.warnings
    return doc


def read_html_text(text: str, deadline: Deadline | None = None,
                   media_type: str = "text/html") -> RawDocument:
    """Read an already decoded page (also used for the HTML inside MHT archives)."""
    deadline = deadline or Deadline(None)
    text = strip_controls(text)
    # every level opens with a "<": with few of them the tags need not be counted
    if text.count("<") > MAX_DEPTH and _nesting_depth(text) > MAX_DEPTH:
        return _as_plain_text(text, media_type)
    tree = LexborHTMLParser(text)
    title = _title(tree)
    date_hint = _meta_date(tree)
    root_node = tree.body or tree.root
    if root_node is None:
        return RawDocument(media_type=media_type, blocks=[], title=title, date_hint=date_hint)
    root, soft_noise, nodes = _copy_tree(root_node, deadline)
    del tree
    try:
        _measure_nodes(nodes)
        _drop_noise(root, soft_noise)
        body = _choose_body(root, [n for n in nodes if n.content])
        # the info bar (发布日期：...) sits inside or beside the article, before sidebars' dates
        date_hint = date_hint or _date_in(_text_of(body.parent or body)) or _text_date(text)
        warnings: list[str] = []
        blocks = _heading_rescue(body) + _walk(body, deadline, warnings)
    finally:
        # without the parent links the light tree has no cycles, so it is freed at once
        # instead of waiting for (and lengthening) a garbage collection
        for n in nodes:
            n.parent = None
    return RawDocument(media_type=media_type, blocks=blocks, title=title, date_hint=date_hint,
                       warnings=warnings)


def _nesting_depth(html: str) -> int:
    """Upper bound of element nesting, from the tags alone (void/optional-end tags ignored).

    lexbor's tree building is quadratic in nesting depth: 50,000 nested divs take seconds,
    200,000 take minutes. Real pages nest less than a hundred levels.
    """
    depth = deepest = 0
    for m in _OPEN_CLOSE.finditer(html):
        tag = m.group(2).lower()
        if tag in _NO_NEST:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _as_plain_text(html: str, media_type: str) -> RawDocument:
    """Degenerate markup: keep the words, one block per line-breaking tag."""
    text = _TAG.sub("\n", re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", html))
    for entity, ch in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        text = text.replace(entity, ch)
    blocks: list[Block] = [t for t in (clean_inline(x) for x in text.split("\n")) if t]
    return RawDocument(media_type=media_type, blocks=blocks,
                       warnings=[f"markup nested deeper than {MAX_DEPTH} levels: read as text"])


def _family(charset: str) -> str | None:
    c = charset.lower().replace("_", "-")
    if c in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936"):
        return "gb"
    if c in ("utf-8", "utf8"):
        return "utf-8"
    if c.startswith("big5") or c == "cp950":
        return "big5"
    return None


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    return m.group(1).decode("ascii", "replace") if m else None


def _title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    if node is None:
        return None
    t = clean_inline(node.text() or "")
    return t or None


def _valid_date(y: str, m: str, d: str) -> str | None:
    yi, mi, di = int(y), int(m), int(d)
    if 1990 <= yi <= 2100 and 1 <= mi <= 12 and 1 <= di <= 31:
        return f"{yi:04d}-{mi:02d}-{di:02d}"
    return None


def _meta_date(tree: LexborHTMLParser) -> str | None:
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or ""
        if key and _DATE_META.search(key):
            m = re.search(_DATE, attrs.get("content") or "")
            if m and (d := _valid_date(*m.groups())):
                return d
    return None


def _text_date(html: str) -> str | None:
    head = html[:300_000]
    # Most pages have no labelled date at all, and stripping their tags costs more than
    # looking: a label stands in the markup as in the text (tags become spaces, so none can
    # sit inside it), and tags, &nbsp; and blanks are all that can come between it and the
    # colon or digit that must follow it.
    if not _has_label(head) or not _LABEL_IN_MARKUP.search(head):
        return None
    return _date_in(_TAG.sub(" ", head).replace("&nbsp;", " "))


def _has_label(text: str) -> bool:
    """Whether `text` holds a part that every label of _DATE_LABELS contains."""
    return "日期" in text or "时间" in text or "发布" in text


def _date_in(plain: str) -> str | None:
    """The first labelled date (发布日期/发布时间 first, then 日期/时间) in a text."""
    if not _has_label(plain):  # a plain substring search is much faster than the patterns
        return None
    for pattern in _DATE_LABELS:
        for m in pattern.finditer(plain):
            if d := _valid_date(*m.groups()):
                return d
    return None


def _tokens(attrs: dict[str, str]) -> frozenset[str]:
    return _tokens_of(f"{attrs.get('class', '')} {attrs.get('id', '')}")


@lru_cache(maxsize=4096)
def _tokens_of(class_and_id: str) -> frozenset[str]:
    toks = set(class_and_id.lower().split())
    for t in list(toks):
        toks.update(p for p in re.split(r"[-_]", t) if p)
    return frozenset(toks)


def _copy_tree(top: LexborNode, deadline: Deadline) -> tuple[_N, list[_N], list[_N]]:
    """Copy the DOM below `top` into light nodes, skipping non-content elements.

    Returns the root, the soft-noise elements, and every element in creation order (a parent
    always before its children). Text nodes become str children, and their counts are added to
    their element's here; `_measure_nodes` then adds the elements' counts up the tree.

    This loop visits every node of every page, and each property read on a lexbor node
    (`tag`, `next`, `attributes`, `text_content`) crosses into Cython and builds a Python
    object, so each is read once per node; the attributes decide visibility straight from
    lexbor's dict and only those read later are kept (most elements then share _NO_ATTRS);
    an element's characters are summed in a local and stored once; its ideographs are
    counted for the whole page in one pass at the end (`count_cjk_each`, not a regex per
    text node); and light nodes are filled in place rather than through `_N.__init__`.
    """
    root = _N(top.tag or "body")
    soft_noise: list[_N] = []
    nodes: list[_N] = [root]
    root.content = _is_content(root)
    stack: list[tuple[LexborNode, _N]] = [(top, root)]
    countdown = 5000  # nodes until the next deadline check
    new = object.__new__
    skip, keep, noise_tags, noise_tokens = _SKIP_TAGS, _KEEP_ATTRS, _NOISE_TAGS, _NOISE_TOKENS
    content_tokens, container_tags, no_attrs, light_node = (_CONTENT_TOKENS, _CONTAINER_TAGS,
                                                            _NO_ATTRS, _N)
    # texts with ideographs to count, and their elements: counted together at the end
    pending: list[str] = []
    owners: list[_N] = []
    while stack:
        node, light = stack.pop()
        kids = light.children
        in_link = light.in_link
        chars = 0
        child = node.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                t = child.text_content
                if t:
                    kids.append(t)
                    if t.isalnum():  # a word or number: no whitespace
                        chars += len(t)
                        if not t.isascii():  # ASCII has no ideograph
                            pending.append(t)
                            owners.append(light)
                    elif not t.isspace():
                        chars += len("".join(t.split()))  # its non-whitespace characters
                        if not t.isascii():
                            pending.append(t)
                            owners.append(light)
            # None: a node that is neither text nor element; "-comment", "-doctype"...
            elif tag and tag[0] != "-" and tag not in skip:
                attrs = no_attrs
                shown = True
                raw = child.attributes
                if raw:
                    if "hidden" in raw or ((style := raw.get("style")) and _hides(style)):
                        shown = False
                    else:
                        for k in raw:
                            if k in keep:
                                if attrs is no_attrs:
                                    attrs = {}
                                attrs[k] = raw[k] or ""
                if shown:
                    ln = new(light_node)
                    ln.tag = tag
                    ln.attrs = attrs
                    ln.children = []
                    ln.parent = light
                    ln.cjk = ln.link_cjk = ln.chars = 0
                    ln.has_table = tag == "table"
                    ln.detached = False
                    ln.in_link = in_link or tag == "a"
                    kids.append(ln)
                    nodes.append(ln)
                    if "class" in attrs or "id" in attrs:
                        toks = _tokens(attrs)
                        if tag in noise_tags or toks & noise_tokens:
                            soft_noise.append(ln)
                        ln.content = tag in container_tags or bool(toks & content_tokens)
                    else:
                        if tag in noise_tags:
                            soft_noise.append(ln)
                        ln.content = tag in container_tags
                    stack.append((child, ln))
            child = child.next
            countdown -= 1
            if not countdown:
                countdown = 5000
                deadline.check()
        light.chars = chars
    for light, cjk in zip(owners, count_cjk_each(pending)):
        if light.in_link:
            light.link_cjk += cjk
        else:
            light.cjk += cjk
    return root, soft_noise, nodes


@lru_cache(maxsize=1024)
def _hides(style: str) -> bool:
    return _HIDDEN_STYLE.search(style) is not None


def _is_content(n: _N) -> bool:
    return n.tag in _CONTAINER_TAGS or (("class" in n.attrs or "id" in n.attrs)
                                           and bool(_tokens(n.attrs) & _CONTENT_TOKENS))


def _elements(n: _N) -> list[_N]:
    """The elements of a subtree in document order (preorder), text left out."""
    out: list[_N] = []
    stack = [n]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(c for c in reversed(n.children) if c.__class__ is _N)
    return out


def _measure_nodes(nodes: list[_N]) -> None:
    """Add every element's counts to its parent's, children first.

    `nodes` lists every element after its parent (`_copy_tree`'s creation order), each
    holding the counts of its own text and has_table set on tables.
    """
    for n in reversed(nodes):
        p = n.parent
        if p is not None:
            if n.chars:  # no characters, no ideographs either
                p.cjk += n.cjk
                p.link_cjk += n.link_cjk
                p.chars += n.chars
            if n.has_table:
                p.has_table = True


def _drop_noise(root: _N, noise: list[_N]) -> None:
    """Detach furniture (menus, footers...) unless it holds a large share of the text."""
    for n in noise:
        if _detached(n) or n.cjk > 0.3 * max(1, root.cjk):
            continue
        n.detached = True
        if n.parent is not None:
            n.parent.children = [c for c in n.parent.children if c is not n]
        p = n.parent
        while p is not None:
            p.cjk -= n.cjk
            p.link_cjk -= n.link_cjk
            p.chars -= n.chars
            p = p.parent


def _detached(n: _N) -> bool:
    p: _N | None = n
    while p is not None:
        if p.detached:
            return True
        p = p.parent
    return False


def _choose_body(root: _N, candidates: list[_N] | None = None) -> _N:
    """The element holding the report: a known content container, else the dominant subtree.

    `candidates`: the content containers (`_N.content`) in any order, detached ones included;
    found by walking the tree when not given.
    """
    total = max(1, root.cjk)
    if candidates is None:
        candidates = [n for n in _elements(root) if _is_content(n)]
    best = _first_largest([n for n in candidates if n.cjk >= 0.4 * total and not _detached(n)])
    if best is not None:
        return best
    node = root
    while True:
        kids = [c for c in node.children if c.__class__ is _N]
        if not kids:
            return node
        top = max(kids, key=lambda c: c.cjk)
        if top.cjk == 0 or top.cjk < 0.8 * node.cjk:
            return node
        if top.tag in ("tr", "tbody", "thead") or (top.tag == "table" and _is_data_table(top)):
            return node
        node = top


def _first_largest(nodes: list[_N]) -> _N | None:
    """The node with the most ideographs; on a tie, the first in document order."""
    if not nodes:
        return None
    most = max(n.cjk for n in nodes)
    tied = [n for n in nodes if n.cjk == most]
    return tied[0] if len(tied) == 1 else min(tied, key=_tree_position)


def _tree_position(n: _N) -> list[int]:
    """Child indexes from the root down to `n`: sorting by them is sorting in document order."""
    path: list[int] = []
    while n.parent is not None:
        siblings = n.parent.children
        path.append(next(i for i, c in enumerate(siblings) if c is n))
        n = n.parent
    path.reverse()
    return path


def _heading_rescue(body: _N) -> list[Block]:
    """Headings just before the chosen body (the report's own title), which descent cut off."""
    found: list[str] = []
    node, levels = body, 0
    while node.parent is not None and levels < 2:
        siblings = node.parent.children
        idx = next(i for i, c in enumerate(siblings) if c is node)
        for sib in siblings[:idx]:
            if sib.__class__ is str:
                continue
            if sib.tag in _HEADINGS or any("title" in t or t == "bt" for t in _tokens(sib.attrs)):
                t = clean_inline(_text_of(sib))
                if t and len(t) <= 120 and count_cjk(t) > 0:
                    found.append(t)
        node, levels = node.parent, levels + 1
    return found


def _text_of(n: _N, breaks: frozenset[str] | set[str] = frozenset()) -> str:
    """All the text of a subtree, in document order; a line break before each `breaks` tag."""
    parts: list[str] = []
    stack: list[_N | str] = [n]
    pop, push, add = stack.pop, stack.append, parts.append
    while stack:
        x = pop()
        if x.__class__ is str:
            add(x)  # type: ignore[arg-type]
        else:
            if x.tag in breaks:  # type: ignore[union-attr]
                add("\n")
            kids = x.children  # type: ignore[union-attr]
            if len(kids) == 1:  # inline wrappers (td > p > span > text) mostly have one child
                push(kids[0])
            else:
                stack.extend(reversed(kids))
    return "".join(parts)


def _walk(body: _N, deadline: Deadline, warnings: list[str], tables: bool = True) -> list[Block]:
    """Blocks of a subtree in reading order: one str per paragraph, a Table per data table.

    Each level of the descent is an iterator over an element's children, so runs of text are
    taken in one loop without going through the stack; the paragraph is cut (flushed) when a
    block element starts and when its iterator runs out.
    """
    blocks: list[Block] = []
    pieces: list[str] = []
    block_tags = _BLOCK_TAGS

    def flush() -> None:
        t = "".join(pieces)
        pieces.clear()
        # only ASCII whitespace (between block tags): clean_inline would make it ""
        if not (t.isascii() and t.isspace()):
            t = clean_inline(t)
            if t:
                blocks.append(t)

    # (the children still to enter, whether leaving them ends a block)
    stack: list[tuple[Iterator[_N | str], bool]] = [(iter((body,)), False)]
    steps = 0
    while stack:
        level, ends_block = stack[-1]
        for n in level:
            steps += 1
            if steps % 5000 == 0:
                deadline.check()
            if n.__class__ is str:
                pieces.append(n)  # type: ignore[arg-type]
                continue
            tag = n.tag  # type: ignore[union-attr]
            if tag == "br" or tag == "hr":
                if pieces:
                    flush()
                continue
            if tag == "table" and tables and _is_data_table(
                    n, rows := _row_cells(n)):  # type: ignore[arg-type]
                if pieces:
                    flush()
                table = _grid(n, deadline, warnings, rows)  # type: ignore[arg-type]
                if table is not None:
                    blocks.append(table)
                    continue
                # too large for a grid: read it as text
            if tag in block_tags:
                if pieces:
                    flush()
                stack.append((iter(n.children), True))  # type: ignore[union-attr]
            else:
                stack.append((iter(n.children), False))  # type: ignore[union-attr]
            break
        else:
            stack.pop()
            if ends_block and pieces:
                flush()
    if pieces:
        flush()
    return blocks


def _rows(table: _N) -> list[_N]:
    head: list[_N] = []
    body: list[_N] = []
    foot: list[_N] = []
    for c in table.children:
        if c.__class__ is str:
            continue
        if c.tag == "tr":
            body.append(c)
        elif c.tag in ("thead", "tbody", "tfoot"):
            target = head if c.tag == "thead" else foot if c.tag == "tfoot" else body
            target.extend(r for r in c.children if r.__class__ is _N and r.tag == "tr")
    return head + body + foot


def _cells(row: _N) -> list[_N]:
    return [c for c in row.children if c.__class__ is _N and c.tag in ("td", "th")]


def _row_cells(table: _N) -> list[list[_N]]:
    """The cells of every row (`_rows`), for `_is_data_table` and then `_grid`."""
    return [_cells(r) for r in _rows(table)]


def _span(cell: _N, name: str, cap: int) -> int:
    if name not in cell.attrs:
        return 1
    raw = _SPAN_NUMBER.match(cell.attrs.get(name, "1") or "1")
    n = int(raw.group(1)) if raw else 1
    if n == 0 and name == "rowspan":
        return cap  # rowspan=0: to the end of the table
    return max(1, min(n, cap))


def _cell_text(cell: _N) -> str:
    """Text of a table cell: its paragraphs and <br> lines joined (no space between Chinese)."""
    # smart_join skips empty pieces, and an empty line stays empty
    return smart_join([clean_inline(x) for x in _text_of(cell, _CELL_BREAKS).split("\n") if x])


def _is_data_table(table: _N, rows: list[list[_N]] | None = None) -> bool:
    """A grid of short cells, not a layout table wrapping the page or the article.

    `rows`: `_row_cells(table)` when the caller has it already.
    """
    if rows is None:
        rows = _row_cells(table)
    if len(rows) < 2:
        return False
    cells = [c for r in rows for c in r]
    # a row's width is its cells' colspans added up: one per cell, plus the extra columns
    width = max((len(r) + sum(_span(c, "colspan", 1000) - 1 for c in r if "colspan" in c.attrs)
                 for r in rows), default=0)
    if width < 2 or not cells:
        return False
    if any(c.has_table for c in cells):
        return False
    lengths = [c.chars for c in cells]
    longest = max(lengths)
    if longest > 400:
        return False
    return not (longest > 150 and longest > 0.6 * sum(lengths))


def _grid(table: _N, deadline: Deadline, warnings: list[str],
          rows: list[list[_N]] | None = None) -> Table | None:
    """Expand rowspan/colspan so every covered position repeats the spanning cell's text.

    `rows`: `_row_cells(table)` when the caller has it already.
    """
    if rows is None:
        rows = _row_cells(table)
    if sum(map(len, rows)) > MAX_TABLE_CELLS:
        warnings.append(f"table with more than {MAX_TABLE_CELLS} cells read as text")
        return None
    grid: dict[tuple[int, int], str] = {}
    n_rows = len(rows)
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in grid:
                c += 1
            attrs = cell.attrs
            rs = _span(cell, "rowspan", n_rows - r) if "rowspan" in attrs else 1
            cs = _span(cell, "colspan", 1000) if "colspan" in attrs else 1
            if len(grid) + rs * cs > MAX_TABLE_CELLS:
                warnings.append(f"table with more than {MAX_TABLE_CELLS} cells read as text")
                return None
            text = _cell_text(cell)
            if rs == 1 and cs == 1:
                grid[r, c] = text  # the loop above found (r, c) free
            else:
                for i in range(rs):
                    for j in range(cs):
                        grid.setdefault((r + i, c + j), text)
            c += cs
        if r % 200 == 0:
            deadline.check()
    if not grid:
        return None
    height = max(k[0] for k in grid) + 1
    width = max(k[1] for k in grid) + 1
    out = normalize_grid([[grid.get((r, c), "") for c in range(width)] for r in range(height)])
    if not out:
        return None
    caption = next((clean_inline(_text_of(c)) for c in table.children
                    if c.__class__ is _N and c.tag == "caption"), None)
    return Table(rows=out, caption=caption or None)
