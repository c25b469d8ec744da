"""Single-purpose models outside the big families: EmbeddingGemma 2 (a bidirectional Gemma encoder with
projection-only per-layer embeddings); single-stream vision-language encoders (VisualBERT, ViLT).

Sub-configs that omit keys get the defaults of their own transformers configuration class (transformers 5.x).
"""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, kv_full, linear, positive
from hubscan.estimate.families.dual_encoders import sub
from hubscan.estimate.families.encoders import BertShape, bert_like
from hubscan.estimate.families.registry import FAMILIES, register

_EG2_TEXT = {
    "vocab_size": 262144,
    "hidden_size": 512,
    "intermediate_size": 2048,
    "num_hidden_layers": 24,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 256,
    "hidden_size_per_layer_input": 512,
    "embedding_dim": 768,
}
_EG2_LAYER_KEYS = {"head_dim", "num_key_value_heads"}


def _eg2_layer_shapes(c: Cfg, L: int) -> list[tuple[int, int]]:
    """(head_dim, kv heads) of every layer: the global values, overridden per layer by ``per_layer_config`` (keys
    are layer numbers, "5" or "05"); without it transformers widens the full-attention layers (global_head_dim,
    num_global_key_value_heads; layer_types from sliding_window_pattern, the last layer always full)."""
    hd, kv = c.int("head_dim"), c.int("num_key_value_heads")
    over = c.raw("per_layer_config")
    if over is None:
        types = c.raw("layer_types")
        if not isinstance(types, list) or len(types) != L:
            pattern = positive("sliding_window_pattern", c.int("sliding_window_pattern", default=6))
            types = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(L)]
        types = [*types[:-1], "full_attention"] if types else types
        g = (c.int("global_head_dim", default=512), c.int("num_global_key_value_heads", default=1))
        return [g if kind == "full_attention" else (hd, kv) for kind in types]
    if not isinstance(over, dict):
        raise ConfigProblem("per_layer_config is not an object")
    shapes = [(hd, kv)] * L
    for key, own in over.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(own, dict)) or int(key) >= L:
            raise NotExact(f"per_layer_config entry {key!r} is not modelled")
        if set(own) - _EG2_LAYER_KEYS:
            raise NotExact(f"per_layer_config overrides {sorted(set(own) - _EG2_LAYER_KEYS)}: not modelled")
        oc = Cfg(own, f"per_layer_config[{key}]")
        shapes[int(key)] = (oc.int("head_dim", default=hd), oc.int("num_key_value_heads", default=kv))
    return shapes


def embedding_gemma2_text(c: Cfg) -> Tally:
    h, L, nh = c.int("hidden_size"), c.int("num_hidden_layers"), c.int("num_attention_heads")
    inter, V, p = c.int("intermediate_size"), c.int("vocab_size"), c.int("hidden_size_per_layer_input")
    bias = c.bool("attention_bias", default=False)
    t = Tally()
    t.has_kv = False
    t.embed(V * h)
    for hd, kv in _eg2_layer_shapes(c, L):
        q, k = nh * hd, kv * hd
        t.add(
            "attention", linear(h, q, bias) + 2 * linear(h, k, bias) + linear(q, h, bias) + 2 * hd
        )  # q/k norms
        t.add("mlp", 3 * h * inter)
        t.add("norms", 4 * h)
        t.add("other", 2 * h * p + h)  # per-layer-input gate, projection, post norm
        t.kv_layers.append(KVLayer(0, None, q))
    t.add("norms", h)
    t.add("other", h * L * p + p)  # per_layer_model_projection, per_layer_projection_norm
    t.add("heads", h * c.int("embedding_dim"))  # embedding_projection
    return t


def embedding_gemma2(c: Cfg, head: str) -> Tally:
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for embedding_gemma2")
    if c.str("model_type", default="") == "embedding_gemma2_text":
        return embedding_gemma2_text(Cfg({**_EG2_TEXT, **{k: v for k, v in c.data.items() if v is not None}}))
    for key in ("vision_config", "audio_config"):
        if c.data.get(key) is not None:
            raise NotExact(f"embedding_gemma2 with a {key} (vision/audio towers) is not modelled")
    return embedding_gemma2_text(sub(c, "text_config", _EG2_TEXT))


