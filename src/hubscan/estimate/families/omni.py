"""Modern vision-language and omni composites whose text and vision parts other family modules already count.

Each composite here is the sum of its parts as transformers builds them (language model, towers, projectors,
lm_head); the parts' formulas live with their families (``moe_decoders``, ``vision_more``, ...). A composite
whose sub-config is absent or omits keys whose class defaults are not modelled is ``unknown``.
"""

from __future__ import annotations

import math

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.audio_more import qwen3_asr_encoder
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    claim_heads,
    encoder_tally,
    gated_mlp,
    layer_types,
    linear,
    lm_head,
    sliding_window,
)
from hubscan.estimate.families.decoders import llama_like
from hubscan.estimate.families.multimodal import TEXT_DEFAULTS, _text
from hubscan.estimate.families.ocr_doc import radio
from hubscan.estimate.families.registry import FAMILIES, register
from hubscan.estimate.families.speech_lm import muse_spark_audio
from hubscan.estimate.families.vision_more import (
    hy_v4_vl_vision,
    muse_vision,
    qwen2_5_vl_vision,
    qwen3_vl_deepstack_vision,
    with_defaults,
)
from hubscan.estimate.families.vl_more import lm_head_of, text_model


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


# ----------------------------------------------------------------------------- Muse Spark (+ text, audio), assistant

MUSE_SPARK_TEXT = {"vocab_size": 202048, "hidden_size": 8192, "intermediate_size": 16384, "head_dim": 64}
MUSE_SPARK_TEXT.update(num_hidden_layers=62, num_attention_heads=128, num_key_value_heads=16)
MUSE_SPARK_TEXT.update(attention_bias=False, sliding_window=2048, moe_intermediate_size=4096)
MUSE_SPARK_TEXT.update(num_local_experts=256, num_experts_per_tok=8, moe_hidden_size=4096)
MUSE_SPARK_AUDIO = {"patch_sizes": [16, 6, 5, 4], "hidden_sizes": [256, 512, 1024, 2048], "depths": [2] * 4}
MUSE_SPARK_AUDIO.update(num_hidden_layers=4, mlp_ratio=4.0, conv_kernel_size=7, out_hidden_size=8192)


def _muse_spark_moe(c: Cfg, t: Tally, h: int) -> None:
    """One sparse layer: fp32 router, projection into the expert width (centred RMSNorm), experts with fused
    gate/up and an input-scaled RMSNorm after them, projection back."""
    E, k = c.int("num_local_experts"), c.int("num_experts_per_tok")
    mh, mi = c.int("moe_hidden_size"), c.int("moe_intermediate_size")
    t.add("other", E * h + 2 * h * mh + 2 * mh)
    t.experts(E * 3 * mh * mi, min(k, E) * 3 * mh * mi)


def muse_spark_text(c: Cfg, head: str) -> Tally:
    """Muse Spark text model: normed (scale-free) embedding; per layer q/k/v/o (attention_bias) plus a bias-free
    output gate, scale-free q/k and output norms, three scaled RMSNorms and two residual gates of the hidden
    width, and a dense gated MLP or the sparse block (``mlp_layer_types``); final RMSNorm."""
    _heads_of(c, head)
    c = with_defaults(c, MUSE_SPARK_TEXT)
    h, L, V = c.int("hidden_size"), c.int("num_hidden_layers"), c.int("vocab_size")
    nh, kv, hd = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.int("head_dim")
    kinds = c.list("mlp_layer_types", default=["sparse"] * L)
    if len(kinds) != L or any(k not in ("sparse", "dense") for k in kinds):
        raise NotExact("mlp_layer_types must say sparse or dense for every layer")
    b = c.bool("attention_bias")
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b) + h * nh * hd))
    t.add("norms", L * 3 * h + h)
    t.add("other", L * 2 * h)
    for kind in kinds:
        if kind == "sparse":
            _muse_spark_moe(c, t, h)
        else:
            t.add("mlp", gated_mlp(h, c.int("intermediate_size")))
    lt = layer_types(c, L) or ["full_attention"] * L
    w = sliding_window(c)
    t.kv_layers += [KVLayer(2 * kv * hd, w if x == "sliding_attention" else None, nh * hd) for x in lt]
    return t


def muse_spark(c: Cfg, head: str) -> Tally:
    """Muse Spark: Muse vision tower, vision adapter (two bias-free Linears out_hidden_size ->
    projector_hidden_size -> projector_hidden_size), bias-free projection to the text width, the text model,
    the audio tower and an untied lm_head (the wrapper has no tie flag; only a stated top-level flag ties it)."""
    _heads_of(c, head, "cond_gen")
    tc = c.sub("text_config", default={})
    t = muse_spark_text(tc, "model")
    th = with_defaults(tc, MUSE_SPARK_TEXT).int("hidden_size")
    t.merge(muse_vision(c.sub("vision_config", default={}), "model"))
    t.merge(muse_spark_audio(c.sub("audio_config", default={}), "model"))
    P = c.int("projector_hidden_size", default=4096)
    t.add("other", c.int("out_hidden_size", default=6144) * P + P * P + P * th)
    return lm_head_of(
        t, c, with_defaults(tc, MUSE_SPARK_TEXT), head, tie=c.bool("tie_word_embeddings", default=False)
    )


