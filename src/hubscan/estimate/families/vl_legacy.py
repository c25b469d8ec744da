"""Older and encoder-decoder multimodal models: Granite-Docling (Idefics3-style tiles + DeepStack connector).

Each formula follows the module tree transformers 5.25 builds for the class on the meta device; heads not listed
in a registration raise NotExact (the answer is ``unknown``, never a guess).
"""

from __future__ import annotations

from hubscan.estimate._cfg import layer_norm
from hubscan.estimate.families.common import (
    KV_KEYS,
    Cfg,
    ConfigProblem,
    KVLayer,
    NotExact,
    Tally,
    attention,
    dims,
    divide,
    encoder_tally,
    gated_mlp,
    head_dim,
    kv_full,
    layer_types,
    linear,
    positive,
    sliding_window,
)
from hubscan.estimate.families.decoders import granite
from hubscan.estimate.families.encoders import BertShape, bert_like
from hubscan.estimate.families.hierarchical import _pair
from hubscan.estimate.families.multimodal import IDEFICS3_VISION, _idefics_vision
from hubscan.estimate.families.registry import FAMILIES
from hubscan.estimate.families.vision import CLIP_VISION, SIGLIP_VISION, clip_vision
from hubscan.estimate.families.vision_cnn import EFFICIENTNET, efficientnet, make_div
from hubscan.estimate.families.vision_more import register_own, with_defaults
from hubscan.estimate.families.vl_more import lm_head_of, sub_config

# GraniteDoclingVisionConfig / GraniteDoclingTextConfig defaults (transformers 5.25).
GRANITE_DOCLING_VISION = {
    **IDEFICS3_VISION,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "num_channels": 3,
    "image_size": 512,
    "patch_size": 16,
    "out_hidden_size": 1024,
    "scale_factor": 4,
    "deepstack_visual_indexes": [3, 7, 10],
    "use_fine_route": True,
}
GRANITE_DOCLING_TEXT = {
    "vocab_size": 133800,
    "hidden_size": 1024,
    "intermediate_size": 2048,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
}


def _docling_path(vh: int, out: int, scale: int, taps: int) -> int:
    """One connector path: pixel-shuffled bias-free projection + one LayerNorm/Linear/Linear merger per tap."""
    merged = vh * scale * scale
    merger = 2 * merged + linear(merged, out) + linear(out, out)
    return merged * out + taps * merger


def granite_docling_vision(c: Cfg, head: str) -> Tally:
    """GraniteDoclingVisionModel: the Idefics3 vision transformer + the coarse (and fine) connector paths."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for granite_docling_vision")
    vc = with_defaults(c, GRANITE_DOCLING_VISION)
    n, vh = _idefics_vision(Cfg({"vision_config": vc.data}), GRANITE_DOCLING_VISION)
    out, scale = vc.int("out_hidden_size"), vc.int("scale_factor")
    taps = len(vc.ints("deepstack_visual_indexes"))
    n += 2 * vh + _docling_path(vh, out, scale, taps)  # ln_in, coarse path
    if vc.bool("use_fine_route"):
        n += _docling_path(vh, out, scale // 2, taps)
    n += 2 * out + out * out + 2 * out  # ln_mid, bias-free mlp_fc2, ln_out
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    return t


def granite_docling(c: Cfg, head: str) -> Tally:
    """GraniteDocling: vision model with connector + Granite text model (+ density router, + lm_head)."""
    tc = sub_config(c, "text_config", GRANITE_DOCLING_TEXT)
    vc = sub_config(c, "vision_config", GRANITE_DOCLING_VISION)
    if vc.int("out_hidden_size") != tc.int("hidden_size"):
        raise ConfigProblem("vision_config.out_hidden_size must equal text_config.hidden_size")
    t = granite(tc, "model")
    t.merge(granite_docling_vision(vc, "model"))
    router = c.int("density_router_hidden_size", default=None)
    if router is not None:
        vh = vc.int("hidden_size")
        t.add("other", linear(vh, 1) + 2 * vh + linear(vh, router) + linear(router, 1))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register_own("granite_docling_vision", granite_docling_vision, "GraniteDoclingVision", stem="GraniteDocling")
register_own("granite_docling", granite_docling, "GraniteDocling")


def _ratio(c: Cfg, key: str) -> float:
    """A width multiplier: a positive number (a zero or negative one would give negative parameter counts)."""
    r = c.num(key)
    if r <= 0:
        raise ConfigProblem(f"{c.name}.{key} = {r!r} must be positive")
    return r


GLM_IMAGE_VQ = {"embed_dim": 2048, "num_embeddings": 16384, "latent_channels": 1536}


def glm_image_vqmodel(c: Cfg, head: str) -> Tally:
    """GlmImageVQVAE: codebook + 1x1 quant_conv / post_quant_conv (no encoder/decoder stacks are built)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for glm_image_vqmodel")
    q = with_defaults(c, GLM_IMAGE_VQ)
    e, n, lat = q.int("embed_dim"), q.int("num_embeddings"), q.int("latent_channels")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", n * e)
    t.add("other", linear(lat, e) + linear(e, lat))
    return t


