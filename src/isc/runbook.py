"""The migration runbook (issue 12, first part): the compiled documents and report.json of
an OUTDIR as the list of what a person re-creates in each console, in the console's order,
and what needs a person's judgement first.

It reads only isc's own JSON documents (never the IR), so that it renders any OUTDIR,
however old, the same way. Renderers: Markdown (tickets, wikis), CSV (spreadsheets:
UTF-8 with a BOM, one row per object) and HTML (one self-contained page). Everything is
deterministic: the same OUTDIR gives byte-identical output.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import attrs

from isc.errors import IscError

#: Each console's sections in the order a person re-creates them (objects a later section
#: names come first: certificates and groups before the rules that use them).
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "ztsa-ia.json": (
        ("tlsCertificates", "TLS certificates"),
        ("ipAddressGroups", "IP address groups"),
        ("customUrlCategories", "Custom URL categories"),
        ("urlAllowList", "URL allow list"),
        ("urlDenyList", "URL deny list"),
        ("fileProfiles", "File profiles"),
        ("httpsInspectionRules", "HTTPS inspection rules"),
        ("inspectionExceptions", "HTTPS inspection exceptions"),
        ("internetAccessRules", "Internet Access rules (top-down)"),
        ("threatProtectionRules", "Threat protection rules"),
    ),
    "ems.json": (
        ("managedDomains", "Managed domains"),
        ("addressGroups", "Address groups"),
        ("keywordLists", "Keyword lists"),
        ("stamps", "Stamps"),
        ("notifications", "Notifications"),
        ("approvedSenders", "Approved senders"),
        ("blockedSenders", "Blocked senders"),
        ("approvedIps", "Approved IP addresses"),
        ("blockedIps", "Blocked IP addresses"),
        ("dkimVerification", "DKIM verification"),
        ("dmarc", "DMARC"),
        ("rules", "Rules (each type in its order)"),
    ),
}
#: Fields that say where an object came from and how faithful it is, not what to enter.
_META = frozenset({"source", "sources", "fidelity", "directions", "review", "name"})
#: What each tag asks of a person, worst first (the order of "What needs a person").
ACTIONS = {
    "broadened": "lets through what the source stopped: fix before cut-over",
    "approximated": "decides differently in some cases: review",
    "narrowed": "withholds more than the source: review",
    "dropped": "not translated: re-create by hand or accept the loss",
}
_PRIORITY = {"broadened": 0, "approximated": 1, "narrowed": 2, "dropped": 3}
#: The page's title: what tells isc's own runbook.html from a person's file of that name.
TITLE = "isc migration runbook"
CSV_FIELDS = ("section", "order", "name", "values", "source", "fidelity", "directions",
              "action")


@attrs.frozen
class Row:
    """One object to re-create (or a section's setting), as a person reads it."""

    section: str
    order: int
    name: str
    values: str
    source: str
    fidelity: str
    directions: tuple[str, ...]
    action: str
    #: With ``--since``: ``added`` or ``changed`` since the older compile, else ``""``.
    change: str = ""


@attrs.frozen
class Runbook:
    documents: tuple[str, ...]
    rows: tuple[Row, ...]
    #: report entries that need a person, worst first: (fidelity, kind, name, source,
    #: reason, witness command or "")
    attention: tuple[tuple[str, str, str, str, str, str], ...]
    counts: tuple[tuple[str, int], ...]
    #: the input's fingerprint (report.json): what the HTML page keeps its "done" boxes
    #: under, so that they survive a compile of the same input
    fingerprint: str = ""
    #: report entries that need no action (fate code ``no-action``): (kind, name, source,
    #: sentence)
    info: tuple[tuple[str, str, str, str], ...] = ()
    #: With ``--since``: the older OUTDIR and the rows it had that this one has not.
    since: str | None = None
    removed: tuple[Row, ...] = ()


def build(outdir: str | Path, since: str | Path | None = None) -> Runbook:
    """The runbook of an OUTDIR written by ``isc compile``; with ``since``, an older OUTDIR
    (of an earlier compile), each row is marked added or changed and the rows no longer
    there are listed as removed."""
    book = build_from(*_documents(Path(outdir)))
    if since is None:
        return book
    return compare(book, build_from(*_documents(Path(since))), str(since))


def _documents(where: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    report = _read(where / "report.json")
    if not isinstance(report, dict) or "objects" not in report:
        raise IscError(f"{where / 'report.json'}: not an isc report", code="ISC1007")
    docs = {}
    for filename in SECTIONS:
        path = where / filename
        if path.is_file():
            doc = _read(path)
            if not isinstance(doc, dict):
                raise IscError(f"{path}: not an isc document", code="ISC1007")
            docs[filename] = doc
    return report, docs


def build_from(report: dict[str, Any], docs: dict[str, dict[str, Any]]) -> Runbook:
    """The runbook of a report and the documents it belongs with (file name → document),
    as ``isc compile`` holds them before it writes them."""
    rows: list[Row] = []
    documents = []
    for filename, sections in SECTIONS.items():
        doc = docs.get(filename)
        if doc is None:
            continue
        documents.append(filename)
        for key, title in sections:
            value = doc.get(key)
            items = value if isinstance(value, list) else [value] if value else []
            for n, item in enumerate(items, 1):
                rows.append(_row(title, n, item))
    objects = [o for o in report.get("objects", []) if isinstance(o, dict)]
    def no_action(o: dict[str, Any]) -> bool:  # failing closed: never one with a direction
        return o.get("fateCode") == "no-action" and not o.get("directions")

    quiet = [o for o in objects if no_action(o)]
    loud = [o for o in objects if not no_action(o)]
    attention = sorted(
        (_attention(o) for o in loud if o.get("fidelity") in _PRIORITY),
        key=lambda a: (_PRIORITY[a[0]], a[3], a[1], a[2]))
    info = tuple((str(o["source"].get("kind", "")), str(o["source"].get("name", "")),
                  _where(o["source"]), str(o.get("sentence", "")))
                 for o in quiet if isinstance(o.get("source"), dict))
    counts: dict[str, int] = {}
    for o in objects:
        tag = str(o.get("fidelity", ""))
        counts[tag] = counts.get(tag, 0) + 1
    given = report.get("input")
    fingerprint = str(given.get("fingerprint", "")) if isinstance(given, dict) else ""
    return Runbook(tuple(documents), tuple(rows), tuple(attention),
                   tuple(sorted(counts.items())), fingerprint, info)


def compare(book: Runbook, old: Runbook, since: str) -> Runbook:
    """``book`` with each row marked ``added`` or ``changed`` against ``old``, and the rows
    of ``old`` it no longer has. Rows are matched by section and name (the n-th of a
    repeated name with the n-th); source line numbers are not compared, so that lines
    moved by an edit elsewhere in a file do not mark an object changed."""
    before = {key: row for key, row in _keyed(old.rows)}
    marked = []
    for key, row in _keyed(book.rows):
        was = before.pop(key, None)
        change = "added" if was is None else "" if _same(was, row) else "changed"
        marked.append(attrs.evolve(row, change=change))
    return attrs.evolve(book, rows=tuple(marked), since=since,
                        removed=tuple(before.values()))


def _keyed(rows: tuple[Row, ...]) -> list[tuple[tuple[str, str, int], Row]]:
    seen: dict[tuple[str, str], int] = {}
    out = []
    for row in rows:
        n = seen[row.section, row.name] = seen.get((row.section, row.name), 0) + 1
        out.append(((row.section, row.name, n), row))
    return out


#: Line numbers in a row's source ("… (file:12)") and in its notes ("line 12"); the values
#: keep theirs (a port is not a line).
_SOURCE_LINE = re.compile(r":\d+\)$")
_NOTE_LINE = re.compile(r"\bline \d+|(?<=\S):\d+(?=[)\s;,]|$)")


def _same(a: Row, b: Row) -> bool:
    def what(r: Row) -> tuple[str, ...]:
        return (r.values, _SOURCE_LINE.sub(")", r.source), r.fidelity, " ".join(r.directions),
                _NOTE_LINE.sub("", r.action))
    return what(a) == what(b)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IscError(f"{path}: not found (run isc compile first)", code="ISC1009") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IscError(f"{path}: cannot be read: {exc}", code="ISC1007") from None


def _row(section: str, order: int, item: Any) -> Row:
    if not isinstance(item, dict):
        return Row(section, order, str(item), "", "", "", (), "")
    fidelity = str(item.get("fidelity", ""))
    directions = tuple(str(d) for d in item.get("directions", []) or [])
    review = [str(r) for r in item.get("review", []) or []]
    action = ACTIONS.get(fidelity, "")
    if "broadened" in directions and fidelity != "broadened":
        action = ACTIONS["broadened"]
    if review:
        action = "; ".join(filter(None, (action, *review)))
    name = item.get("name") or item.get("value") or item.get("address") or item.get(
        "domain") or ""
    return Row(section, order, str(name), _values(item), _source(item.get("source")),
               fidelity, directions, action)


def _values(item: dict[str, Any]) -> str:
    """What to enter: every field but the provenance ones, as ``key: value`` pairs."""
    parts = []
    for key in sorted(item):
        if key in _META or item[key] is None:
            continue
        text = _text(item[key])
        if text in ("", "[]", "{}"):
            continue
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items())
                               if v not in (None, "", [], {})) + "}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _source(source: Any) -> str:
    if not isinstance(source, dict):
        return ""
    where = f"{source.get('file', '')}:{source.get('line', 0)}" if source.get("file") else ""
    what = f"{source.get('kind', '')} \"{source.get('name', '')}\""
    return f"{what} ({where})" if where else what