MUSE_GLIMMER_ASSISTANT = {"hidden_size": 6656, "intermediate_size": 19968, "num_hidden_layers": 5}
MUSE_GLIMMER_ASSISTANT.update(
    num_attention_heads=32, num_key_value_heads=8, head_dim=128, sliding_window=2048
)


def muse_glimmer_assistant(c: Cfg, head: str) -> Tally:
    """Muse Glimmer assistant (a drafter): Llama-style layers with q/k RMSNorms of head width and no token
    embedding, a final RMSNorm, and the context projection (bias-free Linear from the concatenated hidden
    states of ``target_layer_ids`` to the hidden width, RMSNorm)."""
    _heads_of(c, head)
    c = with_defaults(c, MUSE_GLIMMER_ASSISTANT)
    L = c.int("num_hidden_layers")
    if c.raw("layer_types") is None:
        c = Cfg({**c.data, "layer_types": ["sliding_attention"] * L}, c.name)
    t = llama_like(Cfg({**c.data, "vocab_size": 0}, c.name), "model", qk_norm="head_dim")
    h = c.int("hidden_size")
    targets = c.list("target_layer_ids", default=[1, 13, 25, 37, 49])
    t.add("other", len(targets) * h * h + h)
    return t


register("muse_spark_text", muse_spark_text, "MuseSparkText", name="muse_spark_text")
register("muse_spark", muse_spark, "MuseSpark")
register("muse_glimmer_assistant", muse_glimmer_assistant, "MuseGlimmerAssistant")


# ----------------------------------------------------------------------------- HY-V4-VL (+ text)

HY_V4_VL_TEXT = {
    "vocab_size": 120832,
    "hidden_size": 6144,
    "intermediate_size": 18432,
    "num_hidden_layers": 78,
}
HY_V4_VL_TEXT.update(moe_intermediate_size=2048, num_attention_heads=64, attention_bias=False)
HY_V4_VL_TEXT.update(n_routed_experts=256, n_shared_experts=1, num_experts_per_tok=8, q_lora_rank=2048)
HY_V4_VL_TEXT.update(kv_lora_rank=512, qk_nope_head_dim=192, qk_rope_head_dim=64, v_head_dim=256)
HY_V4_VL_TEXT.update(index_head_dim=128, index_n_heads=32, hc_mult=4)


def _hy_v4_vl_attention(c: Cfg, h: int, indexer: bool) -> int:
    """MLA (q and kv low-rank with RMSNorms; attention_bias on q_a, kv_a and o), a bias-free output gate of
    heads x v_head_dim, per-head sinks; a layer with its own indexer adds its q/k projections, the key
    LayerNorm and the head-weight projection."""
    nh, b = c.int("num_attention_heads"), c.bool("attention_bias")
    qr, kvr, rope = c.int("q_lora_rank"), c.int("kv_lora_rank"), c.int("qk_rope_head_dim")
    nope, vd = c.int("qk_nope_head_dim"), c.int("v_head_dim")
    n = linear(h, qr, b) + qr + qr * nh * (nope + rope) + linear(h, kvr + rope, b) + kvr
    n += kvr * nh * (nope + vd) + linear(nh * vd, h, b) + h * nh * vd + nh
    if indexer:
        ih, ihd = c.int("index_n_heads"), c.int("index_head_dim")
        n += qr * ih * ihd + h * ihd + 2 * ihd + h * ih
    return n


def hy_v4_vl_text(c: Cfg, head: str) -> Tally:
    """HY-V4-VL text model: MLA + DSA-indexer attention (indexer on "full" layers of ``indexer_types``), dense
    gated MLP or routed experts with fp32 router and shared experts (``mlp_layer_types``), two RMSNorms and two
    hyper-connections (2 x hc_mult mixes over hc_mult x hidden streams) per layer, final RMSNorm and HC head."""
    _heads_of(c, head)
    c = with_defaults(c, HY_V4_VL_TEXT)
    h, L, V, m = c.int("hidden_size"), c.int("num_hidden_layers"), c.int("vocab_size"), c.int("hc_mult")
    mlps = c.list("mlp_layer_types", default=["dense"] * min(1, L) + ["sparse"] * max(L - 1, 0))
    idx = c.list(
        "indexer_types", default=["full" if i == 0 or (i - 1) % 4 == 0 else "shared" for i in range(L)]
    )
    if (
        len(mlps) != L
        or len(idx) != L
        or not set(mlps) <= {"dense", "sparse"}
        or not set(idx) <= {"full", "shared"}
    ):
        raise NotExact("mlp_layer_types / indexer_types must describe every layer")
    E, k, mi = c.int("n_routed_experts"), c.int("num_experts_per_tok"), c.int("moe_intermediate_size")
    t = Tally()
    t.embed(V * h)
    for kind, ix in zip(mlps, idx, strict=True):
        t.add("attention", _hy_v4_vl_attention(c, h, ix == "full"))
        if kind == "sparse":
            t.add("other", E * h)
            t.experts(E * 3 * h * mi, min(k, E) * 3 * h * mi)
            t.add("mlp", gated_mlp(h, mi * c.int("n_shared_experts")))
        else:
            t.add("mlp", gated_mlp(h, c.int("intermediate_size")))
    t.add("norms", 2 * L * h + h)
    t.add("other", L * 2 * (2 * m * m * h + 2 * m + 2) + m * m * h + m + 1)
    latent = c.int("kv_lora_rank") + c.int("qk_rope_head_dim")
    t.kv_layers += [KVLayer(latent, None, c.int("num_attention_heads") * c.int("v_head_dim"))] * L
    return t


