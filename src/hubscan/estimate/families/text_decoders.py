"""Dense text decoders with a layout of their own: ModernBERT-decoder, BLT (byte latent transformer), Moshi,
Nemotron, GIT (image-to-text), GOT-OCR2, MOSS transcribe-diarize."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import (
    Cfg,
    ConfigProblem,
    NotExact,
    Tally,
    attention,
    claim_heads,
    decoder_dims,
    gated_mlp,
    linear,
    lm_head,
    mlp,
    tied,
)
from hubscan.estimate.families.decoders import qwen2, qwen3
from hubscan.estimate.families.registry import register


def modernbert_decoder(c: Cfg, head: str) -> Tally:
    """ModernBERT-decoder: embeddings with a LayerNorm, layers with (except the first) an attention norm, full
    q/k/v/o attention and a GLU MLP (Wi: hidden -> 2 x intermediate), a final norm; the causal-LM and
    classification heads share a dense + norm prediction head."""
    claim_heads(head, "causal_lm", "seq_cls")
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0 or h % nh:
        raise ConfigProblem("hidden_size must be a positive multiple of num_attention_heads")
    inter = c.int("intermediate_size")
    ln = h * (2 if c.bool("norm_bias", default=False) else 1)
    ab = c.bool("attention_bias", default=False)
    mb = c.bool("mlp_bias", default=False)
    t = Tally()
    t.embed(V * h)
    t.add("norms", ln + max(L - 1, 0) * ln + L * ln + ln)  # embedding norm, attention / MLP norms, final norm
    t.add("attention", L * 4 * linear(h, h, ab))
    t.add("mlp", L * (linear(h, 2 * inter, mb) + linear(inter, h, mb)))
    window = c.int("sliding_window", default=None)
    for kind in c.list("layer_types", default=["full_attention"] * L):
        t.kv_layers.append(KVLayer(2 * h, window if kind == "sliding_attention" else None, h))
    if head == "model":
        return t
    cb = c.bool("classifier_bias", default=False)
    t.add("heads", linear(h, h, cb) + ln)  # prediction head: dense + norm
    if head == "causal_lm":
        t.add("heads", (0 if tied(c, True) else V * h) + (V if c.bool("decoder_bias", default=True) else 0))
    else:
        t.add("heads", linear(h, c.num_labels(), cb))
    return t


register("modernbert-decoder", modernbert_decoder, "ModernBertDecoder")


def _blt_layers(s: Cfg) -> int:
    """A stack of Llama-style layers of one BLT sub-model (head_dim = hidden / heads)."""
    h = s.int("hidden_size")
    nh = s.int("num_attention_heads")
    if h <= 0 or nh <= 0:
        raise ConfigProblem(f"{s.name}: hidden_size and num_attention_heads must be positive")
    kv = s.int("num_key_value_heads", default=nh) or nh
    hd = h // nh
    per = 2 * h * nh * hd + 2 * h * kv * hd + gated_mlp(h, s.int("intermediate_size")) + 2 * h
    return s.int("num_hidden_layers") * per


def _blt_cross(s: Cfg) -> int:
    """Cross-attention layers between bytes and patches (q/k norms over the hidden size)."""
    h = s.int("hidden_size")
    nh = s.int("num_attention_heads")
    kv = s.int("num_key_value_heads", default=nh) or nh
    hd = h // nh
    n = s.int("num_hidden_layers") if s.bool("cross_attn_all_layers", default=False) else 1
    return n * (2 * h * nh * hd + 2 * h * kv * hd + 2 * h)


def blt(c: Cfg, head: str) -> Tally:
    """Byte Latent Transformer: a local byte encoder (byte embeddings, layers, patch projection, cross-attention),
    hash n-gram embeddings, a global patch transformer, a local decoder (patch projection, cross-attention, layers,
    norm) and, with patch_in_forward, the entropy patcher (a small byte LM, frozen but stored)."""
    claim_heads(head, "causal_lm")
    V = c.int("vocab_size")
    enc, dec, glo = c.sub("encoder_config"), c.sub("decoder_config"), c.sub("global_config")
    he, hd_, hg = enc.int("hidden_size"), dec.int("hidden_size"), glo.int("hidden_size")
    k = c.int("cross_attn_k", default=enc.int("cross_attn_k", default=2))
    groups = c.list("encoder_hash_byte_group_size", default=[])
    hashes = (
        c.int("encoder_hash_byte_group_vocab") * c.int("encoder_hash_byte_group_nb_functions") * len(groups)
    )
    t = Tally()
    t.embed(V * he)
    t.add("embeddings", hashes * he)
    t.add("other", _blt_layers(enc) + he * he * k + _blt_cross(enc))
    t.add("other", _blt_layers(glo) + glo.int("encoder_cross_output_size", default=0) * hg)
    t.add("other", _blt_layers(dec) + hg * hd_ * k + hd_ + _blt_cross(dec))
    if c.bool("patch_in_forward", default=False):
        p = c.sub("patcher_config")
        hp = p.int("hidden_size")
        t.add("other", _blt_layers(p) + 2 * p.int("vocab_size", default=V) * hp + hp)
    if head == "causal_lm" and not tied(c, False):
        t.add("heads", V * hd_)
    return t


register("blt", blt, "Blt")


def moshi_text(c: Cfg, head: str) -> Tally:
    """MoshiForCausalLM: Moshi's temporal (text) transformer alone: an embedding with one extra row, layers of
    attention and a gating MLP (fc1: hidden -> ffn_dim, fc2: ffn_dim / 2 -> hidden), an untied head. The audio
    codec and depth decoder (ForConditionalGeneration) are not counted by this formula."""
    claim_heads(head, "causal_lm")
    if head == "model":
        raise NotExact("MoshiModel is counted only through MoshiForCausalLM")
    h, L, V, nh, kv, hd = decoder_dims(c)
    ffn = c.int("ffn_dim")
    t = Tally()
    t.embed((V + 1) * h)
    t.add("attention", L * (2 * h * nh * hd + 2 * h * kv * hd))
    t.add("mlp", L * (h * ffn + (ffn // 2) * h))
    t.add("norms", 2 * L * h + h)
    window = c.int("sliding_window", default=None)
    t.kv_layers.extend(KVLayer(2 * kv * hd, window, nh * hd) for _ in range(L))
    t.add("heads", V * h)
    return t


register("moshi", moshi_text, "Moshi")


def nemotron(c: Cfg, head: str) -> Tally:
    """Nemotron(-4): grouped-query attention, a two-matrix relu^2 MLP, LayerNorm1P (weight and bias) before
    attention and MLP and at the end; head tied when the config says so."""
    claim_heads(head, "causal_lm", "seq_cls", "qa", "token_cls")
    h, L, V, nh, kv, hd = decoder_dims(c)
    ab = c.bool("attention_bias", default=False)
    t = Tally()
    t.embed(V * h)
    t.add("attention", L * attention(h, nh, kv, hd, q_bias=ab, k_bias=ab, v_bias=ab, o_bias=ab))
    t.add("mlp", L * mlp(h, c.int("intermediate_size"), c.bool("mlp_bias", default=False)))
    t.add("norms", (2 * L + 1) * 2 * h)
    t.kv_layers.extend(KVLayer(2 * kv * hd, None, nh * hd) for _ in range(L))
    lm_head(t, c, head, V, h, tie_default=False)
    return t


register("nemotron", nemotron, "Nemotron")


def _git_vision(v: Cfg) -> int:
    """GIT's CLIP-style image encoder: class embedding, bias-free patch conv, positions, pre/post LayerNorms,
    pre-LN layers with biased q/k/v/out and a two-matrix MLP."""
    hv = v.int("hidden_size")
    inter = v.int("intermediate_size")
    p = v.int("patch_size")
    positions = (v.int("image_size") // p) ** 2 + 1
    layer = 4 * linear(hv, hv) + 2 * 2 * hv + linear(hv, inter) + linear(inter, hv)
    return (
        hv
        + v.int("num_channels", default=3) * p * p * hv
        + positions * hv
        + 4 * hv
        + v.int("num_hidden_layers") * layer
    )


def git(c: Cfg, head: str) -> Tally:
    """GIT (generative image-to-text): a BERT-style text decoder (word + position embeddings, post-LN layers) fed
    by a CLIP image encoder through a linear + LayerNorm projection; the output layer has a bias and ties its
    weight to the word embeddings when asked."""
    claim_heads(head, "causal_lm")
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    inter = c.int("intermediate_size")
    v = c.sub("vision_config")
    hv = v.int("hidden_size")
    t = Tally()
    t.embed(V * h)
    t.add("embeddings", c.int("max_position_embeddings") * h + 2 * h)
    t.add("attention", L * (4 * linear(h, h) + 2 * h))
    t.add("mlp", L * (linear(h, inter) + linear(inter, h) + 2 * h))
    t.add(
        "vision", _git_vision(v) + linear(hv, h) + 2 * h + c.int("num_image_with_embedding", default=0) * hv
    )
    t.kv_layers.extend(KVLayer(2 * h, None, h) for _ in range(L))
    if head == "causal_lm":
        t.add("heads", (0 if tied(c, False) else V * h) + V)
    return t


register("git", git, "Git")


def _got_ocr2_vision(v: Cfg) -> int:
    """GOT-OCR2's SAM-style image encoder: patch conv, absolute positions, windowed / global layers with fused
    qkv and relative position tables (per window or over the whole grid), and the two-conv neck."""
    hv = v.int("hidden_size")
    nh = v.int("num_attention_heads")
    p = v.int("patch_size")
    grid = v.int("image_size") // p
    hd = hv // nh
    window = v.int("window_size", default=0)
    glob = set(v.ints("global_attn_indexes", default=[]))
    rel = v.bool("use_rel_pos", default=True)
    out = v.int("output_channels")
    n = v.int("num_channels", default=3) * p * p * hv + hv
    n += grid * grid * hv if v.bool("use_abs_pos", default=True) else 0
    for i in range(v.int("num_hidden_layers")):
        side = grid if (i in glob or window == 0) else window
        n += 4 * hv + linear(hv, 3 * hv, v.bool("qkv_bias", default=True)) + linear(hv, hv)
        n += 2 * (2 * side - 1) * hd if rel else 0
        n += linear(hv, v.int("mlp_dim")) + linear(v.int("mlp_dim"), hv)
    return n + hv * out + 2 * out + out * out * 9 + 2 * out


def got_ocr2(c: Cfg, head: str) -> Tally:
    """GOT-OCR2: a Qwen2 language model fed by a SAM-style image encoder through two strided convolutions and a
    linear projection; the head is tied to the token embeddings unless the config says otherwise."""
    claim_heads(head, "cond_gen")
    text = c.sub("text_config")
    v = c.sub("vision_config")
    t = qwen2(text, "model")
    h = text.int("hidden_size")
    V = text.int("vocab_size")
    out = v.int("output_channels")
    t.add("vision", _got_ocr2_vision(v) + out * 2 * out * 9 + 2 * out * h * 9 + linear(h, h))
    if head == "cond_gen" and not tied(c, True):
        t.add("heads", V * h)
    return t


register("got_ocr2", got_ocr2, "GotOcr2")


def _whisper_style_encoder(a: Cfg) -> int:
    """A Whisper-style audio encoder: two convolutions over mel bins, a position table, pre-LN layers (bias-free
    k), a final LayerNorm."""
    h = a.int("hidden_size", "d_model")
    inter = a.int("intermediate_size", "encoder_ffn_dim")
    n = a.int("num_mel_bins") * h * 3 + h + h * h * 3 + h + a.int("max_source_positions") * h
    layer = 3 * linear(h, h) + h * h + 2 * 2 * h + linear(h, inter) + linear(inter, h)
    return n + a.int("num_hidden_layers", "encoder_layers") * layer + 2 * h


def moss_transcribe_diarize(c: Cfg, head: str) -> Tally:
    """MOSS transcribe-diarize: a Whisper-style audio encoder, an adaptor over audio_merge_size merged frames
    (two linears and a LayerNorm) and a Qwen3 language model; head tied unless the config says otherwise."""
    claim_heads(head, "cond_gen")
    text = c.sub("text_config")
    if text.str("model_type", default="qwen3") != "qwen3":
        raise NotExact("only a Qwen3 language model is modelled")
    a = c.sub("audio_config")
    t = qwen3(text, "model")
    h = text.int("hidden_size")
    pb = c.bool("projector_bias", default=True)
    adaptor = a.int("hidden_size", "d_model") * c.int("audio_merge_size")
    t.add("audio", _whisper_style_encoder(a) + linear(adaptor, h, pb) + linear(h, h, pb) + 2 * h)
    if head == "cond_gen" and not tied(c, True):
        t.add("heads", text.int("vocab_size") * h)
    return t


register("moss_transcribe_diarize", moss_transcribe_diarize, "MossTranscribeDiarize")
