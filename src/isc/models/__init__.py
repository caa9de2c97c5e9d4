"""Executable decision models of the source products and the targets (spec semantics.md).

Models import only :mod:`isc.ir`; back-ends, passes and the API use them as oracles.
Web: :mod:`~isc.models.iwsva` (source) and :mod:`~isc.models.ztsa` (target); mail:
:mod:`~isc.models.imsva` (source) and :mod:`~isc.models.ems` (target), sharing
:mod:`~isc.models.mailmatch` (addresses, parties, direction).
"""