def hy_v4_vl(c: Cfg, head: str) -> Tally:
    """HY-V4-VL: the text model, the HY-V4-VL vision tower, and an fp32 lm_head tied only by the wrapper flag."""
    _heads_of(c, head, "cond_gen")
    tc = with_defaults(c.sub("text_config", default={}), HY_V4_VL_TEXT)
    t = hy_v4_vl_text(tc, "model")
    t.merge(hy_v4_vl_vision(c.sub("vision_config", default={}), "model"))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("hy_v4_vl_text", hy_v4_vl_text, "HYV4VLText", name="hy_v4_vl_text")
register("hy_v4_vl", hy_v4_vl, "HYV4VL")


# ----------------------------------------------------------------------------- pi0 / pi0.5 (PaliGemma + action expert)

PI0_VLM = {"projection_dim": 2048, "image_token_id": 257152}
PI0_VLM["text_config"] = {
    "model_type": "gemma",
    "hidden_size": 2048,
    "num_hidden_layers": 18,
    "vocab_size": 257152,
}
PI0_VLM["text_config"].update(intermediate_size=16384, num_attention_heads=8, num_key_value_heads=1)
PI0_VLM["vision_config"] = {
    "model_type": "siglip_vision_model",
    "intermediate_size": 4304,
    "hidden_size": 1152,
}
PI0_VLM["vision_config"].update(patch_size=14, image_size=224, num_hidden_layers=27, num_attention_heads=16)
PI0_VLM["vision_config"].update(vocab_size=257152, vision_use_head=False)
PI0_DIT = {"hidden_size": 1024, "num_hidden_layers": 18, "intermediate_size": 4096, "num_attention_heads": 8}
PI0_DIT.update(num_key_value_heads=1, head_dim=256)


def _pi_parts(c: Cfg) -> tuple[Tally, Cfg]:
    """The PaliGemma base model (``vlm_config``; absent -> the wrapper's init kwargs) and the Gemma action
    expert's config (``dit_config``; absent -> init kwargs; its vocabulary is the VLM's)."""
    raw = c.data.get("vlm_config")
    vlm = Cfg(PI0_VLM if raw is None else raw, "config.vlm_config")
    if not isinstance(vlm.data, dict):
        raise ConfigProblem("vlm_config is not an object")
    if vlm.str("model_type", default="paligemma") != "paligemma":
        raise NotExact("a pi0 vlm_config other than PaliGemma is not modelled")
    t = FAMILIES["paligemma"].formula(vlm, "model")
    V = _text(vlm, "gemma", PI0_VLM["text_config"])[3]
    raw = c.data.get("dit_config")
    if raw is not None and (not isinstance(raw, dict) or raw.get("model_type", "gemma") != "gemma"):
        raise NotExact("a pi0 dit_config other than a Gemma object is not modelled")
    dit = with_defaults(Cfg(PI0_DIT if raw is None else raw, "config.dit_config"), TEXT_DEFAULTS["gemma"])
    return t, Cfg({**dit.data, "vocab_size": V, "model_type": "gemma"}, dit.name)


def pi0(c: Cfg, head: str) -> Tally:
    """pi0: PaliGemma + a Gemma action expert (a full GemmaModel, token embedding included); the
    conditional-generation class adds the action/time embedding (action and state projections in, a two-Linear
    time MLP over twice the expert width) and the action projection out, all biased."""
    _heads_of(c, head, "cond_gen")
    t, dit = _pi_parts(c)
    t.merge(FAMILIES["gemma"].formula(dit, "model"))
    if head == "cond_gen":
        d, A = dit.int("hidden_size"), c.int("max_action_dim", default=32)
        S = c.int("max_state_dim", default=32)
        t.add("other", linear(A, d) + linear(S, d) + linear(2 * d, d) + linear(d, d) + linear(d, A))
    return t