register_own(
    "glm_image_vqmodel", glm_image_vqmodel, "GlmImageVQ", stem="GlmImage", classes={"GlmImageVQVAE": "model"}
)


# Apertus 1.5: Apertus text decoder (xIELU two-matrix MLP, q/k RMSNorms) + a VQGAN-style image tokenizer encoder
# with an IBQ codebook + WavTokenizer's SEANet encoder as the audio tokenizer.
APERTUS1P5_TEXT = {
    "vocab_size": 266752,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "hidden_act": "xielu",
    "attention_bias": False,
}
APERTUS1P5_VISION = {
    "codebook_size": 131072,
    "embed_dim": 256,
    "latent_channels": 256,
    "in_channels": 3,
    "base_channels": 256,
    "channel_multiplier": [1, 1, 2, 2, 4],
    "num_res_blocks": 4,
    "attn_resolutions": [16],
    "resolution": 256,
}
_PARAM_FREE_ACTS = ("silu", "gelu", "relu", "relu2", "gelu_new", "gelu_pytorch_tanh", "swish")


def apertus1p5_text(c: Cfg) -> Tally:
    """Apertus1p5TextModel: embeddings, layers of (q/k-normed attention, up/down MLP, 2 RMSNorms), final norm."""
    h, L, nh = dims(c)
    kv = c.int(*KV_KEYS, default=nh)
    hd = head_dim(c, h, nh)
    act = c.str("hidden_act")
    if act != "xielu" and act not in _PARAM_FREE_ACTS:
        raise NotExact(f"text_config.hidden_act={act!r} is not modelled")
    b = c.bool("attention_bias")
    t = Tally()
    t.embed(c.int("vocab_size") * h)
    t.add("attention", L * (attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b) + 2 * hd))
    t.add("mlp", L * (2 * h * c.int("intermediate_size") + (2 if act == "xielu" else 0)))
    t.add("norms", (2 * L + 1) * h)
    kv_full(t, L, kv, hd, nh)
    return t


def _group_norm(ch: int) -> int:
    return 2 * ch


def _vq_resnet(cin: int, cout: int) -> int:
    """GroupNorm + 3x3 conv, twice; a 1x1 conv shortcut when the width changes."""
    n = _group_norm(cin) + 9 * cin * cout + cout + _group_norm(cout) + 9 * cout * cout + cout
    return n + (cin * cout + cout if cin != cout else 0)


def _vq_attention(ch: int) -> int:
    return _group_norm(ch) + 4 * linear(ch, ch)  # q, k, v, proj_out as 1x1 convs


def apertus1p5_vision_tokenizer(v: Cfg) -> int:
    """Apertus1p5VisionTokenizerModel: VQGAN encoder stages + middle block, codebook (a Linear), quant_conv."""
    base, mult = v.int("base_channels"), v.ints("channel_multiplier")
    if not mult:
        raise ConfigProblem("vision_config.channel_multiplier is empty")
    res, attn_at, blocks = v.int("resolution"), v.ints("attn_resolutions"), v.int("num_res_blocks")
    n = 9 * v.int("in_channels") * base + base  # conv_in
    for i, m in enumerate(mult):
        cin, cout = base * (1 if i == 0 else mult[i - 1]), base * m
        attn = _vq_attention(cout) if res // 2**i in attn_at else 0
        n += _vq_resnet(cin, cout) + attn + (blocks - 1) * (_vq_resnet(cout, cout) + attn)
        if i < len(mult) - 1:
            n += 9 * cout * cout + cout  # stride-2 downsample conv
    top, lat, e = base * mult[-1], v.int("latent_channels"), v.int("embed_dim")
    n += 2 * _vq_resnet(top, top) + _vq_attention(top) + _group_norm(top) + 9 * top * lat + lat
    return n + e * v.int("codebook_size") + linear(lat, e)


