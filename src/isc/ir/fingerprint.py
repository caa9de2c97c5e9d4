"""Fingerprints of what isc read and what it wrote, so that ``verify`` knows what it checks.

The input's fingerprint is a SHA-256 over its normalised source files (path inside the input
and content hash, sorted; a UTF-8 BOM and CR LF line ends do not count, and one top folder
that every file shares is left out, so an export and a tar of its folder agree). Each object
of an output document has a fingerprint of its JSON form, keyed by its kind and name as the
decision models name it (``internet-access-rule:Sales: block``), so that an edited,
added or deleted object can be found (spec interface.md, "Output documents").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from isc.ir.jsontext import compact, has_hard_float

__all__ = [
    "content_hash",
    "document_objects",
    "input_fingerprint",
    "object_fingerprints",
    "object_kind",
]

#: Document key → (kind, the key of the field that names an object). The kinds are those the
#: decision models put in ``decided_by`` where a model decides with the object.
_OBJECTS: Mapping[str, tuple[str, str | tuple[str, ...] | None]] = {
    # ztsa-ia
    "urlAllowList": ("url-allow-list", "value"),
    "urlDenyList": ("url-deny-list", "value"),
    "customUrlCategories": ("custom-url-category", "name"),
    "ipAddressGroups": ("ip-address-group", "name"),
    "fileProfiles": ("file-profile", "name"),
    "internetAccessRules": ("internet-access-rule", "name"),
    "httpsInspectionRules": ("https-inspection-rule", "name"),
    "inspectionExceptions": ("inspection-exception", "domain"),
    "tlsCertificates": ("tls-certificate", "name"),
    "threatProtectionRules": ("threat-protection-rule", "name"),
    "identityMapping": ("identity-mapping", "ldapDn"),
    # ems
    "managedDomains": ("managed-domain", None),
    "rules": ("ems-rule", ("direction", "kind", "name")),
    "addressGroups": ("address-group", "name"),
    "keywordLists": ("keyword-list", "name"),
    "stamps": ("stamp", "name"),
    "notifications": ("notification", "name"),
    "approvedSenders": ("approved-sender", "address"),
    "blockedSenders": ("blocked-sender", "address"),
    "approvedIps": ("approved-ip", "value"),
    "blockedIps": ("blocked-ip", "value"),
    "dkimVerification": ("dkim-verification", ()),
    "dmarc": ("dmarc", ()),
}

#: Document keys that are not objects of their own.
_DOCUMENT = ("schema", "sourceProduct")


def content_hash(data: bytes) -> str:
    """SHA-256 of a source file's normalised content (no BOM, LF line ends)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def input_fingerprint(files: Iterable[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The fingerprint of an input given its files as (path inside the input, content hash),
    and the files as they count: one shared top folder left out, sorted."""
    entries = [(PurePosixPath(p).parts, h) for p, h in files]
    tops = {parts[0] for parts, _ in entries if len(parts) > 1}
    if entries and len(tops) == 1 and all(len(parts) > 1 for parts, _ in entries):
        entries = [(parts[1:], h) for parts, h in entries]
    listed = tuple(sorted(("/".join(parts), h) for parts, h in entries))
    digest = hashlib.sha256(b"".join(p.encode("utf-8") + b"\0" + h.encode() + b"\n"
                                     for p, h in listed)).hexdigest()
    return f"sha256:{digest}", listed


def object_kind(document_key: str) -> str | None:
    """The kind of the objects under a document key (None: not an object list)."""
    found = _OBJECTS.get(document_key)
    return found[0] if found else None


def _name(obj: Any, field: str | tuple[str, ...] | None) -> str:
    if field is None:
        return str(obj)
    if isinstance(field, tuple):
        return "/".join(str(obj.get(f, "")) for f in field)
    return str(obj.get(field, "")) if isinstance(obj, dict) else str(obj)


def document_objects(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Every object of an output document by its key ``kind:name`` (a repeated key gets
    `` #2``, `` #3``...), plus ``document`` for the document's own fields. Keys the
    document has that isc does not know are objects too (``unknown:KEY``), so that nothing
    added by hand goes unseen."""
    out: dict[str, Any] = {"document": {k: doc.get(k) for k in _DOCUMENT}}
    for key, value in doc.items():
        if key in _DOCUMENT:
            continue
        if key not in _OBJECTS:
            out[f"unknown:{key}"] = value
            continue
        kind, field = _OBJECTS[key]
        items = value if isinstance(value, list) else [] if value is None else [value]
        for item in items:
            base = f"{kind}:{_name(item, field)}" if field != () else kind
            name, n = base, 1
            while name in out:
                n += 1
                name = f"{base} #{n}"
            out[name] = item
    return out


def object_fingerprints(doc: Mapping[str, Any]) -> dict[str, str]:
    """``document_objects`` with the fingerprint of each (16 hex digits of SHA-256)."""
    checked = not has_hard_float(doc)  # once for the document, not once per object
    return {k: hashlib.sha256(compact(v, checked=checked)).hexdigest()[:16]
            for k, v in document_objects(doc).items()}


def document_fingerprint(doc: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(compact(doc)).hexdigest()
