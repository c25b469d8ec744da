"""Analytic parameter formulas, one function per transformers model family.

Every formula mirrors the module tree transformers builds for that family (the ground truth of which
parameters exist); each is checked against meta-device instantiation on the shared corpus.
A family function takes ``(cfg, head)`` and returns a :class:`~hubscan.estimate._cfg.Tally`.
"""
