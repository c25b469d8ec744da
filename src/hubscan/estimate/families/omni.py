"""Modern vision-language and omni composites whose text and vision parts other family modules already count.

Each composite here is the sum of its parts as transformers builds them (language model, towers, projectors,
lm_head); the parts' formulas live with their families (``moe_decoders``, ``vision_more``, ...). A composite
whose sub-config is absent or omits keys whose class defaults are not modelled is ``unknown``.
"""

from __future__ import annotations

import math

from hubscan.estimate.families.common import Cfg, NotExact, Tally, claim_heads
from hubscan.estimate.families.registry import FAMILIES, register


def part(c: Cfg, key: str, model_type: str) -> Cfg:
    """A stated sub-config of a composite (absent -> unknown: its class defaults are not modelled here)."""
    raw = c.data.get(key)
    if not isinstance(raw, dict):
        raise NotExact(f"{key} absent or not an object: the {model_type} class defaults are not modelled")
    mt = raw.get("model_type", model_type)
    if mt != model_type:
        raise NotExact(f"{key}.model_type {mt!r} is not modelled here (expected {model_type!r})")
    return Cfg({**raw, "model_type": model_type}, f"config.{key}")


def family(model_type: str, sub: Cfg, head: str = "model") -> Tally:
    """The count of a sub-model by its own family formula (``architectures`` of the sub-config ignored)."""
    data = {k: v for k, v in sub.data.items() if k != "architectures"}
    return FAMILIES[model_type].formula(Cfg(data, sub.name), head)


def _heads_of(c: Cfg, head: str, *heads: str) -> None:
    claim_heads(head, *heads, family=c.str("model_type", default="this model"))


# ----------------------------------------------------------------------------- Inkling-2 (+ loop), Inkling MM


def inkling2(c: Cfg, head: str, *, text_type: str = "inkling2_text") -> Tally:
    """Inkling-2 (and Inkling-2 Loop): the Inkling-2 text model and vision tower; the conditional-generation
    class adds an untied bias-free lm_head over the unpadded vocabulary (the text formula's causal-LM head)."""
    _heads_of(c, head, "cond_gen")
    t = family(text_type, part(c, "text_config", text_type), "causal_lm" if head == "cond_gen" else "model")
    t.merge(family("inkling2_vision", part(c, "vision_config", "inkling2_vision")))
    return t


def _prime_factors(n: int) -> list[int]:
    out = []
    while n % 2 == 0:
        out.append(2)
        n //= 2
    for p in range(3, math.isqrt(n) + 1, 2):
        while n % p == 0:
            out.append(p)
            n //= p
    if n > 1:
        out.append(n)
    return out


def _cumprod(xs: list[int]) -> list[int]:
    out, acc = [], 1
    for x in xs:
        acc *= x
        out.append(acc)
    return out


def inkling_scales(tp: int, p: int, L: int, C: int) -> list[tuple[int, int, int, int]]:
    """Inkling's ``plan_out_scales``: the (t, h, w, channels) grid of each encoder stage, picked per stage as the
    scale whose log size is nearest to an even log spacing. Near-ties (where float32 rounding in transformers
    could pick another scale) and the assignment case (fewer layers than scales) are NotExact."""
    h = _cumprod(_prime_factors(p)[::-1])
    t = _cumprod(_prime_factors(tp)[::-1])
    if not h or L < 1:
        raise NotExact("an Inkling vision tower with patch_size 1 or no layers is not modelled")
    scales = [(1, 1, 1, C)]
    scales += [(1, x, x, math.ceil(x * x * C / 64) * 64) for x in h]
    scales += [(x, h[-1], h[-1], math.ceil(h[-1] ** 2 * C * x) * 64) for x in t]
    if len(scales) > L:
        raise NotExact(
            "an Inkling vision tower with fewer layers than scales (an assignment) is not modelled"
        )
    logs = [math.log(a * b * d) for a, b, d, _ in scales]
    top = math.log(p * p * tp * C)
    idxs = []
    for i in range(L + 1):
        target = top * i / L
        costs = sorted((abs(target - lg), j) for j, lg in enumerate(logs))
        if len(costs) > 1 and costs[1][0] - costs[0][0] < 1e-4:
            raise NotExact("two Inkling vision scales are equally near a stage: float32 rounding decides")
        idxs.append(costs[0][1])
    idxs[0], idxs[-1] = 0, len(scales) - 1
    return [scales[i] for i in idxs]


def inkling_vision(v: Cfg, text_h: int) -> int:
    """InklingVisionModel: one bias-free Linear per stage over the folded input (RMSNorm after all but the last,
    which projects to the text width), and a final RMSNorm."""
    L = v.int("num_hidden_layers", "n_layers", default=24)
    scales = inkling_scales(
        v.int("temporal_patch_size", default=2),
        v.int("patch_size", default=40),
        L,
        v.int("num_channels", default=3),
    )
    n = text_h
    for i, (s, e) in enumerate(zip(scales[:-1], scales[1:], strict=True)):
        fold = (e[0] // s[0]) * (e[1] // s[1]) * (e[2] // s[2])
        out = text_h if i == L - 1 else e[3]
        n += s[3] * fold * out + (0 if i == L - 1 else out)
    return n


def inkling_mm(c: Cfg, head: str) -> Tally:
    """Inkling MM: Inkling text model, an audio tower (one table of n_mel_bins x mel_vocab_size rows at the text
    width, RMSNorm), the staged vision encoder, and an untied lm_head over the (padded) vocabulary."""
    _heads_of(c, head, "cond_gen")
    tc = part(c, "text_config", "inkling_text")
    t = family("inkling_text", tc, "causal_lm" if head == "cond_gen" else "model")
    th = tc.int("hidden_size")
    a = c.sub("audio_config", default={})
    t.add("other", a.int("n_mel_bins", default=80) * a.int("mel_vocab_size", default=256) * th + th)
    t.add("vision", inkling_vision(c.sub("vision_config", default={}), th))
    return t


register("inkling2", inkling2, "Inkling2", classes={"Inkling2ForConditionalGeneration": "cond_gen"})
register(
    "inkling2_loop",
    lambda c, h: inkling2(c, h, text_type="inkling2_loop_text"),
    "Inkling2Loop",
    name="inkling2_loop",
)
register("inkling_mm_model", inkling_mm, "Inkling", name="inkling_mm_model")
