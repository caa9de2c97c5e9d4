"""The reference decision models: plain, obviously correct, and slow.

They decide as spec semantics.md says, scanning every list and every policy in order, with
no index. The production models (:mod:`isc.models.iwsva`, :mod:`isc.models.ztsa`) decide over
indexes built once per policy and must agree with these on every request; the tests check
that (``tests/models/test_indexed_models.py``). Nothing outside the tests calls them.
"""
