"""Vision-language composites whose text part is an existing decoder family: Qwen2-VL, BLIP-2, InstructBLIP.

Qwen2-VL's vision tower (``qwen2_vl_vision``): a bias-free Conv3d patch embedding, pre-LN ViT blocks with
LayerNorms, a fused biased qkv and a two-Linear MLP (``mlp_ratio``), and a patch merger (LayerNorm over the
vision width, then two Linears over ``spatial_merge_size``² stacked patches into the text width).
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.registry import FAMILIES, architecture_of, register

# keys a flat (pre-text_config) Qwen2-VL config must state: Qwen2VLTextConfig's defaults differ from Qwen2's
_TEXT_KEYS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")


def qwen2_vl_vision(v: Cfg) -> int:
    E = positive("vision_config.embed_dim", v.int("embed_dim", default=1280))
    depth = v.int("depth", default=32)
    out = v.int("hidden_size", default=3584)
    mlp = int(E * v.num("mlp_ratio", default=4))
    p = v.int("patch_size", default=14)
    tp = v.int("temporal_patch_size", default=2)
    m = v.int("spatial_merge_size", default=2)
    n = v.int("in_channels", default=3) * tp * p * p * E
    n += depth * (2 * 2 * E + linear(E, 3 * E) + linear(E, E) + linear(E, mlp) + linear(mlp, E))
    merged = E * m * m
    return n + 2 * E + linear(merged, merged) + linear(merged, out)


def _qwen2_text(c: Cfg) -> tuple[Tally, Cfg]:
    raw = c.data.get("text_config")
    if raw is None:  # flat hub config: the text keys sit at the root
        missing = [k for k in (*_TEXT_KEYS, "num_key_value_heads") if c.data.get(k) is None]
        if missing:
            raise NotExact(
                f"flat Qwen2-VL config without {', '.join(missing)}: class defaults are not modelled"
            )
        raw = c.data
    if not isinstance(raw, dict):
        raise ConfigProblem("text_config is not an object")
    tc = Cfg({**raw, "model_type": "qwen2"}, "config.text_config")
    return FAMILIES["qwen2"].formula(tc, "model"), tc


def qwen2_vl(c: Cfg, head: str) -> Tally:
    t, tc = _qwen2_text(c)
    raw = c.data.get("vision_config")
    if not isinstance(raw, dict):
        raise NotExact("vision_config absent or not an object: its class defaults are not modelled")
    t.add("vision", qwen2_vl_vision(Cfg(raw, "config.vision_config")))
    if head == "cond_gen":
        tie = c.bool("tie_word_embeddings", default=False) or tc.bool("tie_word_embeddings", default=False)
        if not tie:
            t.add("heads", tc.int("vocab_size") * tc.int("hidden_size"))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for qwen2_vl")
    return t


register("qwen2_vl", qwen2_vl, "Qwen2VL")


def _blip2_vision(v: Cfg) -> int:
    """BLIP-2 / InstructBLIP ViT: class token, biased patch conv, positions, fused qkv (q and v biases only)."""
    h = positive("vision_config.hidden_size", v.int("hidden_size", default=1408))
    L = v.int("num_hidden_layers", default=39)
    inter = v.int("intermediate_size", default=6144)
    p = positive("vision_config.patch_size", v.int("patch_size", default=14))
    img = v.int("image_size", default=224)
    qkv_bias = 3 * h if v.bool("qkv_bias", default=True) else 0  # one 3h bias vector (its k third is zeros)
    n = h + linear(3 * p * p, h) + ((img // p) ** 2 + 1) * h
    n += L * (3 * h * h + qkv_bias + linear(h, h) + 2 * 2 * h + linear(h, inter) + linear(inter, h))
    return n + 2 * h


def _qformer(q: Cfg, enc_h: int, *, instruct: bool) -> int:
    """Q-Former: BERT layers over the query tokens, cross-attention to the vision features every n-th layer.
    InstructBLIP's also embeds the instruction text (word and position tables) and always builds both FFNs."""
    if q.str("position_embedding_type", default="absolute") != "absolute":
        raise NotExact("a Q-Former with relative position embeddings is not modelled")
    h = positive("qformer_config.hidden_size", q.int("hidden_size", default=768))
    L = q.int("num_hidden_layers", default=12)
    inter = q.int("intermediate_size", default=3072)
    freq = positive("cross_attention_frequency", q.int("cross_attention_frequency", default=2))
    ffn = linear(h, inter) + linear(inter, h) + 2 * h
    n_ffn = 2 if instruct or q.bool("use_qformer_text_input", default=False) else 1
    cross = linear(h, h) + 2 * linear(enc_h, h) + linear(h, h) + 2 * h
    n = 2 * h  # layernorm (InstructBLIP: the embeddings' LayerNorm)
    if instruct:
        n += (q.int("vocab_size", default=30522) + q.int("max_position_embeddings", default=512)) * h
    n += L * (4 * linear(h, h) + 2 * h + n_ffn * ffn) + len(range(0, L, freq)) * cross
    return n


def blip2(c: Cfg, head: str, *, instruct: bool = False) -> Tally:
    """BLIP-2 (its base model keeps the language model's head) and InstructBLIP(-Video) (base model without)."""
    subs = {}
    for key in ("vision_config", "qformer_config", "text_config"):
        raw = c.data.get(key)
        if not isinstance(raw, dict):
            raise NotExact(f"BLIP-2 without an explicit {key} is not modelled")
        subs[key] = Cfg(raw, f"config.{key}")
    tc = subs["text_config"]
    mt = tc.str("model_type", default="opt")
    text_head = {"opt": "causal_lm", "t5": "cond_gen"}.get(mt)
    if text_head is None or mt not in FAMILIES:
        raise NotExact(f"BLIP-2 with a {mt!r} language model is not modelled")
    arch = architecture_of(c.data)
    if head not in ("model", "cond_gen") or (
        arch and not arch.endswith(("Model", "ForConditionalGeneration"))
    ):
        # e.g. Blip2ForImageTextRetrieval or *WithProjection: related classes with other modules
        raise NotExact(
            f"architectures[0]={arch!r} is not modelled for {c.str('model_type', default='blip-2')}"
        )
    t = FAMILIES[mt].formula(tc, "model" if instruct and head == "model" else text_head)
    vh = subs["vision_config"].int("hidden_size", default=1408)
    qh = subs["qformer_config"].int("hidden_size", default=768)
    t.add("vision", _blip2_vision(subs["vision_config"]))
    qformer = _qformer(subs["qformer_config"], vh, instruct=instruct)
    t.add("other", c.int("num_query_tokens", default=32) * qh + qformer)
    t.add("other", linear(qh, tc.int("hidden_size", "d_model")))  # language_projection
    return t


register("blip-2", blip2, "Blip2")
for _kind, _prefix in (("instructblip", "InstructBlip"), ("instructblipvideo", "InstructBlipVideo")):
    register(_kind, lambda c, h: blip2(c, h, instruct=True), _prefix, name=_kind)