def apertus1p5(c: Cfg, head: str) -> Tally:
    tc = sub_config(c, "text_config", APERTUS1P5_TEXT)
    t = apertus1p5_text(tc)
    t.add("other", apertus1p5_vision_tokenizer(sub_config(c, "vision_config", APERTUS1P5_VISION)))
    ac = sub_config(c, "audio_config", {})
    if ac.str("model_type", default="wavtokenizer_encoder") != "wavtokenizer_encoder":
        raise ConfigProblem("audio_config.model_type must be wavtokenizer_encoder")
    t.merge(FAMILIES["wavtokenizer_encoder"].formula(ac, "model"))
    tie = c.bool("tie_word_embeddings", default=False)
    if head == "cond_gen":
        out = tc.int("output_vocab_size", default=None)
        if tie and out not in (None, tc.int("vocab_size")):
            raise NotExact("a tied lm_head with a pruned output_vocab_size is not modelled")
        if not tie:
            t.add("heads", (out or tc.int("vocab_size")) * tc.int("hidden_size"))
        return t
    return lm_head_of(t, c, tc, head)


register_own("apertus1p5", apertus1p5, "Apertus1p5")


# ALIGN: an EfficientNet image encoder without EfficientNet's top 1x1 conv, a BERT text encoder with its pooler,
# a text projection and a learned temperature.
ALIGN_TEXT = {"vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12}
ALIGN_TEXT.update(intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)
ALIGN_VISION = {**EFFICIENTNET, "image_size": 600}
_NO_XATTN_BERT = BertShape(cross_attention=False)


def align_vision(vc: Cfg) -> int:
    """AlignVisionModel: EfficientNet's stem and MBConv blocks; no top conv (pooling has no parameters)."""
    n = efficientnet(vc, "model").total
    w, div = _ratio(vc, "width_coefficient"), vc.int("depth_divisor")
    top_in = make_div(vc.ints("out_channels")[-1] * w, div)
    return n - (top_in * make_div(1280 * w, div) + 2 * vc.int("hidden_dim"))


def align(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for align")
    tc = sub_config(c, "text_config", ALIGN_TEXT)
    t = bert_like(tc, "model", style="bert", shape=_NO_XATTN_BERT)
    t.add("other", align_vision(sub_config(c, "vision_config", ALIGN_VISION)))
    t.add("heads", linear(tc.int("hidden_size"), c.int("projection_dim", default=640)) + 1)  # + temperature
    return t


register_own("align", align, "Align")


# Kosmos-2: a CLIP vision transformer, a latent-query cross-attention resampler, a Magneto-style text decoder
# (sinusoidal positions are a buffer; a LayerNorm inside self-attention and inside the FFN).
KOSMOS2_TEXT = {"vocab_size": 65037, "embed_dim": 2048, "layers": 24, "ffn_dim": 8192, "attention_heads": 32}
KOSMOS2_VISION = {**CLIP_VISION, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24}
KOSMOS2_VISION.update(num_attention_heads=16, patch_size=14)


def _kosmos2_text(tc: Cfg) -> Tally:
    e, L, f, nh = tc.int("embed_dim"), tc.int("layers"), tc.int("ffn_dim"), tc.int("attention_heads")
    hd = divide("text_config.embed_dim / attention_heads", e, positive("attention_heads", nh))
    t = Tally()
    t.embed(tc.int("vocab_size") * e)
    cross = 4 * linear(e, e) + 2 * e if tc.bool("add_cross_attention", default=False) else 0
    t.add("attention", L * (4 * linear(e, e) + 2 * e + cross))  # + inner_attn_ln
    t.add("mlp", L * (linear(e, f) + 2 * f + linear(f, e)))  # + ffn_layernorm
    t.add("norms", L * 4 * e + 2 * e)
    kv_full(t, L, nh, hd, nh)
    return t


def kosmos2(c: Cfg, head: str) -> Tally:
    tc = sub_config(c, "text_config", KOSMOS2_TEXT)
    vc = sub_config(c, "vision_config", KOSMOS2_VISION)
    t = _kosmos2_text(tc)
    t.merge(clip_vision(vc))
    e, vh = tc.int("embed_dim"), vc.int("hidden_size")
    t.add("other", linear(vh, e) + c.int("latent_query_num", default=64) * e + 4 * linear(e, e))
    # the inner Kosmos2TextForCausalLM ties by the text config's flag, the wrapper by its own
    tie = c.bool("tie_word_embeddings", default=True) or tc.bool("tie_word_embeddings", default=True)
    return lm_head_of(t, c, Cfg({**tc.data, "hidden_size": e}), head, tie=tie)


register_own("kosmos-2", kosmos2, "Kosmos2")


# UDOP: a T5 encoder-decoder whose stacks each carry token + patch embeddings, summed relative biases (1D, horizontal,
# vertical) and, in the encoder, 2D cell embeddings; transformers ties the stacks' token and encoder patch
# embeddings to the shared ones (always: the config forces tie_word_embeddings) and, in the LM / encoder-only
# classes, each stack's first relative bias to the encoder's first-layer T5 bias.
UDOP = {"vocab_size": 33201, "d_model": 1024, "d_kv": 64, "d_ff": 4096, "num_layers": 24, "num_heads": 16}
UDOP.update(relative_attention_num_buckets=32, feed_forward_proj="relu", max_2d_position_embeddings=1024)
UDOP.update(image_size=224, patch_size=16, num_channels=3)
_UDOP_BIASES = [{"type": "1d"}, {"type": "horizontal"}, {"type": "vertical"}]


def _udop_biases(c: Cfg, nh: int, *, tie_first: bool) -> int:
    """Parameters of one stack's RelativePositionBiasAggregated (its first table left out when tied)."""
    args = c.list("relative_bias_args", default=_UDOP_BIASES)
    n = 0
    for i, a in enumerate(args):
        if not isinstance(a, dict) or a.get("type") not in ("1d", "horizontal", "vertical"):
            raise ConfigProblem(f"relative_bias_args[{i}] is not a 1d/horizontal/vertical bias")
        b = Cfg(a, f"config.relative_bias_args[{i}]")
        extra = 2 if b.bool("prefix_bucket", default=False) and not b.bool("expand", default=False) else 0
        rows = b.int("relative_attention_num_buckets", default=32) + extra
        if i == 0 and tie_first:
            if rows != c.int("relative_attention_num_buckets"):
                raise NotExact(
                    "a first relative bias shaped unlike the T5 bias it is tied to is not modelled"
                )
            continue
        n += rows * nh
    return n


def _udop_stack(c: Cfg, L: int, *, decoder: bool) -> int:
    d, inner, f = c.int("d_model"), c.int("num_heads") * c.int("d_kv"), c.int("d_ff")
    gated = c.str("feed_forward_proj").startswith("gated-")
    block = 4 * d * inner + d + (3 if gated else 2) * d * f + d
    if decoder:
        block += 4 * d * inner + d  # cross-attention
    n = (
        L * block + c.int("relative_attention_num_buckets") * c.int("num_heads") + d
    )  # first-layer bias, final LN
    if not decoder:
        n += 2 * c.int("max_2d_position_embeddings") * d  # cell_2d_embedding x / y
    return n


def udop(c: Cfg, head: str) -> Tally:
    if head not in ("model", "cond_gen", "encoder"):
        raise NotExact(f"output head '{head}' is not modelled for udop")
    c = with_defaults(c, UDOP)
    d, nh, L = c.int("d_model"), c.int("num_heads"), c.int("num_layers")
    ph, pw = _pair(c, "patch_size", 16)
    patch = linear(c.int("num_channels") * ph * pw, d)
    tie_first = head != "model"
    t = encoder_tally(L, c.int("num_heads") * c.int("d_kv")) if head == "encoder" else Tally()
    t.embed(c.int("vocab_size") * d)
    t.add("embeddings", patch)
    t.add("other", _udop_stack(c, L, decoder=False) + _udop_biases(c, nh, tie_first=tie_first))
    if head != "encoder":
        Ld = c.int("num_decoder_layers", default=L)
        t.add("other", _udop_stack(c, Ld, decoder=True) + _udop_biases(c, nh, tie_first=tie_first))
        t.add("embeddings", patch)  # the decoder stack's own (untied) patch embedding
        kv_full(t, Ld, nh, c.int("d_kv"), nh)
    return t


register_own("udop", udop, "Udop")


# CLAP: an HTSAT audio encoder (Swin stages over a mel spectrogram, optional attentional feature fusion), a RoBERTa
# text encoder with its pooler, two-layer projections for both, two learned logit scales.
CLAP_TEXT = {"vocab_size": 50265, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12}
CLAP_TEXT.update(intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1)
CLAP_AUDIO = {
    "window_size": 8,
    "num_mel_bins": 64,
    "patch_size": 4,
    "patch_stride": [4, 4],
    "hidden_size": 768,
}
CLAP_AUDIO.update(
    depths=[2, 2, 6, 2], num_attention_heads=[4, 8, 16, 32], enable_fusion=False, fusion_type=None
)
CLAP_AUDIO.update(patch_embed_input_channels=1, patch_embeds_hidden_size=96, enable_patch_layer_norm=True)
CLAP_AUDIO.update(qkv_bias=True, mlp_ratio=4.0, aff_block_r=4)


def _clap_patch_embed(a: Cfg) -> int:
    (p0, p1), pe, cin = (
        _pair(a, "patch_size", 4),
        a.int("patch_embeds_hidden_size"),
        a.int("patch_embed_input_channels"),
    )
    fusion = a.bool("enable_fusion")
    n = linear(cin * (4 if fusion and a.raw("fusion_type") == "channel_map" else 1) * p0 * p1, pe)
    n += 2 * pe if a.bool("enable_patch_layer_norm") else 0
    if fusion:
        inter = pe // positive("aff_block_r", a.int("aff_block_r"))
        n += 2 * (
            linear(pe, inter) + 2 * inter + linear(inter, pe) + 2 * pe
        )  # local + global attention (+ BN)
        n += linear(cin * p0 * p1 * 3, pe)  # mel_conv2d
    return n


def clap_audio(a: Cfg) -> int:
    """ClapAudioEncoder: patch embedding, Swin stages (relative-position table per layer, patch merging between
    stages), BatchNorm over the mel bins, a final LayerNorm."""
    depths, heads = a.ints("depths"), a.ints("num_attention_heads")
    if not depths or len(heads) < len(depths):
        raise ConfigProblem("audio_config.depths / num_attention_heads must have an entry per stage")
    w, ratio, qkv = a.int("window_size"), _ratio(a, "mlp_ratio"), a.bool("qkv_bias")
    dim = a.int("patch_embeds_hidden_size")
    n = _clap_patch_embed(a)
    for i, (depth, nh) in enumerate(zip(depths, heads, strict=False)):
        d = dim * 2**i
        inner = int(ratio * d)
        layer = 4 * d + (2 * w - 1) ** 2 * nh + 3 * linear(d, d, qkv) + linear(d, d) + linear(d, inner)
        n += depth * (layer + linear(inner, d))
        if i < len(depths) - 1:
            n += 4 * d * 2 * d + 8 * d  # patch merging: bias-free reduction + LayerNorm(4d)
    return n + 2 * a.int("num_mel_bins") + 2 * dim * 2 ** (len(depths) - 1)


def clap(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for clap")
    tc, ac = sub_config(c, "text_config", CLAP_TEXT), sub_config(c, "audio_config", CLAP_AUDIO)
    t = bert_like(tc, "model", style="roberta", shape=_NO_XATTN_BERT)
    t.add("other", clap_audio(ac))
    p = c.int("projection_dim", default=512)
    proj = linear(tc.int("hidden_size"), p) + linear(ac.int("hidden_size"), p) + 2 * linear(p, p)
    t.add("heads", proj + 2)  # + logit_scale_a, logit_scale_t
    return t


register_own("clap", clap, "Clap")


# T5Gemma 2: Gemma 3-style encoder and decoder stacks (q/k RMSNorms, four norms per layer; the decoder's merged
# self+cross attention has the same projections), an extra EOI embedding per stack, a SigLIP vision tower and
# Gemma 3's multimodal projector in the encoder. tie_word_embeddings ties the decoder embeddings and lm_head to
# the encoder's.
T5GEMMA2_TEXT = {
    "vocab_size": 262208,
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
}
T5GEMMA2_TEXT.update(num_attention_heads=8, num_key_value_heads=4, head_dim=256, attention_bias=False)


def _t5gemma2_stack(s: Cfg, t: Tally, *, decoder: bool) -> None:
    h, L, nh = dims(s)
    kv, hd, b = s.int("num_key_value_heads"), s.int("head_dim"), s.bool("attention_bias")
    t.add("attention", L * (attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b) + 2 * hd))
    t.add("mlp", L * gated_mlp(h, s.int("intermediate_size")))
    t.add("norms", L * 4 * h + h)
    if decoder:
        window = sliding_window(s)
        for lt in layer_types(s, L) or ["full_attention"] * L:
            t.kv_layers.append(KVLayer(2 * kv * hd, window if lt == "sliding_attention" else None, nh * hd))


def t5gemma2(c: Cfg, head: str) -> Tally:
    if head not in ("model", "cond_gen", "seq_cls", "token_cls"):
        raise NotExact(f"output head '{head}' is not modelled for t5gemma2")
    ec, dc = sub_config(c, "encoder", {}), sub_config(c, "decoder", T5GEMMA2_TEXT)
    tc = sub_config(ec, "text_config", T5GEMMA2_TEXT)
    vc = sub_config(ec, "vision_config", SIGLIP_VISION)
    if vc.str("model_type", default="siglip_vision_model") != "siglip_vision_model":
        raise NotExact("a T5Gemma2 vision tower other than siglip_vision_model is not modelled")
    h, V = dc.int("hidden_size"), dc.int("vocab_size")
    if (tc.int("hidden_size"), tc.int("vocab_size")) != (h, V):
        raise ConfigProblem("encoder and decoder must share hidden_size and vocab_size")
    tie = c.bool("tie_word_embeddings", default=True)
    t = Tally()
    t.embed((1 if tie else 2) * (V * h + h))  # token table + eoi_embedding, per untied stack
    _t5gemma2_stack(tc, t, decoder=False)
    _t5gemma2_stack(dc, t, decoder=True)
    t.merge(clip_vision(vc, siglip=True))
    vh = vc.int("hidden_size")
    t.add("other", vh * h + vh)  # mm_input_projection_weight, mm_soft_emb_norm
    if head == "cond_gen" and not tie:
        t.add("heads", V * h)
    elif head in ("seq_cls", "token_cls"):
        t.add("heads", linear(h, c.num_labels()))
    return t


register_own("t5gemma2", t5gemma2, "T5Gemma2")


# IDEFICS (v1): a Llama-style decoder with a gated cross-attention layer every cross_layer_interval layers, a CLIP
# vision transformer, an optional perceiver resampler, decoupled (additional-vocabulary) embeddings and lm_head.
IDEFICS = {"vocab_size": 32000, "additional_vocab_size": 0, "hidden_size": 4096, "intermediate_size": 11008}
IDEFICS.update(num_hidden_layers=32, num_attention_heads=32, cross_layer_interval=1, qk_layer_norms=False)
IDEFICS.update(alpha_type="float", use_resampler=False)
IDEFICS_VISION = {"embed_dim": 768, "image_size": 224, "intermediate_size": 5120, "patch_size": 14}
IDEFICS_VISION.update(num_hidden_layers=32, num_attention_heads=16, num_channels=3)
IDEFICS_PERCEIVER = {"resampler_n_latents": 64, "resampler_depth": 6, "resampler_n_heads": 16}
IDEFICS_PERCEIVER.update(resampler_head_dim=96, qk_layer_norms_perceiver=False)


def _idefics_perceiver(p: Cfg, ve: int) -> int:
    """IdeficsPerceiverResampler at the vision width: latents, blocks of (cross-attention with two LayerNorms,
    LayerNorm + bias-free 4x MLP), a final LayerNorm."""
    nh, hd = p.int("resampler_n_heads"), p.int("resampler_head_dim")
    attn = 2 * layer_norm(ve) + 3 * ve * nh * hd + nh * hd * ve
    if p.bool("qk_layer_norms_perceiver"):
        attn += 2 * layer_norm(hd)
    mlp = layer_norm(ve) + 2 * ve * 4 * ve
    return p.int("resampler_n_latents") * ve + p.int("resampler_depth") * (attn + mlp) + layer_norm(ve)


def idefics(c: Cfg, head: str) -> Tally:
    c = with_defaults(c, IDEFICS)
    h, L, nh = dims(c)
    hd = divide("hidden_size / num_attention_heads", h, nh)
    V, extra, inter = c.int("vocab_size"), c.int("additional_vocab_size"), c.int("intermediate_size")
    vc = sub_config(c, "vision_config", IDEFICS_VISION)
    ve = vc.int("embed_dim")
    t = Tally()
    t.embed((V + extra) * h)
    t.add("attention", L * 4 * h * h)
    t.add("mlp", L * gated_mlp(h, inter))
    t.add("norms", L * 2 * h + h)
    kv_full(t, L, nh, hd, nh)
    alpha = {"float": 2, "vector": 2 * h}.get(c.str("alpha_type"))
    if alpha is None:
        raise ConfigProblem(f"alpha_type={c.str('alpha_type')!r} is not float or vector")
    cross = 2 * h * h + 2 * ve * h + (2 * hd if c.bool("qk_layer_norms") else 0)
    cross += gated_mlp(h, inter) + 2 * h + alpha
    t.add("other", L // positive("cross_layer_interval", c.int("cross_layer_interval")) * cross)
    t.merge(clip_vision(Cfg({**vc.data, "hidden_size": ve}, vc.name)))
    if c.bool("use_resampler"):
        t.add("other", _idefics_perceiver(sub_config(c, "perceiver_config", IDEFICS_PERCEIVER), ve))
    vocab = Cfg({"vocab_size": V + extra, "hidden_size": h})  # the decoupled lm_head: both tables
    return lm_head_of(t, c, vocab, head, tie=c.bool("tie_word_embeddings", default=False))


register_own("idefics", idefics, "Idefics", classes={"IdeficsForVisionText2Text": "cond_gen"})


# Florence-2: a DaViT vision backbone (conv patch embeddings; per block a spatial (window attention) and a channel
# (group attention) sub-block, each with two depthwise 3x3 convs, two LayerNorms and an MLP), a projector with
# learned 2D positions, and a BART encoder-decoder; the wrapper's flag ties lm_head to BART's shared table.
FLORENCE2_VISION = {"in_channels": 3, "depths": [1, 1, 9, 1], "patch_size": [7, 3, 3, 3], "qkv_bias": True}
FLORENCE2_VISION.update(
    patch_prenorm=[False, True, True, True], embed_dim=[128, 256, 512, 1024], mlp_ratio=4.0
)
FLORENCE2_VISION.update(num_heads=[4, 8, 16, 32], num_groups=[4, 8, 16, 32], projection_dim=1024)
FLORENCE2_VISION.update(max_position_embeddings=50)


def _davit_half_block(d: int, ratio: float, qkv_bias: bool) -> int:
    inner = int(d * ratio)
    dwconvs = 2 * (9 * d + d)
    return (
        dwconvs
        + 2 * layer_norm(d)
        + linear(d, 3 * d, qkv_bias)
        + linear(d, d)
        + linear(d, inner)
        + linear(inner, d)
    )


def florence2_vision(v: Cfg) -> int:
    dims_, depths = v.ints("embed_dim"), v.ints("depths")
    kernels, prenorm = v.ints("patch_size"), v.list("patch_prenorm")
    stages = len(dims_)
    if not stages or any(len(x) < stages for x in (depths, kernels, prenorm, v.ints("num_heads"))):
        raise ConfigProblem("vision_config stage lists must have an entry per embed_dim stage")
    ratio, qkv = _ratio(v, "mlp_ratio"), v.bool("qkv_bias")
    n, cin = 0, v.int("in_channels")
    for i, d in enumerate(dims_):
        n += (
            cin * d * kernels[i] ** 2 + d + layer_norm(cin if prenorm[i] else d)
        )  # conv embed + its LayerNorm
        n += depths[i] * 2 * _davit_half_block(d, ratio, qkv)  # spatial + channel sub-blocks
        cin = d
    return n


def florence2(c: Cfg, head: str) -> Tally:
    vc = sub_config(c, "vision_config", FLORENCE2_VISION)
    raw = c.data.get("text_config")
    tc = Cfg(raw if isinstance(raw, dict) else {}, "config.text_config")
    if tc.str("model_type", default="bart") != "bart":
        raise NotExact("a Florence-2 language model other than BART is not modelled")
    t = FAMILIES["bart"].formula(tc, "model")
    e, p = vc.ints("embed_dim")[-1], vc.int("projection_dim")
    t.add("other", florence2_vision(vc) + e * p + layer_norm(p) + vc.int("max_position_embeddings") * e)
    vocab = Cfg(
        {"vocab_size": tc.int("vocab_size", default=50265), "hidden_size": tc.int("d_model", default=1024)}
    )
    return lm_head_of(t, c, vocab, head, tie=c.bool("tie_word_embeddings", default=True))


register_own("florence2", florence2, "Florence2")


# Evolla: a SaProt (ESM-style, pre-LN) protein encoder, a perceiver-style sequence compressor, and a Llama decoder
# with a gated cross-attention adapter every num_hidden_layers // aligner_num_add_layers layers; the lm_head is
# never tied (the class declares no tied weights).
EVOLLA = {"vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32}
EVOLLA.update(num_attention_heads=32, num_key_value_heads=8, attention_bias=False, mlp_bias=False)
EVOLLA.update(aligner_ffn_mult=4, aligner_enable_bias=True, aligner_num_add_layers=8, resampler_depth=6)
EVOLLA.update(resampler_dim_head=64, resampler_heads=8, resampler_num_latents=64, resampler_ff_mult=4)
SAPROT = {"vocab_size": 446, "hidden_size": 1280, "num_hidden_layers": 33, "num_attention_heads": 20}
SAPROT.update(intermediate_size=5120, max_position_embeddings=1026, position_embedding_type="rotary")
SAPROT.update(emb_layer_norm_before=False, add_cross_attention=False)


def _saprot(p: Cfg) -> int:
    """EvollaSaProtProteinEncoder: embeddings (positions only when absolute), pre-LN BERT layers, final LN."""
    h, L, i = p.int("hidden_size"), p.int("num_hidden_layers"), p.int("intermediate_size")
    pos = p.str("position_embedding_type")
    if pos not in ("rotary", "absolute") or p.bool("add_cross_attention"):
        raise NotExact(
            f"a SaProt encoder with position_embedding_type={pos!r} / cross-attention is not modelled"
        )
    n = p.int("vocab_size") * h + (layer_norm(h) if p.bool("emb_layer_norm_before") else 0)
    n += p.int("max_position_embeddings") * h if pos == "absolute" else 0
    layer = layer_norm(h) + 4 * linear(h, h) + linear(h, i) + linear(i, h) + layer_norm(h)
    return n + L * layer + layer_norm(h)


def _feed_forward(d: int, mult: float) -> int:
    """LayerNorm + bias-free fc1 / fc2 at int(d * mult)."""
    return layer_norm(d) + 2 * d * int(d * mult)


def _evolla_resampler(c: Cfg, pd: int, h: int) -> int:
    inner = c.int("resampler_dim_head") * c.int("resampler_heads")
    attn = 2 * layer_norm(pd) + pd * inner + pd * 2 * inner + inner * pd
    block = attn + _feed_forward(pd, _ratio(c, "resampler_ff_mult"))
    return (
        c.int("resampler_num_latents") * pd + c.int("resampler_depth") * block + layer_norm(h) + linear(pd, h)
    )


def evolla(c: Cfg, head: str) -> Tally:
    c = with_defaults(c, EVOLLA)
    pc = sub_config(c, "protein_encoder_config", SAPROT)
    h, L, nh = dims(c)
    kv, hd = c.int(*KV_KEYS), head_dim(c, h, nh)
    b, V = c.bool("attention_bias"), c.int("vocab_size")
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=b, k_bias=b, v_bias=b, o_bias=b))
    t.add("mlp", L * gated_mlp(h, c.int("intermediate_size"), c.bool("mlp_bias")))
    t.add("norms", L * 2 * h + h)
    kv_full(t, L, kv, hd, nh)
    step = max(L // positive("aligner_num_add_layers", c.int("aligner_num_add_layers")), 1)
    all_heads = nh * (h // nh)
    adapter = (
        linear(h, all_heads) + 2 * linear(h, all_heads) + h + linear(h, h, c.bool("aligner_enable_bias"))
    )
    adapter += _feed_forward(h, _ratio(c, "aligner_ffn_mult")) + 2  # + gate_attention, gate_ffw
    t.add("other", sum(1 for i in range(L) if (i + 1) % step == 0) * adapter)
    t.add("other", _saprot(pc) + _evolla_resampler(c, pc.int("hidden_size"), h))
    return lm_head_of(t, c, c, head, tie=False)


register_own("evolla", evolla, "Evolla", classes={"EvollaForProteinText2Text": "cond_gen"})