def pi05(c: Cfg, head: str) -> Tally:
    """pi0.5: PaliGemma + an action expert without token embedding whose RMSNorms are adaptive (a biased Linear
    from the timestep embedding to scale, shift and gate: 3 x width); Gemma attention and gated MLP; the
    conditional-generation class adds action projection in and out and a two-Linear time MLP, all biased."""
    _heads_of(c, head, "cond_gen")
    t, dit = _pi_parts(c)
    d, L = dit.int("hidden_size"), dit.int("num_hidden_layers")
    nh, kv = dit.int("num_attention_heads"), dit.int("num_key_value_heads")
    hd, b = dit.int("head_dim"), dit.bool("attention_bias", default=False)
    t.add("attention", L * attention(d, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * gated_mlp(d, dit.int("intermediate_size")))
    t.add("norms", (2 * L + 1) * linear(d, 3 * d))
    if head == "cond_gen":
        A = c.int("max_action_dim", default=32)
        t.add("other", linear(A, d) + 2 * linear(d, d) + linear(d, A))
    return t


register("pi0", pi0, "PI0")
register("pi05", pi05, "PI05")


# ----------------------------------------------------------------------------- Gemma 3n text

GEMMA3N_TEXT = {
    "vocab_size": 262400,
    "hidden_size": 2048,
    "intermediate_size": 16384,
    "num_hidden_layers": 35,
}
GEMMA3N_TEXT.update(num_attention_heads=8, num_key_value_heads=2, head_dim=256, attention_bias=False)
GEMMA3N_TEXT.update(vocab_size_per_layer_input=262144, hidden_size_per_layer_input=256, altup_num_inputs=4)
GEMMA3N_TEXT.update(num_kv_shared_layers=15, laurel_rank=64, sliding_window=512)


def _gemma3n_shared(c: Cfg, L: int) -> int:
    """The first layer that reuses an earlier layer's keys and values (L when none does); transformers refuses
    a config whose shared layers have a layer type no earlier layer produces."""
    n = c.int("num_kv_shared_layers")
    if n == 0:
        return L
    first = L - n
    kinds = layer_types(c, L) or [
        "full_attention" if (i + 1) % 5 == 0 else "sliding_attention" for i in range(L)
    ]
    if first < 0 or set(kinds[:first]) != set(kinds):
        raise ConfigProblem("num_kv_shared_layers leaves a layer type without a layer producing its cache")
    return first


def gemma3n_text(c: Cfg, head: str) -> Tally:
    """Gemma 3n text model: per layer q (q_norm) and o, k/v (k_norm, scale-free v_norm) only on layers that do
    not reuse another layer's cache, a gated MLP of the layer's intermediate_size, four RMSNorms, AltUp
    (output scale, n x n correction, n x n^2 prediction, router and its norm), LAuReL (rank-r residual and norm)
    and the per-layer input gate / projection / norm; the model adds the per-layer embedding table and its
    projection and norm, (n - 1) AltUp projections in and out, and a final norm; lm_head tied by default."""
    _heads_of(c, head, "causal_lm")
    c = with_defaults(c, GEMMA3N_TEXT)
    h, L, V = c.int("hidden_size"), c.int("num_hidden_layers"), c.int("vocab_size")
    nh, kv, hd, b = (
        c.int("num_attention_heads"),
        c.int("num_key_value_heads"),
        c.int("head_dim"),
        c.bool("attention_bias"),
    )
    inter = c.raw("intermediate_size")
    inters = c.ints("intermediate_size") if isinstance(inter, list) else [c.int("intermediate_size")] * L
    if len(inters) != L:
        raise ConfigProblem("intermediate_size lists one width per layer")
    n, p, r = c.int("altup_num_inputs"), c.int("hidden_size_per_layer_input"), c.int("laurel_rank")
    first = _gemma3n_shared(c, L)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (linear(h, nh * hd, b) + hd + linear(nh * hd, h, b)))
    t.add("attention", first * (2 * linear(h, kv * hd, b) + hd))
    t.add("mlp", sum(gated_mlp(h, i) for i in inters))
    t.add("norms", L * 5 * h + h)
    t.add("other", L * (h + n * n + n**3 + h * n + h + 2 * h * r + h + 2 * h * p))
    t.add("other", c.int("vocab_size_per_layer_input") * L * p + h * L * p + p + 2 * (n - 1) * h * h)
    w = sliding_window(c)
    kinds = layer_types(c, L) or [
        "full_attention" if (i + 1) % 5 == 0 else "sliding_attention" for i in range(L)
    ]
    t.kv_layers += [
        KVLayer(2 * kv * hd if i < first else 0, w if k == "sliding_attention" else None, nh * hd)
        for i, k in enumerate(kinds)
    ]
    lm_head(t, c, head, V, h, tie_default=True)
    return t


register("gemma3n_text", gemma3n_text, "Gemma3nText", classes={"Gemma3nForCausalLM": "causal_lm"})


# ----------------------------------------------------------------------------- Qwen2.5-Omni / Qwen3-Omni thinkers