register(
    ("embedding_gemma2", "embedding_gemma2_text"), embedding_gemma2, "EmbeddingGemma2", "EmbeddingGemma2Text"
)


def _visual_bert_extra(c: Cfg) -> int:
    """VisualBERT's visual embeddings (token types, positions, projection of the region features) and, with
    bypass_transformer, one more BERT layer."""
    h, T, P = c.int("hidden_size"), c.int("type_vocab_size"), c.int("max_position_embeddings")
    n = (T + P) * h + linear(c.int("visual_embedding_dim"), h)
    if c.bool("bypass_transformer", default=False):
        n += (
            4 * linear(h, h)
            + linear(h, c.int("intermediate_size"))
            + linear(c.int("intermediate_size"), h)
            + 4 * h
        )
    return n


_VISUAL_BERT = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "visual_embedding_dim": 512,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
}
_VISUAL_BERT_SHAPE = BertShape(extra=_visual_bert_extra, heads=("model",))


def visual_bert(c: Cfg, head: str) -> Tally:
    """VisualBertModel (BERT with pooler + visual embeddings); the pretraining/VQA/NLVR heads are not claimed."""
    vc = Cfg({**_VISUAL_BERT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    return bert_like(vc, head, style="bert", shape=_VISUAL_BERT_SHAPE)


_VILT = {
    "vocab_size": 30522,
    "type_vocab_size": 2,
    "modality_type_vocab_size": 2,
    "max_position_embeddings": 40,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "image_size": 384,
    "patch_size": 32,
    "num_channels": 3,
}


def vilt(c: Cfg, head: str) -> Tally:
    """ViltModel: BERT text embeddings, ViT patch embeddings (class token, positions), modality-type embeddings,
    pre-LN ViT layers, final LayerNorm and pooler; the task heads are not claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for vilt")
    v = Cfg({**_VILT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, L, inter = v.int("hidden_size"), v.int("num_hidden_layers"), v.int("intermediate_size")
    image, patch = positive("image_size", v.int("image_size")), positive("patch_size", v.int("patch_size"))
    t = Tally()
    t.has_kv = False
    t.embed(v.int("vocab_size") * h)
    t.add("embeddings", (v.int("max_position_embeddings") + v.int("type_vocab_size")) * h + 2 * h)
    t.add(
        "embeddings", h + linear(v.int("num_channels") * patch * patch, h) + ((image // patch) ** 2 + 1) * h
    )
    t.add("embeddings", v.int("modality_type_vocab_size") * h)
    qkv = 3 * linear(h, h, v.bool("qkv_bias", default=True))
    t.add("attention", L * (qkv + linear(h, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h + 2 * h)
    t.add("heads", linear(h, h))  # pooler
    for _ in range(L):
        t.kv_layers.append(KVLayer(0, None, h))
    return t


register("visual_bert", visual_bert, "VisualBert")
register("vilt", vilt, "Vilt")


_DT = {"state_dim": 17, "act_dim": 4, "hidden_size": 128, "max_ep_len": 4096, "vocab_size": 1, "n_layer": 3}


def decision_transformer(c: Cfg, head: str) -> Tally:
    """DecisionTransformerModel: a GPT-2 stack (vocab_size 1) + timestep/return/state/action embeddings, their
    LayerNorm and the state/action/return prediction Linears."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for decision_transformer")
    d = Cfg({**_DT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    if d.bool("add_cross_attention", default=False):
        raise NotExact("decision_transformer with add_cross_attention is not modelled")
    t = FAMILIES["gpt2"].formula(d, "model")
    h, s, a = d.int("hidden_size"), d.int("state_dim"), d.int("act_dim")
    t.add("embeddings", d.int("max_ep_len") * h + linear(1, h) + linear(s, h) + linear(a, h))
    t.add("norms", 2 * h)
    t.add("heads", linear(h, s) + linear(h, a) + linear(h, 1))
    return t


register("decision_transformer", decision_transformer, "DecisionTransformer")


_LXMERT = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "l_layers": 9,
    "x_layers": 5,
    "r_layers": 5,
    "visual_feat_dim": 2048,
    "visual_pos_dim": 4,
}


def lxmert(c: Cfg, head: str) -> Tally:
    """LxmertModel: BERT embeddings, visual feature/box encoders, l language + r vision BERT layers, x cross-modal
    layers (one shared cross-attention, two self-attentions, two FFNs), pooler; the pretraining/QA heads are not
    claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for lxmert")
    d = Cfg({**_LXMERT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, inter = d.int("hidden_size"), d.int("intermediate_size")
    att = 4 * linear(h, h) + 2 * h  # q/k/v + output dense + LayerNorm
    ffn = linear(h, inter) + linear(inter, h) + 2 * h
    t = Tally()
    t.has_kv = False
    t.embed(d.int("vocab_size") * h)
    t.add("embeddings", (d.int("max_position_embeddings") + d.int("type_vocab_size")) * h + 2 * h)
    t.add("embeddings", linear(d.int("visual_feat_dim"), h) + linear(d.int("visual_pos_dim"), h) + 4 * h)
    t.add("attention", (d.int("l_layers") + d.int("r_layers")) * (att + ffn))
    t.add("attention", d.int("x_layers") * (3 * att + 2 * ffn))
    t.add("heads", linear(h, h))  # pooler
    return t


register("lxmert", lxmert, "Lxmert")


_VED_ENCODERS = ("vit", "deit")
_VED_DECODERS = ("bert", "roberta", "gpt2")


def vision_encoder_decoder(c: Cfg, head: str) -> Tally:
    """VisionEncoderDecoderModel: AutoModel(encoder) + AutoModelForCausalLM(decoder) + enc_to_dec_proj when the
    widths differ. Only the encoder/decoder families whose cross-attention is modelled are claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for vision-encoder-decoder")
    enc, dec = c.data.get("encoder"), c.data.get("decoder")
    if not isinstance(enc, dict) or not isinstance(dec, dict):
        raise NotExact("vision-encoder-decoder without explicit encoder and decoder configs is not modelled")
    emt, dmt = enc.get("model_type"), dec.get("model_type")
    if emt not in _VED_ENCODERS or dmt not in _VED_DECODERS:
        raise NotExact(f"vision-encoder-decoder with a {emt!r} encoder and a {dmt!r} decoder is not modelled")
    ec, dc = Cfg(enc, "config.encoder"), Cfg(dec, "config.decoder")
    if dc.raw("cross_attention_hidden_size") is not None:
        raise NotExact("decoder.cross_attention_hidden_size is not modelled")
    t = FAMILIES[emt].formula(ec, "model")
    t.merge(FAMILIES[dmt].formula(dc, "causal_lm"))
    dh = dc.int("n_embd", "hidden_size", default=768) if dmt == "gpt2" else dc.int("hidden_size", default=768)
    eh = ec.int("hidden_size", default=768)
    if eh != dh:
        t.add("other", linear(eh, dh))
    return t


register("vision-encoder-decoder", vision_encoder_decoder, "VisionEncoderDecoder")


def _residual_block(i: int, hid: int, o: int, bias: bool = True) -> int:
    """TimesFM residual block: input Linear, output Linear and a residual Linear."""
    return linear(i, hid, bias) + linear(hid, o, bias) + linear(i, o, bias)


_TIMESFM = {
    "patch_length": 32,
    "horizon_length": 128,
    "freq_size": 3,
    "num_hidden_layers": 50,
    "hidden_size": 1280,
    "intermediate_size": 1280,
    "head_dim": 80,
    "num_attention_heads": 16,
    "quantiles": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
}
_TIMESFM2_5 = {
    **_TIMESFM,
    "num_hidden_layers": 20,
    "num_key_value_heads": 16,
    "output_quantile_len": 1024,
}


def _timesfm_cfg(c: Cfg, defaults: dict) -> tuple[Cfg, int, int, int, int, int]:
    d = Cfg({**defaults, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, L, nh = d.int("hidden_size"), d.int("num_hidden_layers"), d.int("num_attention_heads")
    return d, h, L, nh, d.int("head_dim"), d.int("intermediate_size")


def _quantile_outputs(d: Cfg) -> int:
    return 1 + len(d.list("quantiles"))


def timesfm(c: Cfg, head: str) -> Tally:
    """TimesFM 1/2: residual-block patch input, frequency embedding, decoder layers (biased q/k/v/o with a
    per-dimension scaling, RMSNorm, LayerNorm'd two-Linear MLP); the prediction head is one more residual block."""
    d, h, L, nh, hd, inter = _timesfm_cfg(c, _TIMESFM)
    t = Tally()
    t.add("embeddings", _residual_block(2 * d.int("patch_length"), inter, h) + d.int("freq_size") * h)
    q = nh * hd
    t.add("attention", L * (3 * linear(h, q) + linear(q, h) + hd))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h) + 2 * h))
    t.add("norms", L * h)
    kv_full(t, L, nh, hd, nh)
    if head == "prediction":
        t.add("heads", _residual_block(h, inter, d.int("horizon_length") * _quantile_outputs(d)))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for timesfm")
    return t


def timesfm2_5(c: Cfg, head: str) -> Tally:
    """TimesFM 2.5: biased residual-block input, decoder layers with q/k RMSNorms, a per-dimension scaling, four
    RMSNorms and a two-Linear MLP (``use_bias``); the prediction heads are two bias-free residual blocks."""
    d, h, L, nh, hd, inter = _timesfm_cfg(c, _TIMESFM2_5)
    kv, ab, ub = (
        d.int("num_key_value_heads"),
        d.bool("attention_bias", default=False),
        d.bool("use_bias", default=False),
    )
    t = Tally()
    t.add("embeddings", _residual_block(2 * d.int("patch_length"), h, h))
    t.add(
        "attention",
        L * (linear(h, nh * hd, ab) + 2 * linear(h, kv * hd, ab) + linear(nh * hd, h, ab) + 3 * hd),
    )
    t.add("mlp", L * (linear(h, inter, ub) + linear(inter, h, ub)))
    t.add("norms", L * 4 * h)
    kv_full(t, L, kv, hd, nh)
    if head == "prediction":
        nq = _quantile_outputs(d)
        t.add("heads", _residual_block(h, h, d.int("horizon_length") * nq, False))
        t.add("heads", _residual_block(h, h, d.int("output_quantile_len") * nq, False))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for timesfm2_5")
    return t


register("timesfm", timesfm, "TimesFm", classes={"TimesFmModelForPrediction": "prediction"})
register("timesfm2_5", timesfm2_5, "TimesFm2_5", classes={"TimesFm2_5ModelForPrediction": "prediction"})


_SEGGPT = {
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "image_size": [896, 448],
    "patch_size": 16,
    "num_channels": 3,
    "mlp_dim": 4096,
    "pretrain_image_size": 224,
    "decoder_hidden_size": 64,
    "use_relative_position_embeddings": True,
    "intermediate_hidden_state_indices": [5, 11, 17, 23],
}


def seggpt(c: Cfg, head: str) -> Tally:
    """SegGPT: five learned tokens, patch conv, positions at the pretraining size, pre-LN ViT layers with fused qkv
    and (optionally) decomposed relative positions over the input grid; the segmentation decoder (Linear to patch
    pixels, 3x3 conv, channels-first LayerNorm, 1x1 conv to RGB) for SegGptForImageSegmentation."""
    d = Cfg({**_SEGGPT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, L, nh = (
        d.int("hidden_size"),
        d.int("num_hidden_layers"),
        positive("heads", d.int("num_attention_heads")),
    )
    p, inter, C = positive("patch_size", d.int("patch_size")), d.int("mlp_dim"), d.int("num_channels")
    image = d.raw("image_size")
    ih, iw = image if isinstance(image, list) and len(image) == 2 else (image, image)
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (ih, iw)):
        raise ConfigProblem("seggpt image_size must be a positive integer or a pair of them")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", 5 * h + linear(C * p * p, h) + ((d.int("pretrain_image_size") // p) ** 2 + 1) * h)
    rel = (
        (2 * (ih // p) - 1 + 2 * (iw // p) - 1) * (h // nh)
        if d.bool("use_relative_position_embeddings")
        else 0
    )
    t.add("attention", L * (linear(h, 3 * h, d.bool("qkv_bias", default=True)) + linear(h, h) + rel))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h + 2 * h)
    if head == "img_seg":
        dh, n_idx = d.int("decoder_hidden_size"), len(d.list("intermediate_hidden_state_indices"))
        t.add("heads", linear(h * n_idx, p * p * dh) + linear(9 * dh, dh) + 2 * dh + linear(dh, 3))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for seggpt")
    return t


register("seggpt", seggpt, "SegGpt", classes={"SegGptForImageSegmentation": "img_seg"})


_MGP_STR = {
    "image_size": [32, 128],
    "patch_size": 4,
    "num_channels": 3,
    "max_token_length": 27,
    "num_character_labels": 38,
    "num_bpe_labels": 50257,
    "num_wordpiece_labels": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "mlp_ratio": 4.0,
}


def mgp_str(c: Cfg, head: str) -> Tally:
    """MGP-STR: a ViT (patch conv, one class token, positions for the patches + 1 or 2 tokens) without a final
    norm; the scene-text head adds three A3 token learners (grouped 1x1 convs, LayerNorms) and three label heads."""
    d = Cfg({**_MGP_STR, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, L, C = d.int("hidden_size"), d.int("num_hidden_layers"), d.int("num_channels")
    image, patch = d.raw("image_size"), d.raw("patch_size")
    ih, iw = image if isinstance(image, list) and len(image) == 2 else (image, image)
    ph, pw = patch if isinstance(patch, list) and len(patch) == 2 else (patch, patch)
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (ih, iw, ph, pw)):
        raise ConfigProblem("mgp-str image_size / patch_size must be positive integers or pairs of them")
    tokens = 2 if d.bool("distilled", default=False) else 1
    inter = int(h * d.num("mlp_ratio"))
    t = Tally()
    t.has_kv = False
    t.add("embeddings", linear(C * ph * pw, h) + h + ((ih // ph) * (iw // pw) + tokens) * h)
    t.add("attention", L * (linear(h, 3 * h, d.bool("qkv_bias", default=True)) + linear(h, h)))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h)))
    t.add("norms", L * 4 * h)
    if head == "scene_text":
        if h % 8:
            raise ConfigProblem("mgp-str hidden_size must be divisible by 8 (grouped convolutions)")
        a3 = 2 * h + h * (h // 8) + h * d.int("max_token_length") + h * (h // 8) + 2 * h
        labels = sum(d.int(k) for k in ("num_character_labels", "num_bpe_labels", "num_wordpiece_labels"))
        t.add("heads", 3 * a3 + h * labels + labels)
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for mgp-str")
    return t


register("mgp-str", mgp_str, "Mgpstr", classes={"MgpstrForSceneTextRecognition": "scene_text"})


_PATCHTST = {
    "num_input_channels": 1,
    "context_length": 32,
    "patch_length": 1,
    "patch_stride": 1,
    "num_hidden_layers": 3,
    "d_model": 128,
    "ffn_dim": 512,
}


def patchtst(c: Cfg, head: str) -> Tally:
    """PatchTSTModel: per-patch input Linear (shared or one per channel), position table (a frozen sin-cos one is
    still a parameter) and optional class token, encoder layers (q/k/v/o, two or three Batch/LayerNorms, FFN);
    the mask-pretraining head is one Linear back to the patch length. Other heads are not claimed."""
    d = Cfg({**_PATCHTST, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    dm, L, F = d.int("d_model"), d.int("num_hidden_layers"), d.int("ffn_dim")
    P, stride, ctx = (
        d.int("patch_length"),
        positive("patch_stride", d.int("patch_stride")),
        d.int("context_length"),
    )
    if ctx <= P:
        raise ConfigProblem("patchtst context_length must exceed patch_length")
    if d.str("norm_type", default="batchnorm") not in ("batchnorm", "layernorm"):
        raise ConfigProblem("patchtst norm_type must be batchnorm or layernorm")
    n_patches = (ctx - P) // stride + 1
    cls = d.bool("use_cls_token", default=False)
    embed = linear(P, dm) * (1 if d.bool("share_embedding", default=True) else d.int("num_input_channels"))
    t = Tally()
    t.has_kv = False
    t.add("embeddings", embed + (n_patches + cls) * dm + (dm if cls else 0))
    bias = d.bool("bias", default=True)
    norms = 3 if d.bool("channel_attention", default=False) else 2
    t.add("attention", L * 4 * linear(dm, dm))
    t.add("mlp", L * (linear(dm, F, bias) + linear(F, dm, bias)))
    t.add("norms", L * norms * 2 * dm)
    if head == "pretraining":
        t.add("heads", linear(dm, P))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for patchtst")
    return t


register("patchtst", patchtst, "PatchTST", classes={"PatchTSTForPretraining": "pretraining"})


_SAM3_LITE_TEXT = {
    "vocab_size": 49408,
    "hidden_size": 512,
    "intermediate_size": 2048,
    "projection_dim": 512,
    "num_hidden_layers": 12,
    "max_position_embeddings": 77,
    "repmixer_kernel_size": 11,
}


def sam3_lite_text_text(c: Cfg, head: str) -> Tally:
    """Sam3LiteTextTextModel (MobileCLIP-style): token + position tables, CLIP encoder layers except the first and
    last, which with use_repmixer_blocks are RepMixer blocks (layer scales, BatchNorms, bias-free depthwise (1, k)
    convs, 1x1-conv MLP); final LayerNorm and a bias-free projection. The full SAM3-lite model is not claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for sam3_lite_text_text_model")
    d = Cfg({**_SAM3_LITE_TEXT, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    h, L, inter, k = (
        d.int("hidden_size"),
        d.int("num_hidden_layers"),
        d.int("intermediate_size"),
        d.int("repmixer_kernel_size"),
    )
    n_rep = len({0, L - 1}) if d.bool("use_repmixer_blocks", default=True) and L > 0 else 0
    clip_layer = 4 * linear(h, h) + 4 * h + linear(h, inter) + linear(inter, h)
    rep_block = (
        h + (h + 2 * h + 2 * h + h * k + 2 * h) + (h * k + 2 * h + linear(h, inter) + linear(inter, h))
    )
    t = Tally()
    t.has_kv = False
    t.embed(d.int("vocab_size") * h)
    t.add("embeddings", d.int("max_position_embeddings") * h)
    t.add("attention", (L - n_rep) * clip_layer + n_rep * rep_block)
    t.add("norms", 2 * h)
    t.add("heads", h * d.int("projection_dim"))
    return t


register("sam3_lite_text_text_model", sam3_lite_text_text, "Sam3LiteTextText")


_P2S_TEXT = {
    "vocab_size": 50244,
    "hidden_size": 768,
    "d_ff": 2048,
    "num_layers": 12,
    "num_heads": 12,
    "relative_attention_num_buckets": 32,
}
_P2S_VISION = {
    "hidden_size": 768,
    "patch_embed_hidden_size": 768,
    "d_ff": 2048,
    "d_kv": 64,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "seq_len": 4096,
}


def pix2struct(c: Cfg, head: str) -> Tally:
    """Pix2Struct: a T5-style vision encoder (patch Linear, row/column tables, bias-free attention of heads x d_kv,
    gated MLP, weight-only norms) and a T5-style text decoder (relative-position buckets in layer 0, cross-attention,
    gated MLP) with its own lm_head, tied to the token table when both tie flags say so."""
    if head not in ("model", "cond_gen"):
        raise NotExact(f"output head '{head}' is not modelled for pix2struct")
    tc, vc = sub(c, "text_config", _P2S_TEXT), sub(c, "vision_config", _P2S_VISION)
    tie_top = c.bool("tie_word_embeddings", default=False)
    if tie_top != tc.bool("tie_word_embeddings", default=False):
        raise NotExact("pix2struct tie_word_embeddings differs between the config and its text_config")
    inner = vc.int("num_attention_heads") * vc.int("d_kv")
    t = Tally()
    t.add("vision", _t5_style_vision(vc, inner=inner, inter=vc.int("d_ff"), rows=vc.int("seq_len")))
    h, L, ff, V = tc.int("hidden_size"), tc.int("num_layers"), tc.int("d_ff"), tc.int("vocab_size")
    t.embed(V * h)
    t.add(
        "attention", L * (8 * h * h + 2 * h) + tc.int("relative_attention_num_buckets") * tc.int("num_heads")
    )
    t.add("mlp", L * (3 * h * ff + h))
    t.add("norms", h)
    if not tie_top:
        t.add("heads", V * h)
    kv_full(t, L, tc.int("num_heads"), h // positive("num_heads", tc.int("num_heads")), tc.int("num_heads"))
    return t


register("pix2struct", pix2struct, "Pix2Struct")


_TVP = {
    "visual_prompt_size": 96,
    "max_img_size": 448,
    "num_frames": 48,
    "vocab_size": 30522,
    "type_vocab_size": 2,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "max_position_embeddings": 512,
    "max_grid_col_position_embeddings": 100,
    "max_grid_row_position_embeddings": 100,
}


def tvp(c: Cfg, head: str) -> Tally:
    """TvpModel: a ResNet backbone + bias-free 3x3 grid conv, BERT text embeddings, visual embeddings (position,
    row, column, one token type, LayerNorm), BERT layers, pooler, a 10-token text prompt and the frame-pad visual
    prompter (up/down/left/right pads per frame). The video-grounding head is not claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for tvp")
    d = Cfg({**_TVP, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    braw = d.data.get("backbone_config")
    if not isinstance(braw, dict) or braw.get("model_type") != "resnet" or d.raw("backbone") is not None:
        raise NotExact("tvp without an explicit ResNet backbone_config is not modelled")
    if d.str("visual_prompter_type", default="framepad") != "framepad":
        raise NotExact("tvp visual_prompter_type other than framepad is not modelled")
    bc = Cfg(braw, "config.backbone_config")
    h, L, inter = d.int("hidden_size"), d.int("num_hidden_layers"), d.int("intermediate_size")
    t = FAMILIES["resnet"].formula(bc, "backbone")
    t.add("vision", bc.ints("hidden_sizes", default=[256, 512, 1024, 2048])[-1] * h * 9)
    P = d.int("max_position_embeddings")
    t.embed(d.int("vocab_size") * h)
    t.add("embeddings", (P + d.int("type_vocab_size")) * h + 2 * h)
    grid = d.int("max_grid_row_position_embeddings") + d.int("max_grid_col_position_embeddings")
    t.add("embeddings", (P + grid + 1) * h + 2 * h)
    t.add("attention", L * (4 * linear(h, h) + 2 * h + linear(h, inter) + linear(inter, h) + 2 * h))
    t.add("heads", linear(h, h))  # pooler
    vps, size, frames = d.int("visual_prompt_size"), d.int("max_img_size"), d.int("num_frames")
    if size < 2 * vps:
        raise ConfigProblem("tvp max_img_size must be at least twice visual_prompt_size")
    t.add("other", 10 * h + frames * 3 * vps * (2 * size + 2 * (size - 2 * vps)))
    return t


register("tvp", tvp, "Tvp")


_K25_TEXT = {"vocab_size": 108481, "embed_dim": 1536, "layers": 24, "ffn_dim": 6144, "attention_heads": 16}
_K25_VISION = {
    "hidden_size": 1536,
    "patch_embed_hidden_size": 768,
    "intermediate_size": 3968,
    "head_dim": 64,
    "num_hidden_layers": 18,
    "num_attention_heads": 24,
    "max_num_patches": 4096,
}


def _t5_style_vision(v: Cfg, *, inner: int, inter: int, rows: int) -> int:
    """Pix2Struct-style vision encoder: patch Linear, row/column tables, bias-free attention, gated MLP, weight-only
    norms, final norm."""
    h, L = v.int("hidden_size"), v.int("num_hidden_layers")
    n = linear(v.int("patch_embed_hidden_size"), h) + 2 * rows * h
    return n + L * (4 * h * inner + 3 * h * inter + 2 * h) + h


def kosmos2_5(c: Cfg, head: str) -> Tally:
    """Kosmos-2.5: Pix2Struct-style vision encoder, image-to-text projection (Linear, latent queries, biased
    cross-attention) and a pre-LN text decoder (segment embedding, FFN with an inner LayerNorm) whose lm_head is
    tied to the token table when text_config.tie_word_embeddings (default true)."""
    if head not in ("model", "cond_gen"):
        raise NotExact(f"output head '{head}' is not modelled for kosmos-2.5")
    tc, vc = sub(c, "text_config", _K25_TEXT), sub(c, "vision_config", _K25_VISION)
    E, L, F, V = tc.int("embed_dim"), tc.int("layers"), tc.int("ffn_dim"), tc.int("vocab_size")
    inner = vc.int("num_attention_heads") * vc.int("head_dim")
    t = Tally()
    t.add(
        "vision",
        _t5_style_vision(vc, inner=inner, inter=vc.int("intermediate_size"), rows=vc.int("max_num_patches")),
    )
    t.add(
        "other",
        linear(vc.int("hidden_size"), E) + c.int("latent_query_num", default=2048) * E + 4 * linear(E, E),
    )
    t.embed(V * E)
    t.add("embeddings", 2 * E)  # segment embedding
    t.add("attention", L * (4 * linear(E, E) + 2 * E))
    t.add("mlp", L * (linear(E, F) + 2 * F + linear(F, E) + 2 * E))
    t.add("norms", 2 * E)
    nh = positive("attention_heads", tc.int("attention_heads"))
    kv_full(t, L, nh, E // nh, nh)
    if head == "cond_gen":
        tie_text = tc.bool("tie_word_embeddings", default=True)
        if not tie_text and c.bool("tie_word_embeddings", default=True):
            raise NotExact("kosmos-2.5 tie_word_embeddings differs between the config and its text_config")
        if not tie_text:
            t.add("heads", V * E)
    return t


register("kosmos-2.5", kosmos2_5, "Kosmos2_5")


_PATCHTSMIXER = {
    "context_length": 32,
    "patch_length": 8,
    "num_input_channels": 1,
    "patch_stride": 8,
    "d_model": 8,
    "expansion_factor": 2,
    "num_layers": 3,
}


def patchtsmixer(c: Cfg, head: str) -> Tally:
    """PatchTSMixerModel: patch Linear, optional position table, and per layer a patch mixer (norm, MLP over the
    patches, optional gate and self-attention with its norm), a feature mixer (norm, MLP over d_model, optional
    gate) and, in mix_channel mode, a channel mixer. MLPs widen by expansion_factor. The heads are not claimed."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for patchtsmixer")
    d = Cfg({**_PATCHTSMIXER, **{k: v for k, v in c.data.items() if v is not None}}, c.name)
    dm, L, x = d.int("d_model"), d.int("num_layers"), d.int("expansion_factor")
    P, stride, ctx = (
        d.int("patch_length"),
        positive("patch_stride", d.int("patch_stride")),
        d.int("context_length"),
    )
    n = d.int("num_patches", default=(max(ctx, P) - P) // stride + 1)  # a stated num_patches wins
    ch, gated = d.int("num_input_channels"), d.bool("gated_attn", default=True)

    def mixer(w: int) -> int:  # norm over d_model, MLP over width w, optional gate over w
        return 2 * dm + linear(w, w * x) + linear(w * x, w) + (linear(w, w) if gated else 0)

    layer = mixer(n) + mixer(dm)
    if d.bool("self_attn", default=False):
        layer += 4 * linear(dm, dm) + 2 * dm
    if d.str("mode", default="common_channel") == "mix_channel":
        layer += mixer(ch)
    t = Tally()
    t.has_kv = False
    t.add("embeddings", linear(P, dm) + (n * dm if d.bool("use_positional_encoding", default=False) else 0))
    t.add("other", L * layer)
    return t


register("patchtsmixer", patchtsmixer, "PatchTSMixer")