def _attention(o: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    source = o.get("source") or {}
    fidelity = str(o.get("fidelity"))
    directions = o.get("directions") or []
    if "broadened" in directions:
        fidelity = "broadened"  # a fail-open hidden in a mixed tag comes first
    reasons = [str(r) for r in o.get("reasons", []) or []]
    if fidelity == "broadened":  # the reason that says what is let through, where one does
        reasons.sort(key=lambda r: "let through" not in r and "lets through" not in r)
    witness = o.get("witness") or {}
    command = ""
    probe = witness.get("request") or witness.get("message")
    if isinstance(probe, dict):
        option = "--request" if "request" in witness else "--message"
        command = (f"isc explain INPUT {option} "
                   + shlex.quote(json.dumps(probe, ensure_ascii=False, sort_keys=True))
                   + " --against OUTDIR")
    where = _where(source)
    return (fidelity, str(source.get("kind", "")), str(source.get("name", "")), where,
            reasons[0] if reasons else "", command)


def _where(source: dict[str, Any]) -> str:
    return f"{source.get('file', '')}:{source.get('line', 0)}"


# ---------------------------------------------------------------------- renderers


def to_markdown(book: Runbook) -> str:
    out = ["# Migration runbook", ""]
    out.append("Source objects by fidelity: " + ", ".join(f"{n} {tag}"
                                                          for tag, n in book.counts) + ".")
    opened = sum(1 for a in book.attention if a[0] == "broadened")
    out.append(f"{opened} of them can let through what the source stopped (a broadened "
               "direction, whatever the tag): they come first below.")
    if book.info:
        out.append(f"{len(book.info)} need no action (settings with no counterpart that "
                   "decide nothing): they are listed apart at the end.")
    rows = book.rows
    if book.since is not None:
        rows = tuple(r for r in book.rows if r.change)
        out += ["", f"Since {_md(book.since)}: {_since_words(book)}. Only those objects "
                    "are listed below."]
    out += ["", "## What needs a person", ""]
    if not book.attention:
        out.append("Nothing: every object translated exactly.")
    for fidelity, kind, name, where, reason, command in book.attention:
        line = f"- **{fidelity}** {kind} \"{_md(name)}\" ({where})"
        if reason:
            line += f": {_md(reason)}"
        out.append(line)
        if command:
            out.append(f"  - replay: `{command}`")
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            out += ["", f"## {section}", ""]
        out += _md_row(row)
    if book.removed:
        out += ["", f"## Removed since {_md(book.since or '')}", "",
                "Delete these from the console: the new compile no longer has them.", ""]
        for row in book.removed:
            out += _md_row(attrs.evolve(row, change=f"removed from {row.section}"))
    if book.info:
        out += ["", "## Information: no action needed", ""]
        for kind, name, where, sentence in book.info:
            out.append(f"- {kind} \"{_md(name)}\" ({where}): {_md(sentence)}")
    return "\n".join(out) + "\n"


def _md_row(row: Row) -> list[str]:
    line = f"{row.order}. " + (f"**[{row.change}]** " if row.change else "") \
        + f"**{_md(row.name)}**"
    if row.values:
        line += f": {_md(row.values)}"
    out = [line]
    directions = ", ".join(row.directions)
    details = [d for d in (f"from {row.source}" if row.source else "",
                           f"{row.fidelity}" if row.fidelity else "",
                           directions if directions != row.fidelity else "") if d]
    if details:
        out.append(f"   - {_md('; '.join(details))}")
    if row.action:
        out.append(f"   - to do: {_md(row.action)}")
    return out


def _since_words(book: Runbook) -> str:
    added = sum(1 for r in book.rows if r.change == "added")
    changed = sum(1 for r in book.rows if r.change == "changed")
    return f"{added} added, {changed} changed, {len(book.removed)} removed"


def _md(text: str) -> str:
    """Text from the export, safe in Markdown: no markup, no HTML."""
    for c in "\\`*_[]<>|":
        text = text.replace(c, "\\" + c)
    return text.replace("\n", " ")


def to_csv(book: Runbook) -> str:
    """One row per object, UTF-8 with a BOM so that spreadsheet programs read Japanese text
    right (the caller writes the text as UTF-8; the BOM is its first character)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    since = book.since is not None  # then a "change" column, and the removed rows
    writer.writerow(CSV_FIELDS + (("change",) if since else ()))
    for r in (*book.rows, *(attrs.evolve(r, change="removed") for r in book.removed)):
        writer.writerow((r.section, r.order, r.name, r.values, r.source, r.fidelity,
                         " ".join(r.directions), r.action) + ((r.change,) if since else ()))
    return "\ufeff" + buf.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows of :func:`to_csv` back as dictionaries (for tests and scripts)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


_STYLE = """
body{font-family:system-ui,"Hiragino Sans","Yu Gothic",Meiryo,sans-serif;margin:1.5em;
line-height:1.45;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
#controls{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd}
#controls label{margin-right:1em}
li.obj{margin:.3em 0}li.obj.done>.what{text-decoration:line-through;color:#888}
.tag{font-size:.8em;padding:0 .4em;border-radius:.3em;background:#eee;margin-left:.3em}
.tag.broadened{background:#f8d0d0}.tag.narrowed{background:#fbeec8}
.tag.approximated{background:#e4dcf4}.tag.dropped{background:#ddd}
.tag.change{background:#cfe3f8}
.values,.src,.todo{font-size:.9em;color:#444;margin-left:1.6em}
code{font-size:.85em;word-break:break-all}
@media print{#controls{display:none}}
"""
#: Filters, search and "done" boxes; no network, no external resource (air-gapped admin
#: networks open it). Done boxes are kept in the browser's local storage, by object id.
_SCRIPT = """
(function(){
var key='isc-runbook:'+document.body.dataset.fingerprint;
var done={};try{done=JSON.parse(localStorage.getItem(key)||'{}')}catch(e){}
function apply(){
 var sec=document.getElementById('f-section').value,
     fid=document.getElementById('f-fidelity').value,
     dir=document.getElementById('f-direction').value,
     q=document.getElementById('f-search').value.toLowerCase(),
     cf=document.getElementById('f-change'),chg=cf?cf.value:'';
 document.querySelectorAll('li.obj').forEach(function(li){
  var ok=(!sec||li.dataset.section===sec)&&(!fid||li.dataset.fidelity===fid)&&
   (!chg||(chg==='redo'?!!li.dataset.change:li.dataset.change===chg))&&
   (!dir||(' '+li.dataset.directions+' ').indexOf(' '+dir+' ')>=0)&&
   (!q||li.textContent.toLowerCase().indexOf(q)>=0);
  li.hidden=!ok;});}
document.querySelectorAll('li.obj input[type=checkbox]').forEach(function(box){
 var li=box.closest('li');box.checked=!!done[li.id];li.classList.toggle('done',box.checked);
 box.addEventListener('change',function(){done[li.id]=box.checked;
  li.classList.toggle('done',box.checked);
  try{localStorage.setItem(key,JSON.stringify(done))}catch(e){}});});
['f-section','f-fidelity','f-direction','f-change','f-search'].forEach(function(id){
 var el=document.getElementById(id);if(el)el.addEventListener('input',apply);});
apply();})();
"""


def to_html(book: Runbook) -> str:
    """One self-contained page: a summary, what needs a person, every object by section,
    with filters, a search and "done" boxes. Everything from the export is escaped."""
    return "\n".join(_html_lines(book))


def to_html_bytes(book: Runbook) -> bytes:
    """:func:`to_html` encoded as UTF-8, made piece by piece: the text of an estate's page
    (10^8 characters, twice that in bytes with CJK names) is never held whole."""
    lines: list[str | None] = list(_html_lines(book))
    chunks = []
    for start in range(0, len(lines), _CHUNK):
        part = lines[start:start + _CHUNK]
        lines[start:start + _CHUNK] = [None] * len(part)  # each line freed once encoded
        chunks.append("\n".join(x for x in part if x is not None).encode("utf-8"))
    return b"\n".join(chunks)


#: Lines of the page encoded at a time by :func:`to_html_bytes`.
_CHUNK = 4096


def _html_lines(book: Runbook) -> list[str]:
    e = html.escape
    fingerprint = book.fingerprint or hashlib.sha256(
        to_csv(book).encode("utf-8")).hexdigest()[:16]
    sections = list(dict.fromkeys(r.section for r in book.rows))
    opened = sum(1 for a in book.attention if a[0] == "broadened")
    since = book.since is not None
    out = ['<!DOCTYPE html>', '<html lang="ja"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # nothing may be fetched: the page works offline and leaks nothing
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
           'style-src \'unsafe-inline\'; script-src \'unsafe-inline\'">',
           f'<title>{TITLE}</title>', f'<style>{_STYLE}</style></head>',
           f'<body data-fingerprint="{fingerprint}">', '<h1>Migration runbook</h1>',
           '<p id="summary">Source objects by fidelity: '
           + ", ".join(f'<span data-count="{e(t)}">{n}</span> {e(t)}' for t, n in book.counts)
           + f'. <span id="opened">{opened}</span> of them can let through what the source '
           'stopped (a broadened direction, whatever the tag).'
           + (f' <span id="no-action">{len(book.info)}</span> need no action: they are listed '
              'apart at the end.' if book.info else '') + '</p>']
    if since:
        out.append(f'<p id="since">Since {e(book.since or "")}: {_since_words(book)}.</p>')
    out += ['<div id="controls">',
            '<label>Section <select id="f-section"><option value="">all</option>'
            + "".join(f'<option>{e(s)}</option>' for s in sections) + '</select></label>',
            '<label>Fidelity <select id="f-fidelity"><option value="">all</option>'
            + "".join(f'<option>{t}</option>' for t in ("exact", *ACTIONS))
            + '</select></label>',
            '<label>Direction <select id="f-direction"><option value="">all</option>'
            + "".join(f'<option>{d}</option>' for d in ("broadened", "narrowed", "non-access"))
            + '</select></label>']
    if since:  # a re-run shows what to redo first
        out.append('<label>Change <select id="f-change"><option value="">all</option>'
                   '<option value="redo" selected>to redo</option>'
                   + "".join(f'<option>{c}</option>' for c in ("added", "changed", "removed"))
                   + '</select></label>')
    out += ['<label>Search <input id="f-search" type="search"></label></div>',
            '<h2>What needs a person</h2><ol id="attention">']
    for fidelity, kind, name, where, reason, command in book.attention:
        out.append(f'<li><span class="tag {e(fidelity)}">{e(fidelity)}</span> {e(kind)} '
                   f'&quot;{e(name)}&quot; ({e(where)}){": " + e(reason) if reason else ""}'
                   + (f'<br><code>{e(command)}</code>' if command else '') + '</li>')
    out.append('</ol>')
    groups = [(f"o{n}", section, [r for r in book.rows if r.section == section])
              for n, section in enumerate(sections)]
    if book.removed:
        groups.append(("r", f"Removed since {book.since}",
                       [attrs.evolve(r, change="removed") for r in book.removed]))
    for prefix, section, rows in groups:
        out.append(f'<h2>{e(section)}</h2><ol>')
        for i, r in enumerate(rows, 1):
            ident = f"{prefix}-{r.order}" if prefix != "r" else f"r-{i}"
            tags = f'<span class="tag {e(r.fidelity)}">{e(r.fidelity)}</span>' \
                if r.fidelity else ""
            if r.change:
                tags += f'<span class="tag change">{e(r.change)}</span>'
            out.append(
                f'<li class="obj" id="{ident}" data-section="{e(r.section)}" '
                f'data-fidelity="{e(r.fidelity)}" data-directions="{e(" ".join(r.directions))}"'
                + (f' data-change="{e(r.change)}"' if since else '') + '>'
                f'<label class="what"><input type="checkbox"> <b>{e(r.name)}</b></label>{tags}'
                + (f'<div class="values">{e(r.values)}</div>' if r.values else '')
                + (f'<div class="src">from {e(r.source)}'
                   + (f'; {e(", ".join(r.directions))}' if r.directions else '') + '</div>'
                   if r.source else '')
                + (f'<div class="todo">to do: {e(r.action)}</div>' if r.action else '')
                + '</li>')
        out.append('</ol>')
    if book.info:
        out.append('<h2>Information: no action needed</h2><ul id="info">')
        for kind, name, where, sentence in book.info:
            out.append(f'<li>{e(kind)} &quot;{e(name)}&quot; ({e(where)}): {e(sentence)}</li>')
        out.append('</ul>')
    out += [f'<script>{_SCRIPT}</script>', '</body></html>', '']  # '': the final newline
    return out


FORMATS = {"html": to_html, "md": to_markdown, "csv": to_csv}


def render(outdir: str | Path, fmt: str, since: str | Path | None = None) -> str:
    if fmt not in FORMATS:
        raise IscError(f"unknown runbook format {fmt!r}; known: {', '.join(FORMATS)}",
                       code="ISC1009")
    return FORMATS[fmt](build(outdir, since))


def is_runbook(text: str) -> bool:
    """Is this the text of a runbook.html that isc wrote?"""
    return f"<title>{TITLE}</title>" in text[:2000]


__all__ = ["ACTIONS", "CSV_FIELDS", "FORMATS", "SECTIONS", "TITLE", "Row", "Runbook", "build",
           "build_from", "compare", "is_runbook", "read_csv", "render", "to_csv", "to_html",
           "to_html_bytes", "to_markdown"]
