"""Executable decision models of the source products and the targets (spec semantics.md).

Models import only :mod:`isc.ir`; back-ends, passes and the API use them as oracles.
"""
