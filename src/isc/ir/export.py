"""The two top-level IR values: an :class:`Export` (what was read) and an :class:`Output`
(what was compiled)."""

from __future__ import annotations

from typing import Any

import attrs

from isc.diagnostics import Diagnostic
from isc.ir.common import Difference, Fidelity, Origin, PassChange, check_tag
from isc.ir.ems import EmsPolicy
from isc.ir.fingerprint import input_fingerprint
from isc.ir.mail import MailPolicy
from isc.ir.web import WebPolicy
from isc.ir.ztsa import ZtsaPolicy


@attrs.frozen
class SourceFile:
    """One input file or archive member and what it was recognised as."""

    path: str
    kind: str
    encoding: str | None = None
    size: int = 0
    rel: str = ""
    """The path inside its input (directory or archive): what output documents cite."""
    sha256: str = ""
    """The hash of the normalised content (:func:`isc.ir.fingerprint.content_hash`)."""

    @property
    def counts(self) -> bool:
        """Is this file part of the policy read (and so of the input's fingerprint)? Files
        isc did not recognise, and isc's own documents, are not."""
        return bool(self.sha256) and self.kind not in _NOT_POLICY


#: File kinds that are not policy (see :attr:`SourceFile.counts`).
_NOT_POLICY = frozenset({"unrecognised", "isc report", "ztsa-ia document", "ems document"})