QWEN2_5_OMNI_AUDIO = {"num_mel_bins": 128, "encoder_layers": 32, "encoder_ffn_dim": 5120, "d_model": 1280}
QWEN2_5_OMNI_AUDIO.update(output_dim=3584)
QWEN2_5_OMNI_TEXT = {"vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944}
QWEN2_5_OMNI_TEXT.update(num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4)


def qwen_omni_audio(a: Cfg) -> Tally:
    """The Qwen2.5-Omni audio encoder: Whisper's (two biased Conv1d, pre-LN layers with a bias-free key, final
    LayerNorm) with sinusoidal positions (a buffer), then a biased projection to output_dim and a two-row
    begin/end-of-audio table."""
    d, L, ffn = a.int("d_model"), a.int("encoder_layers"), a.int("encoder_ffn_dim")
    out = a.int("output_dim")
    t = encoder_tally(L, d)
    t.add("audio", linear(a.int("num_mel_bins") * 3, d) + linear(3 * d, d) + 2 * d)
    t.add("audio", L * (3 * linear(d, d) + d * d + linear(d, ffn) + linear(ffn, d) + 4 * d))
    t.add("audio", linear(d, out) + 2 * out)
    return t


def qwen2_5_omni_thinker(c: Cfg, head: str) -> Tally:
    """Qwen2.5-Omni thinker: audio encoder, the Qwen2.5-VL vision tower, a Qwen2 text model (biased q/k/v) and an
    lm_head tied by the wrapper flag (default false)."""
    _heads_of(c, head, "cond_gen")
    tc = with_defaults(c.sub("text_config", default={}), QWEN2_5_OMNI_TEXT)
    t = FAMILIES["qwen2"].formula(Cfg({**tc.data, "model_type": "qwen2"}, tc.name), "model")
    t.merge(qwen2_5_vl_vision(c.sub("vision_config", default={}), "model"))
    t.merge(qwen_omni_audio(with_defaults(c.sub("audio_config", default={}), QWEN2_5_OMNI_AUDIO)))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("qwen2_5_omni_thinker", qwen2_5_omni_thinker, "Qwen2_5OmniThinker")


QWEN3_OMNI_AUDIO = {**QWEN2_5_OMNI_AUDIO, "downsample_hidden_size": 480}
QWEN3_OMNI_TEXT = {
    "vocab_size": 3584,
    "hidden_size": 2048,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
}
QWEN3_OMNI_TEXT.update(num_attention_heads=28, num_key_value_heads=4, moe_intermediate_size=768)
QWEN3_OMNI_TEXT.update(num_experts_per_tok=8, num_experts=128, decoder_sparse_step=1)


def qwen3_omni_moe_thinker(c: Cfg, head: str) -> Tally:
    """Qwen3-Omni-MoE thinker: the Qwen3-ASR-style audio encoder (three Conv2d, bias-free conv_out, biased
    layers) with two biased projections (d_model -> d_model -> output_dim), the Qwen3-VL vision tower with
    deepstack mergers, a Qwen3-MoE text model, and an lm_head tied by the wrapper flag (default false)."""
    _heads_of(c, head, "cond_gen")
    tc = with_defaults(c.sub("text_config", default={}), QWEN3_OMNI_TEXT)
    t = FAMILIES["qwen3_moe"].formula(Cfg({**tc.data, "model_type": "qwen3_moe"}, tc.name), "model")
    t.merge(qwen3_vl_deepstack_vision(c.sub("vision_config", default={}), "model"))
    a = with_defaults(c.sub("audio_config", default={}), QWEN3_OMNI_AUDIO)
    t.merge(qwen3_asr_encoder(a, "model"))
    d = a.int("d_model")
    t.add("audio", linear(d, d) + linear(d, a.int("output_dim")))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("qwen3_omni_moe_thinker", qwen3_omni_moe_thinker, "Qwen3OmniMoeThinker")


# ----------------------------------------------------------------------------- Molmo2 (+ text)

MOLMO2_TEXT = {"hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128}
MOLMO2_TEXT.update(vocab_size=151936, additional_vocab_size=128, attention_bias=False, qk_norm_type="qwen3")
MOLMO2_TEXT.update(num_hidden_layers=36, intermediate_size=12288)
MOLMO2_VISION = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 25, "head_dim": 72}
MOLMO2_VISION.update(num_attention_heads=16, num_key_value_heads=16, patch_size=14, num_channels=3)
MOLMO2_VISION.update(attention_bias=True)
MOLMO2_ADAPTER = {"hidden_size": 1152, "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 72}
MOLMO2_ADAPTER.update(attention_bias=True, intermediate_size=18944, text_hidden_size=3584, mlp_bias=False)


def molmo2_text(c: Cfg, head: str) -> Tally:
    """Molmo2 text model: an embedding over vocab_size + additional_vocab_size; q/k/v (attention_bias), bias-free
    o, q/k RMSNorms per head ("qwen3") or over the whole projection ("olmo"), gated MLP, two RMSNorms."""
    _heads_of(c, head)
    c = with_defaults(c, MOLMO2_TEXT)
    h, L, nh, kv, hd = (
        c.int(k)
        for k in (
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "head_dim",
        )
    )
    kind, b = c.str("qk_norm_type"), c.bool("attention_bias")
    if kind not in ("qwen3", "olmo"):
        raise ConfigProblem(f"qk_norm_type {kind!r} is neither qwen3 nor olmo")
    norms = 2 * hd if kind == "qwen3" else (nh + kv) * hd
    t = Tally()
    t.embed((c.int("vocab_size") + c.int("additional_vocab_size")) * h)
    t.add("attention", L * (attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b) + norms))
    t.add("mlp", L * gated_mlp(h, c.int("intermediate_size")))
    t.add("norms", 2 * L * h + h)
    t.kv_layers += [KVLayer(2 * kv * hd, None, nh * hd)] * L
    return t


def _molmo2_attention(c: Cfg, d_in: int) -> int:
    """Molmo2's vision attention: q/k/v from ``d_in`` and o to the hidden width, all biased by attention_bias."""
    h, nh, kv, hd = (
        c.int(k) for k in ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim")
    )
    b = c.bool("attention_bias")
    return linear(d_in, nh * hd, b) + 2 * linear(d_in, kv * hd, b) + linear(nh * hd, h, b)


def _molmo2_parts(c: Cfg) -> tuple[Cfg, Cfg]:
    """The vision and adapter sub-configs as transformers reads them: the released checkpoints' key names
    (image_default_input_size, image_patch_size, image_num_pos, vit_layers) and, for a legacy ``vit_config``,
    the ViT trimmed to the deepest layer the adapter reads."""
    legacy = c.data.get("vision_config") is None and isinstance(c.data.get("vit_config"), dict)
    v = c.sub("vit_config" if legacy else "vision_config", default={})
    a = c.sub("adapter_config", default={})
    renames = {
        "image_default_input_size": "image_size",
        "image_patch_size": "patch_size",
        "image_num_pos": "num_position_embeddings",
    }
    vd = {renames.get(k, k): val for k, val in v.data.items()}
    ad = {("vision_feature_layer" if k == "vit_layers" else k): val for k, val in a.data.items()}
    v = with_defaults(Cfg(vd, v.name), MOLMO2_VISION)
    a = with_defaults(Cfg(ad, a.name), {**MOLMO2_ADAPTER, "vision_feature_layer": [24, 18]})
    size = v.ints("image_size", default=[378, 378])
    p = v.int("patch_size")
    if len(size) != 2 or p <= 0:
        raise ConfigProblem("molmo2 vision image_size must list height and width, patch_size be positive")
    if v.raw("num_position_embeddings") is None:
        v = Cfg({**v.data, "num_position_embeddings": (size[0] // p) * (size[1] // p)}, v.name)
    layers = a.list("vision_feature_layer")
    if legacy:
        n = v.int("num_hidden_layers")
        v = Cfg({**v.data, "num_hidden_layers": max(x % n for x in layers) + 1}, v.name)
    return v, a


def molmo2(c: Cfg, head: str) -> Tally:
    """Molmo2: a SigLIP-style ViT (learned positions, biased linear patch embedding, LayerNorm layers; no final
    norm), the adapter (attention pooling over the concatenated features of ``vision_feature_layer`` and a gated
    projector to the text width), the Molmo2 text model and an lm_head over vocab_size, never tied."""
    _heads_of(c, head, "cond_gen")
    tc = with_defaults(c.sub("text_config", default={}), MOLMO2_TEXT)
    t = molmo2_text(tc, "model")
    v, a = _molmo2_parts(c)
    h, inter, p = v.int("hidden_size"), v.int("intermediate_size"), v.int("patch_size")
    layer = 4 * h + _molmo2_attention(v, h) + linear(h, inter) + linear(inter, h)
    t.add("vision", v.int("num_position_embeddings") * h + linear(p * p * v.int("num_channels"), h))
    t.add("vision", v.int("num_hidden_layers") * layer)
    ah, ai, mb = a.int("hidden_size"), a.int("intermediate_size"), a.bool("mlp_bias")
    t.add("other", _molmo2_attention(a, ah * len(a.list("vision_feature_layer"))))
    t.add("other", 2 * linear(ah, ai, mb) + ai * a.int("text_hidden_size"))
    # no tied-weights mapping (the embedding also covers the additional vocabulary)
    return lm_head_of(t, c, tc, head, tie=False)


register("molmo2_text", molmo2_text, "Molmo2Text", name="molmo2_text")
register("molmo2", molmo2, "Molmo2")


# ----------------------------------------------------------------------------- ERNIE-4.5-VL-MoE

ERNIE_VL_TEXT = {
    "vocab_size": 103424,
    "hidden_size": 2560,
    "intermediate_size": 12288,
    "num_hidden_layers": 28,
}
ERNIE_VL_TEXT.update(num_attention_heads=20, num_key_value_heads=4, use_bias=False, moe_k=6)
ERNIE_VL_TEXT.update(moe_num_experts=64, moe_num_shared_experts=2, moe_intermediate_size=[1536, 512])
ERNIE_VL_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "in_channels": 3,
    "patch_size": 14,
    "spatial_merge_size": 2,
}
ERNIE_VL_VISION.update(intermediate_size=5120, temporal_merge_size=2)


def _ernie_vl_text(c: Cfg) -> Tally:
    """ERNIE-4.5-VL-MoE text model: attention and MLPs biased by use_bias; a sparse layer holds a text and a
    vision expert set (each with an fp32 router and its score-correction bias, experts of
    moe_intermediate_size[0] / [1]) and shared experts of the text width x moe_num_shared_experts."""
    h, L, V = c.int("hidden_size"), c.int("num_hidden_layers"), c.int("vocab_size")
    nh, kv, b = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.bool("use_bias")
    hd = c.int("head_dim", default=h // nh)
    E, k = c.int("moe_num_experts", "num_experts"), c.int("moe_k", "num_experts_per_tok")
    mi = c.ints("moe_intermediate_size")
    kinds = c.list("mlp_layer_types", default=["dense"] + ["sparse"] * (L - 1))
    if len(mi) != 2 or len(kinds) != L or not set(kinds) <= {"dense", "sparse"}:
        raise NotExact(
            "moe_intermediate_size must list the text and vision expert widths, mlp_layer_types every layer"
        )
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    for kind in kinds:
        if kind == "dense":
            t.add("mlp", gated_mlp(h, c.int("intermediate_size"), b))
            continue
        t.add("other", 2 * (E * h + E))
        t.experts(E * 3 * h * (mi[0] + mi[1]), min(k, E) * 3 * h * mi[0])
        shared = c.int("moe_num_shared_experts")
        t.add("mlp", gated_mlp(h, mi[0] * shared, b) if shared > 0 else 0)
    t.add("norms", 2 * L * h + h)
    t.kv_layers += [KVLayer(2 * kv * hd, None, nh * hd)] * L
    return t


def ernie4_5_vl_moe(c: Cfg, head: str) -> Tally:
    """ERNIE-4.5-VL-MoE: the text model; a ViT (bias-free linear patch embedding, LayerNorm blocks with fused
    biased qkv and a biased MLP, final LayerNorm); the resampler (spatial and temporal two-Linear + LayerNorm
    blocks over merged patches, a Linear to the text width and an RMSNorm); lm_head tied by the wrapper flag."""
    _heads_of(c, head, "cond_gen")
    tc = with_defaults(c.sub("text_config", default={}), ERNIE_VL_TEXT)
    v = with_defaults(c.sub("vision_config", default={}), ERNIE_VL_VISION)
    t = _ernie_vl_text(tc)
    vh, inter, p, th = (
        v.int("hidden_size"),
        v.int("intermediate_size"),
        v.int("patch_size"),
        tc.int("hidden_size"),
    )
    block = 4 * vh + linear(vh, 3 * vh) + linear(vh, vh) + linear(vh, inter) + linear(inter, vh)
    t.add("vision", v.int("in_channels") * p * p * vh + v.int("depth") * block + 2 * vh)
    S = vh * v.int("spatial_merge_size") ** 2
    T = S * v.int("temporal_merge_size")
    t.add("other", linear(S, S) + linear(T, S) + 2 * (linear(S, S) + 2 * S) + linear(S, th) + th)
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("ernie4_5_vl_moe", ernie4_5_vl_moe, "Ernie4_5_VLMoe", "Ernie4_5_VL_Moe")


# ----------------------------------------------------------------------------- RADIO, Nemotron-H omni


def _relu2_projector(d_in: int, d_hidden: int, d_out: int, bias: bool) -> int:
    """RMSNorm over the input, Linear, squared ReLU, Linear."""
    return d_in + linear(d_in, d_hidden, bias) + linear(d_hidden, d_out, bias)


def nemotron_h_omni(c: Cfg, head: str) -> Tally:
    """Nemotron-H omni: a Nemotron-H causal LM (structural count, verified for nemotron_h; its lm_head is never
    tied), the RADIO vision model (video projection at video_temporal_patch_size), a final
    LayerNorm over the vision width when the LM has MTP layers, the squared-ReLU projector over the
    pixel-shuffled vision width, and (with an audio_config) the Parakeet encoder and its projector."""
    _heads_of(c, head)
    raw = c.data.get("text_config", c.data.get("llm_config"))
    if not isinstance(raw, dict):
        raise NotExact("text_config absent: the nemotron_h class defaults are not modelled")
    tc = Cfg({**raw, "model_type": raw.get("model_type", "nemotron_h")}, "config.text_config")
    if tc.str("model_type") != "nemotron_h":
        raise NotExact(f"text model_type {tc.str('model_type')!r} is not modelled for nemotron_h_omni")
    t = text_model(tc)
    th = tc.int("hidden_size")
    t.add("heads", tc.int("vocab_size") * th)  # NemotronHForCausalLM has no tied-weights mapping: never tied
    tp = c.int("video_temporal_patch_size", default=2)
    vc = c.sub("vision_config", default={})
    if vc.str("model_type", default="radio") != "radio":
        raise NotExact("a nemotron_h_omni vision model other than RADIO is not modelled")
    t.merge(radio(with_defaults(vc, {"video_temporal_patch_size": tp}), "model"))
    vh = c.int("vision_hidden_size", "vit_hidden_size", default=1280)
    ratio = c.num("downsample_ratio", default=0.5)
    if not 0 < ratio <= 1:
        raise ConfigProblem(f"downsample_ratio={ratio!r} must be in (0, 1]")
    t.add("vision", 2 * vh if tc.int("num_nextn_predict_layers", default=0) > 0 else 0)
    t.add(
        "other",
        _relu2_projector(vh * int(1 / ratio) ** 2, c.int("projector_hidden_size", default=4096), th, False),
    )
    raw = c.data.get("audio_config", c.data.get("sound_config"))
    if isinstance(raw, dict):
        a = Cfg({"attention_bias": False, "scale_input": False, **raw}, "config.audio_config")
        t.merge(FAMILIES["parakeet_encoder"].formula(a, "model"))
        ah = a.int("hidden_size", default=1024)
        t.add("audio", _relu2_projector(ah, a.int("projection_hidden_size"), th, a.bool("projection_bias")))
    return t


register(
    "nemotron_h_omni",
    nemotron_h_omni,
    name="nemotron_h_omni",
    classes={"NemotronH_Omni_Reasoning_V3": "model"},
)


# ----------------------------------------------------------------------------- Phi-4-multimodal

PHI4MM_VISION = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_channels": 3}
PHI4MM_VISION.update(image_size=448, patch_size=14)
PHI4MM_AUDIO = {"hidden_size": 1024, "intermediate_size": 1536, "num_blocks": 24, "num_attention_heads": 16}
PHI4MM_AUDIO.update(ext_pw_out_channel=1024, depthwise_separable_out_channel=1024, depthwise_multiplier=1)
PHI4MM_AUDIO.update(kernel_size=3, input_size=80, time_reduction=8, bias_max_distance=1000)
PHI4MM_AUDIO.update(bias_symmetric=False, nemo_conv_channels=1024, downsample_rate=1)


def _phi4mm_vision(v: Cfg) -> int:
    """The SigLIP-style tower (biased patch conv, position table, pre-LN layers, post LayerNorm) with its
    attention-pooling head (probe, torch MultiheadAttention, LayerNorm, MLP)."""
    h, inter, p = v.int("hidden_size"), v.int("intermediate_size"), v.int("patch_size")
    if p <= 0:
        raise ConfigProblem("vision_config.patch_size must be positive")
    block_mlp = linear(h, inter) + linear(inter, h)
    n = v.int("num_channels") * p * p * h + h + (v.int("image_size") // p) ** 2 * h
    n += v.int("num_hidden_layers") * (4 * h + 4 * linear(h, h) + block_mlp) + 2 * h
    return n + h + linear(h, 3 * h) + linear(h, h) + 2 * h + block_mlp


def _phi4mm_audio(a: Cfg) -> int:
    """The Phi-4-multimodal conformer: NeMo conv subsampling (a 3x3 conv, then depthwise 3x3 + pointwise 1x1 per
    further halving; Linear over channels x remaining bins), a relative-position bias table, and blocks of two
    macaron MLPs (LayerNorm, fused gate/up, down), biased attention, the GLU / depthwise-separable conv module
    and two LayerNorms."""
    h, inter, nh = a.int("hidden_size"), a.int("intermediate_size"), a.int("num_attention_heads")
    ch, tr = a.int("nemo_conv_channels"), a.int("time_reduction")
    steps = tr.bit_length() - 1
    if tr < 2 or 1 << steps != tr or nh <= 0:
        raise NotExact("a time_reduction that is not a power of two is not modelled")
    bins = a.int("input_size")
    for _ in range(steps):
        bins = (bins - 1) // 2 + 1
    n = ch * 9 + ch + (steps - 1) * (ch * 9 + ch + linear(ch, ch)) + linear(ch * bins, h)
    n += a.int("bias_max_distance") * (1 if a.bool("bias_symmetric") else 2) * nh
    E, D, m, K = (
        a.int(k)
        for k in (
            "ext_pw_out_channel",
            "depthwise_separable_out_channel",
            "depthwise_multiplier",
            "kernel_size",
        )
    )
    ffn = 2 * h + linear(h, 2 * inter) + linear(inter, h)
    conv = 2 * h + linear(h, 2 * E) + 2 * E + linear(K, h * m) + linear(h * m, D) + linear(h, E)
    return n + a.int("num_blocks") * (2 * ffn + 4 * linear(h, nh * (h // nh)) + conv + 4 * h)


def phi4_multimodal(c: Cfg, head: str) -> Tally:
    """Phi-4-multimodal: a Phi-3-style decoder (fused bias-free qkv and gate/up), the image embedding (vision
    tower, up/down projections, two feature-separator vectors), the audio embedding (conformer, up/down
    projections for speech and for vision-speech), lm_head tied by the config flag (default false)."""
    _heads_of(c, head, "causal_lm")
    h, L, V = (
        c.int("hidden_size", default=3072),
        c.int("num_hidden_layers", default=32),
        c.int("vocab_size", default=200064),
    )
    nh = c.int("num_attention_heads", default=32)
    kv, inter = c.int("num_key_value_heads", default=8), c.int("intermediate_size", default=8192)
    hd = c.int("head_dim", default=h // nh)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * (h * (nh + 2 * kv) * hd + nh * hd * h))
    t.add("mlp", L * 3 * h * inter)
    t.add("norms", 2 * L * h + h)
    t.kv_layers += [KVLayer(2 * kv * hd, sliding_window(c), nh * hd)] * L
    v = with_defaults(c.sub("vision_config", default={}), PHI4MM_VISION)
    vh = v.int("hidden_size")
    t.add("vision", _phi4mm_vision(v) + linear(vh, h) + linear(h, h) + 2 * vh)
    a = with_defaults(c.sub("audio_config", default={}), PHI4MM_AUDIO)
    up = a.int("hidden_size") * a.int("downsample_rate")
    t.add("audio", _phi4mm_audio(a) + 2 * (linear(up, h) + linear(h, h)))
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("phi4_multimodal", phi4_multimodal, "Phi4Multimodal")


# ----------------------------------------------------------------------------- Cosmos3-Omni


def cosmos3_omni(c: Cfg, head: str) -> Tally:
    """Cosmos3-Omni: the Qwen3-VL vision tower (its class defaults to three deepstack mergers) and a Qwen3-VL
    text model (structural count, verified for qwen3_vl_text), both built by ``AutoModel``; lm_head tied only by
    the wrapper flag (default false)."""
    _heads_of(c, head, "cond_gen")
    raw = c.data.get("text_config")
    if not isinstance(raw, dict):
        raise NotExact("text_config absent: the qwen3_vl_text class defaults are not modelled")
    tc = Cfg({**raw, "model_type": raw.get("model_type", "qwen3_vl_text")}, "config.text_config")
    if tc.str("model_type") != "qwen3_vl_text":
        raise NotExact(f"text model_type {tc.str('model_type')!r} is not modelled for cosmos3_omni")
    t = text_model(tc)
    t.merge(qwen3_vl_deepstack_vision(c.sub("vision_config", default={}), "model"))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("cosmos3_omni", cosmos3_omni, "Cosmos3Omni")
