"""More vision-language composites: a text decoder plus a vision tower that other family modules already count.

GLM-4V / GLM-4.6V / GLM-GA / GLM-OCR: a GLM-4-style text decoder (four RMSNorms per layer, fused bias-free
gate/up MLP; GLM-4V's q/k/v always biased, GLM-OCR's never) and the GLM vision towers of ``vision_more``.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.decoders import llama_like
from hubscan.estimate.families.registry import FAMILIES, register
from hubscan.estimate.families.vision import clip_vision
from hubscan.estimate.families.vision_more import (
    cosmos3_edge_vision,
    glm4v_vision,
    glm_ocr_vision,
    internvl_vision,
    lfm3_vl_vision,
    minicpm_vision,
    muse_vision,
    pixtral,
    qianfan_ocr_vision,
    qwen2_5_vl_vision,
    qwen3_vl_deepstack_vision,
    register_own,
    with_defaults,
)
from hubscan.estimate.structural import EXACT_TYPES, count_structural

GLM4V_TEXT = {
    "vocab_size": 151552,
    "hidden_size": 4096,
    "intermediate_size": 13696,
    "num_hidden_layers": 40,
    "num_attention_heads": 32,
    "num_key_value_heads": 2,
}
GLM_OCR_TEXT = {
    "vocab_size": 59392,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 16,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
}


def sub_config(c: Cfg, key: str, defaults: dict) -> Cfg:
    """A nested config as its class sees it (absent -> the class defaults; keys it omits -> defaults)."""
    raw = c.data.get(key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{key} is not an object")
    return with_defaults(Cfg(raw, f"config.{key}"), defaults)


def wrapper_tied(c: Cfg, tc: Cfg) -> bool:
    """transformers 5 ties lm_head when the wrapper's flag is set, or (pre-v5 saves) the text config's."""
    return c.bool("tie_word_embeddings", default=False) or tc.bool("tie_word_embeddings", default=False)


def lm_head_of(t: Tally, c: Cfg, tc: Cfg, head: str, *, tie: bool | None = None) -> Tally:
    """``...ForConditionalGeneration``: a bias-free lm_head over the text width unless tied; the base model adds
    nothing; any other head is unknown."""
    if head == "cond_gen":
        if not (wrapper_tied(c, tc) if tie is None else tie):
            t.add("heads", tc.int("vocab_size") * tc.int("hidden_size"))
    elif head != "model":
        raise NotExact(
            f"output head '{head}' is not modelled for {c.str('model_type', default='this model')}"
        )
    return t


def family_part(c: Cfg, key: str, default_type: str, absent: dict, required: tuple[str, ...]) -> Cfg:
    """A sub-config built by ``AutoConfig``: absent -> the wrapper's init kwargs; present -> its own model type's
    class defaults, which are not modelled here, so the keys in ``required`` must be stated."""
    raw = c.data.get(key)
    if raw is None:
        return Cfg(dict(absent), f"config.{key}")
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{key} is not an object")
    sub = Cfg(raw, f"config.{key}")
    missing = [k for k in required if sub.data.get(k) is None]
    if missing:
        raise NotExact(f"{key} without {', '.join(missing)}: its class defaults are not modelled")
    mt = sub.str("model_type", default=default_type)
    if mt != default_type:
        raise NotExact(
            f"{key}.model_type {mt!r} is not modelled for {c.str('model_type', default='this model')}"
        )
    return sub


_DECODER_KEYS = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads")
_DECODER_KEYS += ("num_key_value_heads",)


def glm4v_text(c: Cfg, head: str, *, qkv_bias: bool = True, defaults: dict = GLM4V_TEXT) -> Tally:
    """GLM-4V text decoder: GLM-4 layer (4 RMSNorms), q/k/v biased (GLM-OCR: not), head_dim = hidden // heads
    for GLM-4V (a config ``head_dim`` is ignored), the config's for GLM-OCR."""
    c = with_defaults(c, defaults)
    if qkv_bias:
        c = Cfg({k: v for k, v in c.data.items() if k != "head_dim"}, c.name)
    if head != "model":  # transformers has no Glm4vText/GlmOcrText head classes
        raise NotExact(
            f"output head '{head}' is not modelled for {c.str('model_type', default='glm4v_text')}"
        )
    return llama_like(c, head, qkv_bias=qkv_bias, o_bias=False, norms_per_layer=4)


def glm4v(c: Cfg, head: str, *, ocr: bool = False) -> Tally:
    """GLM-4V-style composite: ``visual`` (GLM vision tower) + ``language_model`` (+ lm_head)."""
    tc = sub_config(c, "text_config", GLM_OCR_TEXT if ocr else GLM4V_TEXT)
    t = glm4v_text(tc, "model", qkv_bias=not ocr, defaults=GLM_OCR_TEXT if ocr else GLM4V_TEXT)
    vc = sub_config(c, "vision_config", {})
    t.merge((glm_ocr_vision if ocr else glm4v_vision)(vc, "model"))
    return lm_head_of(t, c, tc, head)