@attrs.frozen
class Export:
    """Everything read from one or more InterScan exports."""

    web: WebPolicy | None = None
    mail: MailPolicy | None = None
    files: tuple[SourceFile, ...] = attrs.field(default=(), eq=False)
    diagnostics: tuple[Diagnostic, ...] = attrs.field(default=(), eq=False)
    #: Source text of every file read, for rendering diagnostics with their line.
    texts: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False, hash=False)
    #: Whether the optimisation passes ran (``isc.optimize``).
    optimized: bool = attrs.field(default=False, eq=False)
    #: The passes that ran, in order, and what each removed or merged.
    passes: tuple[str, ...] = attrs.field(default=(), eq=False)
    changes: tuple[PassChange, ...] = attrs.field(default=(), eq=False, repr=False)

    def fingerprint(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The input's fingerprint and its files as they count (path, content hash)."""
        return input_fingerprint((f.rel or f.path, f.sha256) for f in self.files if f.counts)

    def rel(self, display: str) -> str:
        """The path an output document cites for a file shown to the user as ``display``."""
        return self.rels().get(display, display)

    def rels(self) -> dict[str, str]:
        """:meth:`rel` of every file shown, as one table (the first file of a path)."""
        out: dict[str, str] = {}
        for f in self.files:
            out.setdefault(f.path, f.rel or f.path)
        return out


@attrs.frozen
class ReportEntry:
    """The fate of one source object: what it became, how faithfully, what to do.

    ``directions`` are the directions its differences take (for a ``dropped`` object: what
    losing it changes); ``fidelity`` summarises them. ``witness`` shows the worst direction:
    ``{"direction", "scope", "source", "target", ...}`` with a request or message; its
    ``scope`` is ``policy`` when the whole policies decide it differently (``isc explain``
    reproduces it) and ``isolated`` when only the object alone does. ``directions`` are those
    of ``witnesses`` (one per direction a probe showed) and ``assumed`` ones."""

    source: Origin
    fate: str
    fidelity: Fidelity
    targets: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    witness: dict[str, Any] | None = attrs.field(default=None, hash=False)
    #: Not given: what the tag implies, failing closed (see :meth:`Fidelity.implied`).
    directions: frozenset[Difference] = attrs.field(
        default=attrs.Factory(lambda self: self.fidelity.implied(), takes_self=True))
    #: One witness per direction a probe showed (the first is ``witness``).
    witnesses: tuple[dict[str, Any], ...] = attrs.field(default=(), hash=False)
    #: Directions set by rule, that no probe can show (an LDAP name mapped by guess, a
    #: setting outside the models); the reasons say why.
    assumed: frozenset[Difference] = frozenset()
    #: A setting with no counterpart that decides nothing (an imss.ini key, a PAC file):
    #: information, no action. It counts only while the entry has no direction.
    no_action: bool = False

    def __attrs_post_init__(self) -> None:
        check_tag(self.fidelity, self.directions)

    @property
    def code(self) -> str:
        """The fate's stable machine code (:data:`FATE_CODES`). ``no-action`` fails closed:
        an entry with any direction, found or assumed, is ``dropped``, never information."""
        if self.fidelity is Fidelity.DROPPED:
            quiet = self.no_action and not self.directions and not self.assumed
            return "no-action" if quiet else "dropped"
        if self.fate.startswith(INLINED):
            return "inlined"
        return "translated"

    @property
    def sentence(self) -> str:
        """The fate as one sentence a person acts on."""
        reason = self.reasons[0].rstrip(".") if self.reasons else ""
        code = self.code
        if code == "no-action":
            return f"No action needed: {reason or 'it has no counterpart and decides nothing'}."
        if code == "dropped":
            return (f"Not translated: {reason}." if reason else
                    "Not translated: re-create it by hand or accept the loss.")
        if code == "inlined":
            return "Nothing to create on its own: " + INLINED + (f"; {reason}." if reason
                                                                  else ".")
        names = ", ".join(f"\u201c{t}\u201d" for t in self.targets)
        what = " ".join(w for w in (self.fate if self.fate != "translated" else "", names) if w)
        head = f"Re-create as {what or 'its target objects'}"
        if self.fidelity is Fidelity.EXACT:
            return head + "; it decides as the source did."
        # a fail-open hidden in a mixed tag is said as such
        words = _TAG_WORDS[Fidelity.BROADENED if Difference.BROADENED in self.directions
                           else self.fidelity]
        return head + f"; {words}" + (f": {reason}." if reason else ".")


#: The stable codes of :attr:`ReportEntry.code`, as report.json writes them (``fateCode``).
FATE_CODES = ("translated", "inlined", "dropped", "no-action")
#: The fate of an object emitted as part of the objects that use it (a schedule).
INLINED = "inlined into the rules that use it"
_TAG_WORDS = {
    Fidelity.NARROWED: "it withholds more than the source did",
    Fidelity.BROADENED: "it can let through what the source stopped",
    Fidelity.APPROXIMATED: "it decides differently in some cases",
}


@attrs.frozen
class Swept:
    """The whole-policy sweep of a compile: how many probes of the default pool it decided,
    and those the source and the compiled document decided differently, in pool order, as
    ``(probe, source decision, target decision)``."""

    probes: int
    differing: tuple[tuple[Any, Any, Any], ...]


@attrs.frozen
class Output:
    """A compiled target document plus the report of every source object's fate."""

    target: str
    document: ZtsaPolicy | EmsPolicy
    report: tuple[ReportEntry, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = attrs.field(default=(), eq=False)
    source_product: str | None = None
    #: LDAP DN → SSO name used for sources, and whether a mapping file confirmed it.
    identities: tuple[tuple[str, str, bool], ...] = ()
    #: (path shown to the user, path inside its input) of every file read.
    files: tuple[tuple[str, str], ...] = attrs.field(default=(), eq=False)
    #: The fingerprint of the input compiled, and its files (path, content hash).
    input: tuple[str, tuple[tuple[str, str], ...]] = attrs.field(default=("", ()), eq=False)
    #: Whether the optimisation passes ran before compiling; which, and what they changed.
    optimized: bool = attrs.field(default=False, eq=False)
    passes: tuple[str, ...] = attrs.field(default=(), eq=False)
    changes: tuple[PassChange, ...] = attrs.field(default=(), eq=False, repr=False)
    #: What the whole-policy sweep rests on: ``probes`` decided, report ``objects``, and
    #: how many of them a probe ``exercised`` (report.json ``sweep``).
    sweep: tuple[tuple[str, int], ...] = attrs.field(default=(), eq=False)
    #: What the sweep decided, kept in memory only (never written): ``verify`` of a document
    #: that equals this one reuses it instead of deciding the same probes again.
    swept: Swept | None = attrs.field(default=None, eq=False, repr=False)