register("glm4v_text", glm4v_text, "Glm4vText", name="glm4v_text")
register("glm_ocr_text", lambda c, h: glm4v_text(c, h, qkv_bias=False, defaults=GLM_OCR_TEXT), "GlmOcrText")
register("glm4v", glm4v, "Glm4v")
register(("glm46v", "glmga"), glm4v, "Glm46V")
register("glm_ocr", lambda c, h: glm4v(c, h, ocr=True), "GlmOcr", name="glm_ocr")


LIGHTON_VISION = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24, "num_channels": 3}
LIGHTON_VISION.update(num_attention_heads=16, patch_size=14, image_size=1540, head_dim=64)
LIGHTON_TEXT = {"vocab_size": 151936, "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28}
LIGHTON_TEXT.update(num_attention_heads=16, num_key_value_heads=8, head_dim=128, model_type="qwen3")


def lighton_ocr(c: Cfg, head: str) -> Tally:
    """LightOn-OCR: Pixtral vision encoder, projector (RMSNorm, bias-free patch merger over spatial_merge_size²
    patches, two bias-free Linears), Qwen3 language model; lm_head tied by the wrapper flag (default true)."""
    vc = family_part(c, "vision_config", "pixtral", LIGHTON_VISION, ("hidden_size", "intermediate_size"))
    tc = family_part(c, "text_config", "qwen3", LIGHTON_TEXT, (*_DECODER_KEYS, "head_dim"))
    t = FAMILIES["qwen3"].formula(tc, "model")
    t.merge(pixtral(vc, "model"))
    vh, th, m = vc.int("hidden_size"), tc.int("hidden_size"), c.int("spatial_merge_size", default=2)
    t.add("other", vh + vh * m * m * vh + vh * th + th * th)
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("lighton_ocr", lighton_ocr, "LightOnOcr")


PADDLE_VISION = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_channels": 3}
PADDLE_VISION.update(num_attention_heads=16, image_size=384, patch_size=14, spatial_merge_size=2)
PADDLE_TEXT = {"vocab_size": 103424, "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 18}
PADDLE_TEXT.update(num_attention_heads=16, num_key_value_heads=2, head_dim=128, use_bias=False)


def paddleocr_text(c: Cfg, head: str) -> Tally:
    """PaddleOCR-VL text decoder: Llama layout; ``use_bias`` biases q/k/v/o and the gated MLP alike."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for paddleocr_vl_text")
    c = with_defaults(c, PADDLE_TEXT)
    b = c.bool("use_bias")
    c = Cfg({**c.data, "mlp_bias": b}, c.name)
    return llama_like(c, head, qkv_bias=b, o_bias=b)


def paddleocr_vl(c: Cfg, head: str) -> Tally:
    """PaddleOCR-VL: SigLIP-layout vision tower (no pooling head), projector (LayerNorm over the vision width,
    two biased Linears over spatial_merge_size² stacked patches), PaddleOCR text decoder."""
    tc = sub_config(c, "text_config", PADDLE_TEXT)
    vc = sub_config(c, "vision_config", PADDLE_VISION)
    t = paddleocr_text(tc, "model")
    t.merge(clip_vision(vc, siglip=True, use_head=False))
    vh, m = vc.int("hidden_size"), vc.int("spatial_merge_size")
    t.add("other", 2 * vh + linear(vh * m * m, vh * m * m) + linear(vh * m * m, tc.int("hidden_size")))
    tie = c.bool("tie_word_embeddings", default=True) or tc.bool("tie_word_embeddings", default=True)
    return lm_head_of(t, c, tc, head, tie=tie)


register("paddleocr_vl", paddleocr_vl, "PaddleOCRVL")


def internvl(c: Cfg, head: str, *, qianfan: bool = False) -> Tally:
    """InternVL / Qianfan-OCR: InternVL vision tower, projector (LayerNorm and Linear over the pixel-shuffled
    vision width, GELU, Linear), a Qwen2 (Qianfan-OCR: Qwen3) language model built by ``AutoConfig``."""
    text_type = "qwen3" if qianfan else "qwen2"
    raw = c.data.get("text_config")
    if not isinstance(raw, dict):
        raise NotExact(
            f"text_config absent or not an object: the {text_type} class defaults are not modelled"
        )
    tc = family_part(c, "text_config", text_type, {}, _DECODER_KEYS)
    vc = sub_config(c, "vision_config", {})
    t = FAMILIES[text_type].formula(tc, "model")
    t.merge((qianfan_ocr_vision if qianfan else internvl_vision)(vc, "model"))
    ratio = c.num("downsample_ratio", default=0.5)
    if not 0 < ratio <= 1:
        raise ConfigProblem(f"downsample_ratio={ratio!r} must be in (0, 1]")
    d = vc.int("hidden_size", default=1024) * int(1 / ratio) ** 2
    th = tc.int("hidden_size")
    t.add("other", 2 * d + linear(d, th) + linear(th, th))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=not qianfan))


register("internvl", internvl, "InternVL")
register("qianfan_ocr", lambda c, h: internvl(c, h, qianfan=True), "QianfanOCR", name="qianfan_ocr")


_TEXT_REQUIRED = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
)


def _auto_part(c: Cfg, key: str, model_type: str) -> tuple[Cfg, Tally]:
    """A sub-model transformers builds with ``AutoModel`` from a sub-config of a fixed model type: an absent or
    partial vision sub-config takes that type's class defaults (which its formula models)."""
    sub = family_part(c, key, model_type, {}, ())
    return sub, FAMILIES[model_type].formula(sub, "model")


def deepseek_vl_hybrid(c: Cfg, head: str) -> Tally:
    """DeepSeek-VL hybrid: SAM high-resolution tower + an extra neck (1x1 and 3x3 bias-free convs, two
    LayerNorms) + two strided bias-free 3x3 convs (x2, x4 channels) + a scalar alpha; SigLIP tower; aligner
    (two Linears to half the text width, one Linear text -> text); Llama language model."""
    if not c.has("text_config"):
        raise NotExact("text_config absent: the llama class defaults are not modelled")
    tc = family_part(c, "text_config", "llama", {}, _TEXT_REQUIRED)
    t = FAMILIES["llama"].formula(tc, "model")
    hc, high = _auto_part(c, "high_res_vision_config", "sam_vision_model")
    vc, low = _auto_part(c, "vision_config", "siglip_vision_model")
    t.merge(high)
    t.merge(low)
    o = hc.int("output_channels", default=256)
    sam_h = hc.int("hidden_size", default=768)
    neck = sam_h * o + 2 * o + o * o * 9 + 2 * o
    proj = o * 2 * o * 9 + 2 * o * 4 * o * 9
    th = tc.int("hidden_size")
    aligner = linear(vc.int("hidden_size", default=768), th // 2) + linear(4 * o, th // 2) + linear(th, th)
    t.add("other", neck + proj + 1 + aligner)
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("deepseek_vl_hybrid", deepseek_vl_hybrid, "DeepseekVLHybrid")


PP_CHART2TABLE_VISION = {
    "hidden_size": 768,
    "output_channels": 256,
    "num_hidden_layers": 12,
    "patch_size": 16,
}
PP_CHART2TABLE_VISION.update(num_attention_heads=12, num_channels=3, image_size=1024, qkv_bias=True)
PP_CHART2TABLE_VISION.update(use_abs_pos=True, use_rel_pos=True, window_size=14, mlp_dim=3072)
PP_CHART2TABLE_VISION.update(global_attn_indexes=[2, 5, 8, 11])


def pp_chart2table(c: Cfg, head: str) -> Tally:
    """PP-Chart2Table builds GOT-OCR2's classes; its vision sub-config has its own class defaults."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the wrapper's Qwen2 init kwargs are not modelled")
    vc = sub_config(c, "vision_config", PP_CHART2TABLE_VISION)
    return FAMILIES["got_ocr2"].formula(Cfg({**c.data, "vision_config": vc.data}, c.name), head)


register("pp_chart2table", pp_chart2table, "GotOcr2", name="pp_chart2table")


OVIS2_VISION = {"hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 24, "num_channels": 3}
OVIS2_VISION.update(image_size=224, patch_size=14, qkv_bias=False, mlp_bias=False, vocab_size=16384)
OVIS2_VISION.update(hidden_stride=1, num_visual_indicator_tokens=5)


def ovis2_vision(v: Cfg) -> int:
    """Ovis2VisionModel: biased patch conv, one position per patch, RMSNorm; RMSNorm blocks with q/k/v/out
    (qkv_bias) and a gated MLP (mlp_bias); final RMSNorm; the visual-token head (bias-free Linear over
    hidden_stride² stacked patches, LayerNorm) over vocab_size - num_visual_indicator_tokens."""
    h, inter, p = v.int("hidden_size"), v.int("intermediate_size"), v.int("patch_size")
    if p <= 0:
        raise ConfigProblem("vision_config.patch_size must be positive")
    n = v.int("num_channels") * p * p * h + h + (v.int("image_size") // p) ** 2 * h + h
    qb, mb = v.bool("qkv_bias"), v.bool("mlp_bias")
    n += v.int("num_hidden_layers") * (
        4 * linear(h, h, qb) + 3 * linear(h, inter, mb) - (h if mb else 0) + 2 * h
    )
    s = v.int("hidden_stride")
    visual = v.int("vocab_size") - v.int("num_visual_indicator_tokens")
    return n + h + h * s * s * visual + 2 * visual


def ovis2(c: Cfg, head: str) -> Tally:
    """Ovis2: vision model, a visual embedding table (vision vocab x the wrapper's hidden_size), a Qwen2 language
    model; lm_head is sized by the wrapper's hidden_size and vocab_size and tied by default."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the qwen2 class defaults are not modelled")
    tc = family_part(c, "text_config", "qwen2", {}, _TEXT_REQUIRED)
    vc = sub_config(c, "vision_config", OVIS2_VISION)
    t = FAMILIES["qwen2"].formula(tc, "model")
    t.add("vision", ovis2_vision(vc))
    H = c.int("hidden_size", default=1536)
    t.add("other", vc.int("vocab_size") * H)
    if head == "cond_gen" and not c.bool("tie_word_embeddings", default=True):
        t.add("heads", H * c.int("vocab_size", default=151643))
    elif head not in ("model", "cond_gen"):
        raise NotExact(f"output head '{head}' is not modelled for ovis2")
    return t


register("ovis2", ovis2, "Ovis2")


OVIS2_5_VISION = {"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27, "num_channels": 3}
OVIS2_5_VISION.update(num_attention_heads=16, patch_size=16, image_size=512, spatial_merge_size=2)
OVIS2_5_VISION.update(vocab_size=65536, num_visual_indicator_tokens=4)


def ovis2_5_vision(c: Cfg, head: str) -> Tally:
    """Ovis2.5 vision model: the SigLIP layout without pooling head (rotary positions add no parameters)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for ovis2_5_vision")
    t = clip_vision(with_defaults(c, OVIS2_5_VISION), siglip=True, use_head=False)
    t.has_kv = False
    return t


def ovis2_5(c: Cfg, head: str) -> Tally:
    """Ovis2.5: vision model; projector (bias-free Linear over spatial_merge_size² stacked patches to the visual
    vocabulary minus indicator tokens, LayerNorm, bias-free visual-vocabulary x text-width table); Qwen3."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the qwen3 class defaults are not modelled")
    tc = family_part(c, "text_config", "qwen3", {}, _TEXT_REQUIRED)
    vc = sub_config(c, "vision_config", OVIS2_5_VISION)
    t = FAMILIES["qwen3"].formula(tc, "model")
    t.merge(ovis2_5_vision(vc, "model"))
    m, vv = vc.int("spatial_merge_size"), vc.int("vocab_size")
    visual = vv - vc.int("num_visual_indicator_tokens")
    t.add("other", vc.int("hidden_size") * m * m * visual + 2 * visual + vv * tc.int("hidden_size"))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("ovis2_5_vision", ovis2_5_vision, "Ovis2_5Vision", name="ovis2_5_vision")
register("ovis2_5", ovis2_5, "Ovis2_5")


def hyperclovax_text(c: Cfg) -> Tally:
    """The HyperCLOVAX decoder (Granite layout; ``use_post_norm`` adds two Peri-LN RMSNorms per layer)."""
    return llama_like(c, "model", norms_per_layer=4 if c.bool("use_post_norm", default=False) else 2)


def hyperclovax_vision_v2(c: Cfg, head: str) -> Tally:
    """HyperCLOVAX-Vision v2: Qwen2.5-VL vision tower, one biased Linear projector, HyperCLOVAX decoder."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the hyperclovax class defaults are not modelled")
    tc = family_part(c, "text_config", "hyperclovax", {}, (*_TEXT_REQUIRED, "num_key_value_heads"))
    raw = c.data.get("vision_config")
    if isinstance(raw, dict) and raw.get("model_type") == "qwen2_5_vl":  # the Hub spelling, renamed on load
        c = Cfg({**c.data, "vision_config": {**raw, "model_type": "qwen2_5_vl_vision"}}, c.name)
    vc = family_part(c, "vision_config", "qwen2_5_vl_vision", {}, ())
    t = hyperclovax_text(tc)
    t.merge(qwen2_5_vl_vision(vc, "model"))
    t.add("other", linear(vc.int("out_hidden_size", default=3584), tc.int("hidden_size")))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("hyperclovax_vision_v2", hyperclovax_vision_v2, "HyperCLOVAXVisionV2")


def text_model(sub: Cfg) -> Tally:
    """The base text model (no head) a composite builds with ``AutoModel`` from a text sub-config: by its family
    formula, or by the structural estimator where the coverage run verified it exact for that model type."""
    mt = sub.str("model_type", default="")
    fam = FAMILIES.get(mt)
    if fam is not None:
        return fam.formula(sub, "model")
    if mt not in EXACT_TYPES:
        raise NotExact(f"text model_type {mt!r} has no exact count")
    t = count_structural({k: v for k, v in sub.data.items() if k != "architectures"})
    if t.approx:
        raise NotExact("; ".join(t.approx))
    return t


MINICPM_TEXT_REQUIRED = (*_TEXT_REQUIRED, "num_key_value_heads", "layer_types")


def minicpm_v(c: Cfg, head: str, *, tie_default: bool = False) -> Tally:
    """MiniCPM-V 4.6 / 4.7 / MiniCPM-OCR: SigLIP-layout tower with the window-attention merger, a merger of
    ``merger_times`` downsampling MLPs (LayerNorm, Linear, Linear over 4x the vision width; the last one to the
    text width), and a Qwen3.5 text model (structural count, verified for qwen3_5_text)."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the qwen3_5_text class defaults are not modelled")
    tc = family_part(c, "text_config", "qwen3_5_text", {}, MINICPM_TEXT_REQUIRED)
    t = text_model(tc)
    vc = sub_config(c, "vision_config", {})
    t.merge(minicpm_vision(vc, "model"))
    w, th = 4 * vc.int("hidden_size", default=768), tc.int("hidden_size")
    times = c.int("merger_times", default=1)
    if times < 1:
        raise ConfigProblem(f"merger_times={times} must be at least 1")
    t.add("other", times * (2 * w + linear(w, w)) + (times - 1) * linear(w, w // 4) + linear(w, th))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=tie_default))


register("minicpmv4_6", minicpm_v, "MiniCPMV4_6", name="minicpmv4_6")
register("minicpmv4_7", minicpm_v, "MiniCPMV4_7", name="minicpmv4_7")
register("minicpm_ocr", lambda c, h: minicpm_v(c, h, tie_default=True), "MiniCPMOcr", name="minicpm_ocr")


def lfm3_vl(c: Cfg, head: str) -> Tally:
    """LFM3-VL: LFM3-VL vision tower, projector (LayerNorm over the vision width, Linear over
    spatial_merge_size² stacked tokens to projector_hidden_size, Linear to the text width; projector_bias), and
    an LFM3 text model (structural count, verified for lfm3)."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the lfm3 class defaults are not modelled")
    tc = family_part(c, "text_config", "lfm3", {}, MINICPM_TEXT_REQUIRED)
    t = text_model(tc)
    vc = sub_config(c, "vision_config", {})
    t.merge(lfm3_vl_vision(vc, "model"))
    vh = vc.int("hidden_size", default=1024)
    merged = vh * vc.int("spatial_merge_size", default=2) ** 2
    P, b = c.int("projector_hidden_size", default=4096), c.bool("projector_bias", default=True)
    t.add("other", 2 * vh + linear(merged, P, b) + linear(P, tc.int("hidden_size"), b))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("lfm3_vl", lfm3_vl, "Lfm3Vl")


def cosmos3_edge(c: Cfg, head: str) -> Tally:
    """Cosmos3-Edge: its vision tower, a patch merger (LayerNorm over the vision width, Linear over
    spatial_merge_size² stacked tokens to projector_hidden_size, Linear to the text width, both biased) and the
    Cosmos3-Edge text model (structural count, verified for cosmos3_edge_text)."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the cosmos3_edge_text class defaults are not modelled")
    raw = {"model_type": "cosmos3_edge_text", **c.data["text_config"]}
    tc = family_part(
        Cfg({**c.data, "text_config": raw}), "text_config", "cosmos3_edge_text", {}, _TEXT_REQUIRED
    )
    t = text_model(tc)
    vc = sub_config(c, "vision_config", {})
    t.merge(cosmos3_edge_vision(vc, "model"))
    vh = vc.int("hidden_size", default=1152)
    merged = vh * vc.int("spatial_merge_size", default=2) ** 2
    P = c.int("projector_hidden_size", default=11520)
    t.add("other", 2 * vh + linear(merged, P) + linear(P, tc.int("hidden_size")))
    return lm_head_of(t, c, tc, head, tie=False)  # no tied-weights mapping: lm_head is never tied


register("cosmos3_edge", cosmos3_edge, "Cosmos3Edge")


MUSE_GLIMMER_TEXT = {"vocab_size": 202048, "hidden_size": 6656, "intermediate_size": 19968, "head_dim": 128}
MUSE_GLIMMER_TEXT.update(num_hidden_layers=52, num_attention_heads=32, num_key_value_heads=2)
MUSE_GLIMMER_TEXT.update(attention_bias=False, sliding_window=2048)


def muse_glimmer_text(c: Cfg, head: str) -> Tally:
    """Muse Glimmer text model: Llama-style attention (attention_bias on q/k/v/o) plus a bias-free output gate
    (hidden -> heads x head_dim), scale-free q/k norms, four centred RMSNorms per layer, a scale-free embedding
    norm and a final RMSNorm; bias-free gated MLP."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for muse_glimmer_text")
    c = with_defaults(c, MUSE_GLIMMER_TEXT)
    t = llama_like(c, head, norms_per_layer=4)
    nh = c.int("num_attention_heads")
    t.add("attention", c.int("num_hidden_layers") * c.int("hidden_size") * nh * c.int("head_dim"))
    return t


def muse_glimmer(c: Cfg, head: str) -> Tally:
    """Muse Glimmer: Muse vision tower, vision adapter (two bias-free Linears: out_hidden_size ->
    projector_hidden_size -> projector_hidden_size), bias-free projection to the text width, Glimmer text."""
    tc = sub_config(c, "text_config", MUSE_GLIMMER_TEXT)
    t = muse_glimmer_text(tc, "model")
    t.merge(muse_vision(sub_config(c, "vision_config", {}), "model"))
    P = c.int("projector_hidden_size", default=4096)
    t.add("other", c.int("out_hidden_size", default=6144) * P + P * P + P * tc.int("hidden_size"))
    # the wrapper config has no tie flag of its own: only a stated top-level flag ties lm_head
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=False))


register("muse_glimmer_text", muse_glimmer_text, "MuseGlimmerText", name="muse_glimmer_text")
register("muse_glimmer", muse_glimmer, "MuseGlimmer")


JANUS_VISION = {"hidden_size": 1024, "num_hidden_layers": 24, "num_channels": 3, "image_size": 384}
JANUS_VISION.update(patch_size=16, mlp_ratio=4.0, attention_bias=True, projection_dim=2048, use_qk_norm=False)
JANUS_VISION.update(depth=2)
JANUS_VQ = {"embed_dim": 8, "num_embeddings": 16384, "double_latent": False, "latent_channels": 256}
JANUS_VQ.update(in_channels=3, base_channels=128, channel_multiplier=[1, 1, 2, 2, 4], num_res_blocks=2)
JANUS_VQ.update(out_channels=3, projection_dim=2048, num_hidden_layers=2, image_token_embed_dim=2048)


def _conv(cin: int, cout: int, k: int = 3) -> int:
    return cin * cout * k * k + cout


def _res_block(cin: int, cout: int) -> int:
    """GroupNorm, 3x3 conv, GroupNorm, 3x3 conv, and a 1x1 shortcut conv when the width changes."""
    return (
        2 * cin
        + _conv(cin, cout)
        + 2 * cout
        + _conv(cout, cout)
        + (_conv(cin, cout, 1) if cin != cout else 0)
    )


def _attn_block(ch: int) -> int:
    return 2 * ch + 4 * _conv(ch, ch, 1)  # GroupNorm, q/k/v/proj_out 1x1 convs


def _vq_coders(q: Cfg) -> int:
    """The VQ-VAE encoder and decoder: conv_in, per-resolution residual blocks (attention blocks at the lowest
    resolution), down/upsampling convs, a mid block, GroupNorm and conv_out."""
    mult, bc, nrb = q.ints("channel_multiplier"), q.int("base_channels"), q.int("num_res_blocks")
    lat, R = q.int("latent_channels"), len(mult)
    if R == 0:
        raise ConfigProblem("vq_config.channel_multiplier is empty")
    mid = lambda ch: 2 * _res_block(ch, ch) + _attn_block(ch)  # noqa: E731
    n, ch = _conv(q.int("in_channels"), bc), bc
    for i, m in enumerate(mult):
        for _ in range(nrb):
            n += _res_block(ch, bc * m) + (_attn_block(bc * m) if i == R - 1 else 0)
            ch = bc * m
        n += _conv(ch, ch) if i != R - 1 else 0
    n += mid(ch) + 2 * ch + _conv(ch, 2 * lat if q.bool("double_latent") else lat)
    ch = bc * mult[-1]
    n += _conv(lat, ch) + mid(ch)
    for i in reversed(range(R)):
        for _ in range(nrb + 1):
            n += _res_block(ch, bc * mult[i]) + (_attn_block(bc * mult[i]) if i == R - 1 else 0)
            ch = bc * mult[i]
        n += _conv(ch, ch) if i != 0 else 0
    return n + 2 * ch + _conv(ch, q.int("out_channels"))


def _janus_vision(v: Cfg) -> int:
    """Janus vision model (SigLIP layout, MLP width hidden x mlp_ratio, optional q/k LayerNorms) + aligner."""
    h, p, b = v.int("hidden_size"), positive("patch_size", v.int("patch_size")), v.bool("attention_bias")
    inter = int(h * v.num("mlp_ratio"))
    layer = 3 * linear(h, h, b) + linear(h, h) + 4 * h + linear(h, inter) + linear(inter, h)
    layer += 4 * h if v.bool("use_qk_norm") else 0
    n = v.int("num_channels") * p * p * h + h + (v.int("image_size") // p) ** 2 * h
    n += v.int("num_hidden_layers") * layer + 2 * h
    P = v.int("projection_dim")
    return n + linear(h, P) + (v.int("depth") - 1) * linear(P, P)


def janus(c: Cfg, head: str) -> Tally:
    """Janus: vision model + aligner; VQ-VAE (encoder, codebook, quant convs, decoder); generation embeddings,
    aligner and head; a Llama language model; lm_head tied by the wrapper flag (default true)."""
    if not isinstance(c.data.get("text_config"), dict):
        raise NotExact("text_config absent: the llama class defaults are not modelled")
    tc = family_part(c, "text_config", "llama", {}, _TEXT_REQUIRED)
    t = FAMILIES["llama"].formula(tc, "model")
    t.add("vision", _janus_vision(sub_config(c, "vision_config", JANUS_VISION)))
    q = sub_config(c, "vq_config", JANUS_VQ)
    E, ed, lat, P = (
        q.int("num_embeddings"),
        q.int("embed_dim"),
        q.int("latent_channels"),
        q.int("projection_dim"),
    )
    vq = _vq_coders(q) + E * ed + _conv(lat, ed, 1) + _conv(ed, lat, 1)
    gen = E * ed + linear(ed, P) + (q.int("num_hidden_layers") - 1) * linear(P, P)
    gen += linear(q.int("image_token_embed_dim"), P) + linear(P, E)
    t.add("other", vq + gen)
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register("janus", janus, "Janus")
register_own("cohere_compass_vision", qwen3_vl_deepstack_vision, "CohereCompassVision", stem="CohereCompass")


GLM_IMAGE_VISION = {
    "depth": 40,
    "hidden_size": 1536,
    "attention_bias": True,
    "num_heads": 16,
    "in_channels": 3,
}
GLM_IMAGE_VISION.update(image_size=2048, patch_size=16, intermediate_size=6144)


def glm_image_vision(c: Cfg, head: str) -> Tally:
    """GLM-Image vision: learned positions, biased 2-D patch conv, LayerNorm blocks with qkv and proj biased
    by attention_bias and a biased two-Linear MLP; no merger, downsample or final norms."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for glm_image_vision")
    c = with_defaults(c, GLM_IMAGE_VISION)
    h, p, b, inter = (
        c.int("hidden_size"),
        positive("patch_size", c.int("patch_size")),
        c.bool("attention_bias"),
        c.int("intermediate_size"),
    )
    block = 4 * h + linear(h, 3 * h, b) + linear(h, h, b) + linear(h, inter) + linear(inter, h)
    n = (c.int("image_size") // p) ** 2 * h + c.int("in_channels") * p * p * h + h + c.int("depth") * block
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


register_own("glm_image_vision", glm_image_vision, "GlmImageVision", stem="GlmImage")


LLAVA_OV15_VISION = {"depth": 24, "hidden_size": 1024, "intermediate_size": 4096, "num_heads": 16}
LLAVA_OV15_VISION.update(in_channels=3, patch_size=14, spatial_merge_size=2, out_hidden_size=4096)


def llava_onevision1_5_vision(c: Cfg, head: str) -> Tally:
    """LLaVA-OneVision-1.5 vision: bias-free 2-D patch conv, a class embedding and its rotary slot
    (hidden // heads // 2), pre-LayerNorm, LayerNorm blocks with biased qkv / proj and a biased MLP, and the
    patch merger (LayerNorm, Linear over spatial_merge_size² stacked patches, Linear to out_hidden_size)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for llava_onevision1_5_vision")
    c = with_defaults(c, LLAVA_OV15_VISION)
    h, inter, p = c.int("hidden_size"), c.int("intermediate_size"), c.int("patch_size")
    nh = positive("num_heads", c.int("num_heads"))
    block = 4 * h + linear(h, 3 * h) + linear(h, h) + linear(h, inter) + linear(inter, h)
    merged = h * c.int("spatial_merge_size") ** 2
    n = c.int("in_channels") * p * p * h + h + h // nh // 2 + 2 * h + c.int("depth") * block
    n += 2 * h + linear(merged, merged) + linear(merged, c.int("out_hidden_size"))
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


register_own(
    "llava_onevision1_5_vision", llava_onevision1_5_vision, "LlavaOnevision15Vision", stem="LlavaOnevision15"
)


HUNYUAN_VL_VISION = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_attention_heads": 16,
    "num_channels": 3,
}
HUNYUAN_VL_VISION.update(num_hidden_layers=27, patch_size=16, spatial_merge_size=2, max_image_size=2048)
HUNYUAN_VL_VISION.update(text_hidden_size=3072)


def hunyuan_vl_vision(c: Cfg, head: str) -> Tally:
    """HunYuan-VL vision: biased patch conv, a position table for the largest grid plus one, LayerNorm blocks
    (biased q/k/v/o of width heads x head_dim, biased MLP), and the patch merger (merge-window conv to 2x the
    width, 1x1 conv to 4x, Linear to text_hidden_size, image_newline and begin/end/sep vectors, RMSNorms before and after); no final norm."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for hunyuan_vl_vision")
    c = with_defaults(c, HUNYUAN_VL_VISION)
    h, inter, p, m = (
        c.int("hidden_size"),
        c.int("intermediate_size"),
        c.int("patch_size"),
        c.int("spatial_merge_size"),
    )
    nh = positive("num_attention_heads", c.int("num_attention_heads"))
    a, th = nh * c.int("head_dim", default=h // nh), c.int("text_hidden_size")
    grid = c.int("max_image_size") // positive("patch_size", p)
    block = 4 * h + 3 * linear(h, a) + linear(a, h) + linear(h, inter) + linear(inter, h)
    n = c.int("num_channels") * p * p * h + h + (grid * grid + 1) * h + c.int("num_hidden_layers") * block
    n += _conv(h, 2 * h, m) + _conv(2 * h, 4 * h, 1) + linear(4 * h, th) + 4 * h + 3 * th + h + th
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


register_own(
    "hunyuan_vl_vision", hunyuan_vl_vision, stem="HunYuanVL", classes={"HunYuanVLVisionTransformer": "model"}
)


EXAONE4_5_VISION = {"depth": 32, "hidden_size": 3584, "intermediate_size": 3420, "num_heads": 16}
EXAONE4_5_VISION.update(in_channels=3, patch_size=14, spatial_merge_size=2, temporal_patch_size=2)
EXAONE4_5_VISION.update(out_hidden_size=3584, num_key_value_heads=8)


def exaone4_5_vision(c: Cfg, head: str) -> Tally:
    """EXAONE 4.5 vision: the Qwen2.5-VL tower (bias-free Conv3d, RMSNorm blocks, biased gated MLP, RMSNorm +
    two-Linear merger) with a grouped-query fused qkv (heads + 2 x key/value heads, of hidden // heads)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for exaone4_5_vision")
    c = with_defaults(c, EXAONE4_5_VISION)
    h, inter, p, m = (
        c.int("hidden_size"),
        c.int("intermediate_size"),
        c.int("patch_size"),
        c.int("spatial_merge_size"),
    )
    nh = positive("num_heads", c.int("num_heads"))
    qkv = (nh + 2 * c.int("num_key_value_heads")) * (h // nh)
    block = 2 * h + linear(h, qkv) + linear(h, h) + 2 * linear(h, inter) + linear(inter, h)
    merged = h * m * m
    n = c.int("in_channels") * c.int("temporal_patch_size") * p * p * h + c.int("depth") * block
    n += h + linear(merged, merged) + linear(merged, c.int("out_hidden_size"))
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


register_own("exaone4_5_vision", exaone4_5_vision, "Exaone4_5_Vision", stem="Exaone4_5")


GLM5_NEXT_VISION = {
    "depth": 24,
    "hidden_size": 1024,
    "attention_bias": True,
    "num_heads": 16,
    "in_channels": 3,
}
GLM5_NEXT_VISION.update(patch_size=14, spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=1536)
GLM5_NEXT_VISION.update(intermediate_size=4096, projection_intermediate_size=10240)


def glm5_next_vision(c: Cfg, head: str) -> Tally:
    """GLM-5-Next vision: biased Conv3d, RMSNorm blocks (qkv, proj and gated MLP biased by attention_bias,
    q/k RMSNorms of head width), final RMSNorm, merge-window Conv2d downsample (biased) and the bias-free
    merger (proj, LayerNorm, gated MLP at projection_intermediate_size)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for glm5_next_vision")
    c = with_defaults(c, GLM5_NEXT_VISION)
    h, inter, b = c.int("hidden_size"), c.int("intermediate_size"), c.bool("attention_bias")
    p, m, out = c.int("patch_size"), c.int("spatial_merge_size"), c.int("out_hidden_size")
    nh = positive("num_heads", c.int("num_heads"))
    block = 2 * h + linear(h, 3 * h, b) + linear(h, h, b) + 2 * (h // nh) + 2 * linear(h, inter, b)
    block += linear(inter, h, b)
    n = c.int("in_channels") * c.int("temporal_patch_size") * p * p * h + h + c.int("depth") * block + h
    n += _conv(h, out, m) + out * out + 2 * out + 3 * out * c.int("projection_intermediate_size")
    t = Tally()
    t.add("vision", n)
    t.has_kv = False
    return t


register_own("glm5_next_vision", glm5_next_vision, "Glm5NextVision", stem="Glm5Next")
