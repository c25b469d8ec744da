"""Older and encoder-decoder multimodal models of families/vl_legacy.py: Granite-Docling (+ its vision tower),
GLM-Image's VQ model, Apertus 1.5, ALIGN, Kosmos-2, UDOP, CLAP, T5Gemma 2.

Tiny configs whose counts are summed by hand here, term by term from transformers' module trees (not by calling
the formulas); heads and shapes outside what the formulas model must come out ``unknown``, never as an exact
number. With transformers and torch installed: small configs (other widths, ties, optional modules switched on)
against the meta-device build.
"""

from __future__ import annotations

import pytest

from hubscan.estimate.footprint import analyze_config
from params_meta import lin


def params(cfg: dict) -> dict:
    return analyze_config(cfg, use_transformers=False)["params"]


def exact(cfg: dict) -> int | None:
    p = params(cfg)
    return p["total"] if p["confidence"] == "exact" else None


def ln(d: int) -> int:
    return 2 * d


def test_glm_image_vqmodel_by_hand():
    cfg = {"model_type": "glm_image_vqmodel", "embed_dim": 4, "num_embeddings": 10, "latent_channels": 6}
    # codebook 10 x 4, quant_conv 6 -> 4 and post_quant_conv 4 -> 6 as biased 1x1 convs
    assert exact(cfg) == 10 * 4 + (6 * 4 + 4) + (4 * 6 + 6)


# vision tower: width 8, MLP 12, one layer, 3 channels, 8x8 tiles of 4x4 patches; connector out 6, factor 2
DOCLING_VISION = {"hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2}
DOCLING_VISION.update(num_channels=3, image_size=8, patch_size=4, out_hidden_size=6, scale_factor=2)
DOCLING_VISION.update(deepstack_visual_indexes=[0], use_fine_route=True)
VIT = (3 * 4 * 4 * 8 + 8) + (8 // 4) ** 2 * 8  # patch conv (biased), learned positions
VIT += 4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * ln(8)  # one layer: q/k/v/o, fc1/fc2, two LayerNorms
VIT += ln(8)  # post_layernorm
COARSE = 32 * 6 + (
    ln(32) + lin(32, 6) + lin(6, 6)
)  # 2x2 shuffle -> 32 wide: projection, one DeepStack merger
FINE = 8 * 6 + (ln(8) + lin(8, 6) + lin(6, 6))  # factor 1
DOCLING_TOWER = VIT + ln(8) + COARSE + FINE + ln(6) + 6 * 6 + ln(6)  # ln_in ... ln_mid, mlp_fc2, ln_out


def test_granite_docling_vision_by_hand():
    cfg = {"model_type": "granite_docling_vision", **DOCLING_VISION}
    assert exact(cfg) == DOCLING_TOWER
    # without the fine route there is one connector path only
    assert exact({**cfg, "use_fine_route": False}) == DOCLING_TOWER - FINE


def test_granite_docling_text_router_and_tie_by_hand():
    text = {"vocab_size": 10, "hidden_size": 6, "intermediate_size": 12, "num_hidden_layers": 1}
    text.update(num_attention_heads=2, num_key_value_heads=1)
    cfg = {"model_type": "granite_docling", "architectures": ["GraniteDoclingForConditionalGeneration"]}
    cfg.update(text_config=text, vision_config=DOCLING_VISION, density_router_hidden_size=4)
    granite = 10 * 6 + (6 * 6 + 6 * 3 + 6 * 3 + 6 * 6) + 3 * 6 * 12 + 2 * 6 + 6  # head_dim 3, bias-free
    router = lin(8, 1) + ln(8) + lin(8, 4) + lin(4, 1)
    assert exact(cfg) == DOCLING_TOWER + granite + router  # lm_head tied by default
    assert exact({**cfg, "tie_word_embeddings": False}) == DOCLING_TOWER + granite + router + 10 * 6


def test_apertus1p5_text_and_image_tokenizer_by_hand():
    text = {"vocab_size": 10, "hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1}
    text.update(num_attention_heads=2, num_key_value_heads=2, hidden_act="xielu", attention_bias=False)
    vision = {"codebook_size": 5, "embed_dim": 2, "latent_channels": 3, "in_channels": 3, "base_channels": 32}
    vision.update(channel_multiplier=[1], num_res_blocks=1, attn_resolutions=[], resolution=8)
    audio = {
        "model_type": "wavtokenizer_encoder",
        "num_filters": 4,
        "upsampling_ratios": [2],
        "hidden_size": 8,
    }
    audio.update(codebook_dim=8, num_lstm_layers=1)
    cfg = {"model_type": "apertus1p5", "architectures": ["Apertus1p5ForConditionalGeneration"]}
    cfg.update(text_config=text, vision_config=vision, audio_config=audio, tie_word_embeddings=False)
    # text: embeddings, q/k/v/o + q/k RMSNorms over head_dim 2, up/down MLP + xIELU's two scalars, 3 RMSNorms
    apertus = 10 * 4 + (4 * 16 + 2 * 2) + (2 * 4 * 8 + 2) + 3 * 4
    resnet = ln(32) + lin(9 * 32, 32) + ln(32) + lin(9 * 32, 32)  # GroupNorm + 3x3 conv, twice
    attn = ln(32) + 4 * lin(32, 32)  # GroupNorm + q/k/v/proj_out 1x1 convs
    tokenizer = lin(9 * 3, 32) + resnet + (2 * resnet + attn) + ln(32) + lin(9 * 32, 3)  # in, stage, mid, out
    tokenizer += 2 * 5 + lin(3, 2)  # codebook (a bias-free Linear), quant_conv
    audio_total = exact(audio)  # WavTokenizer's encoder, counted (and tested) by its own family
    assert audio_total
    assert exact(cfg) == apertus + tokenizer + audio_total + 10 * 4  # + the untied lm_head


def test_align_by_hand():
    vision = {"width_coefficient": 1.0, "depth_coefficient": 1.0, "depth_divisor": 8, "kernel_sizes": [3]}
    vision.update(in_channels=[32], out_channels=[16], strides=[1], num_block_repeats=[1], expand_ratios=[1])
    text = {"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2}
    text.update(intermediate_size=8, max_position_embeddings=6, type_vocab_size=2)
    cfg = {"model_type": "align", "architectures": ["AlignModel"], "projection_dim": 3}
    cfg.update(text_config=text, vision_config=vision)
    stem = 3 * 32 * 9 + ln(32)  # bias-free 3x3 conv + BatchNorm
    # one MBConv without expansion: depthwise 3x3 + BN, squeeze-excite 32 -> 8 -> 32, projection + BN; no top conv
    block = 32 * 9 + ln(32) + lin(32, 8) + lin(8, 32) + 32 * 16 + ln(16)
    bert = 10 * 4 + 6 * 4 + 2 * 4 + ln(4)  # word, position, token-type tables, LayerNorm
    bert += 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4) + lin(4, 4)  # one layer, pooler
    assert exact(cfg) == stem + block + bert + lin(4, 3) + 1  # + text_projection, temperature


KOSMOS_TEXT = {"vocab_size": 10, "embed_dim": 4, "layers": 1, "ffn_dim": 8, "attention_heads": 2}
KOSMOS_VISION = {"hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2}
KOSMOS_VISION.update(image_size=4, patch_size=2, num_channels=3)


def test_kosmos2_by_hand():
    cfg = {
        "model_type": "kosmos-2",
        "architectures": ["Kosmos2ForConditionalGeneration"],
        "latent_query_num": 3,
    }
    cfg.update(text_config=KOSMOS_TEXT, vision_config=KOSMOS_VISION)
    # text: embeddings (sinusoidal positions are a buffer); self-attention + inner LayerNorm; fc1, FFN LayerNorm,
    # fc2; self-attention and final LayerNorms; the stack's LayerNorm
    text = 10 * 4 + (4 * lin(4, 4) + ln(4)) + (lin(4, 8) + ln(8) + lin(8, 4)) + 2 * ln(4) + ln(4)
    # CLIP vision: class embedding, bias-free patch conv, 5 positions, pre/post LayerNorms, one layer
    vision = 4 + 3 * 2 * 2 * 4 + 5 * 4 + 2 * ln(4) + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4)
    resampler = lin(4, 4) + 3 * 4 + 4 * lin(4, 4)  # dense, latent queries, cross-attention
    assert exact(cfg) == text + vision + resampler  # the lm_head is tied (class default)
    untied = {
        **cfg,
        "tie_word_embeddings": False,
        "text_config": {**KOSMOS_TEXT, "tie_word_embeddings": False},
    }
    assert exact(untied) == text + vision + resampler + 10 * 4
    # either flag ties: the inner text LM ties by the text config's flag
    assert exact({**cfg, "tie_word_embeddings": False}) == text + vision + resampler


def test_udop_stacks_biases_and_ties_by_hand():
    cfg = {"model_type": "udop", "vocab_size": 10, "d_model": 4, "d_kv": 2, "num_heads": 2, "d_ff": 8}
    cfg.update(num_layers=1, relative_attention_num_buckets=3, feed_forward_proj="relu")
    cfg.update(max_2d_position_embeddings=5, image_size=4, patch_size=2, num_channels=1)
    cfg["relative_bias_args"] = [
        {"type": "1d", "relative_attention_num_buckets": 3},
        {"type": "vertical", "relative_attention_num_buckets": 5},
    ]
    shared, patch = 10 * 4, 1 * 2 * 2 * 4 + 4
    block = (4 * 4 * 4 + 4) + (2 * 4 * 8 + 4)  # bias-free attention + T5 LayerNorm, ReLU FF + LayerNorm
    encoder = block + 3 * 2 + 4 + 2 * 5 * 4  # first-layer bias table, final norm, 2D cell embeddings
    decoder = block + (4 * 4 * 4 + 4) + 3 * 2 + 4 + patch  # + cross-attention; its own patch embedding
    vertical, first = 5 * 2, 3 * 2  # each stack's summed relative biases
    cond_gen = shared + patch + encoder + decoder + 2 * vertical  # first tables tied to the encoder's T5 bias
    assert exact({**cfg, "architectures": ["UdopForConditionalGeneration"]}) == cond_gen
    assert exact({**cfg, "architectures": ["UdopModel"]}) == cond_gen + 2 * first
    assert exact({**cfg, "architectures": ["UdopEncoderModel"]}) == shared + patch + encoder + vertical


def test_clap_by_hand():
    text = {"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2}
    text.update(intermediate_size=8, max_position_embeddings=6, type_vocab_size=1)
    audio = {
        "patch_size": 2,
        "patch_stride": 2,
        "patch_embeds_hidden_size": 4,
        "patch_embed_input_channels": 1,
    }
    audio.update(depths=[1, 1], num_attention_heads=[1, 2], window_size=2, mlp_ratio=2.0, qkv_bias=True)
    audio.update(num_mel_bins=3, hidden_size=8, enable_fusion=False)
    cfg = {"model_type": "clap", "architectures": ["ClapModel"], "projection_dim": 3}
    cfg.update(text_config=text, audio_config=audio)
    roberta = 10 * 4 + 6 * 4 + 1 * 4 + ln(4) + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4) + lin(4, 4)

    def swin_layer(d: int, heads: int) -> int:  # 2 LayerNorms, 3x3 relative table, q/k/v/out, MLP x2
        return 2 * ln(d) + 3 * 3 * heads + 4 * lin(d, d) + lin(d, 2 * d) + lin(2 * d, d)

    htsat = lin(1 * 2 * 2, 4) + ln(4)  # patch conv + LayerNorm
    htsat += swin_layer(4, 1) + (4 * 4 * 2 * 4 + ln(4 * 4)) + swin_layer(8, 2)  # stage, merging, stage
    htsat += ln(3) + ln(8)  # BatchNorm over the mel bins, final LayerNorm
    projections = lin(4, 3) + lin(3, 3) + lin(8, 3) + lin(3, 3)
    assert exact(cfg) == roberta + htsat + projections + 2  # + two logit scales


def test_t5gemma2_by_hand():
    text = {"vocab_size": 10, "hidden_size": 4, "intermediate_size": 6, "num_hidden_layers": 1}
    text.update(num_attention_heads=2, num_key_value_heads=1, head_dim=2, attention_bias=False)
    vision = {"hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2}
    vision.update(image_size=4, patch_size=2, num_channels=3, vision_use_head=False)
    cfg = {"model_type": "t5gemma2", "architectures": ["T5Gemma2ForConditionalGeneration"]}
    cfg.update(encoder={"text_config": text, "vision_config": vision}, decoder=text)
    # a layer: q/k/v/o (2 heads, 1 kv head, width 2) + q/k RMSNorms, gated MLP, 4 RMSNorms; + the final norm
    stack = (4 * 4 + 2 * 4 * 2 + 4 * 4 + 2 * 2) + 3 * 4 * 6 + 4 * 4 + 4
    embed = 10 * 4 + 4  # token table + eoi_embedding
    siglip = lin(3 * 2 * 2, 4) + 4 * 4 + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4) + ln(4)
    projector = 4 * 4 + 4  # mm_input_projection_weight, mm_soft_emb_norm
    tied = embed + 2 * stack + siglip + projector
    assert exact(cfg) == tied
    assert exact({**cfg, "tie_word_embeddings": False}) == tied + embed + 10 * 4  # decoder table, lm_head
    seq = {**cfg, "architectures": ["T5Gemma2ForSequenceClassification"], "num_labels": 3}
    assert exact(seq) == tied + lin(4, 3)


def test_idefics_gated_cross_attention_and_perceiver_by_hand():
    cfg = {"model_type": "idefics", "architectures": ["IdeficsForVisionText2Text"], "vocab_size": 10}
    cfg.update(additional_vocab_size=2, hidden_size=4, intermediate_size=6, num_hidden_layers=1)
    cfg.update(num_attention_heads=2, cross_layer_interval=1, alpha_type="float", use_resampler=False)
    cfg["vision_config"] = {
        "embed_dim": 4,
        "intermediate_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
    }
    cfg["vision_config"].update(image_size=4, patch_size=2, num_channels=3)
    embed = (10 + 2) * 4  # decoupled embedding: the table + the additional-vocabulary table
    layer = 4 * 4 * 4 + 3 * 4 * 6 + 2 * 4  # bias-free q/k/v/o, gated MLP, two RMSNorms
    cross = (
        2 * 4 * 4 + 2 * 4 * 4 + 3 * 4 * 6 + 2 * 4 + 2
    )  # q/o, k/v from the vision width, MLP, norms, 2 alphas
    vision = 4 + 3 * 2 * 2 * 4 + 5 * 4 + 2 * ln(4) + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4)
    body = embed + layer + 4 + cross + vision  # + the final RMSNorm
    assert exact(cfg) == body + embed  # decoupled lm_head untied (class default)
    assert exact({**cfg, "tie_word_embeddings": True}) == body
    perceiver = {
        "resampler_depth": 1,
        "resampler_n_heads": 1,
        "resampler_head_dim": 2,
        "resampler_n_latents": 3,
    }
    resampled = {**cfg, "use_resampler": True, "perceiver_config": perceiver}
    # latents; context/latents LayerNorms + bias-free q/k/v/out; LayerNorm + bias-free 4x MLP; final LayerNorm
    resampler = 3 * 4 + (2 * ln(4) + 3 * 4 * 2 + 2 * 4) + (ln(4) + 2 * 4 * 16) + ln(4)
    assert exact(resampled) == body + embed + resampler


def test_florence2_davit_projector_and_bart_by_hand():
    vision = {"in_channels": 3, "depths": [1], "embed_dim": [4], "patch_size": [3], "patch_stride": [2]}
    vision.update(patch_padding=[1], patch_prenorm=[False], num_heads=[2], num_groups=[2], mlp_ratio=2.0)
    vision.update(qkv_bias=True, projection_dim=6, max_position_embeddings=5)
    text = {"model_type": "bart", "vocab_size": 10, "d_model": 4, "encoder_layers": 1, "decoder_layers": 1}
    text.update(encoder_ffn_dim=8, decoder_ffn_dim=8, encoder_attention_heads=2, decoder_attention_heads=2)
    text.update(max_position_embeddings=6)
    cfg = {"model_type": "florence2", "architectures": ["Florence2ForConditionalGeneration"]}
    cfg.update(vision_config=vision, text_config=text)
    conv_embed = 3 * 4 * 9 + 4 + ln(4)  # 3x3 patch conv, LayerNorm after it (no pre-norm)
    half = (
        2 * (9 * 4 + 4) + 2 * ln(4) + lin(4, 12) + lin(4, 4) + lin(4, 8) + lin(8, 4)
    )  # dwconvs, norms, attn, MLP
    davit = conv_embed + 2 * half  # one block: a spatial and a channel sub-block
    projector = 4 * 6 + ln(6) + 5 * 4  # bias-free projection, LayerNorm, row + column position tables
    # BART: shared table, two (6 + 2)-row position tables, two layernorm_embedding, encoder and decoder layer
    bart = 10 * 4 + 2 * 8 * 4 + 2 * ln(4)
    bart += 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * ln(4)
    bart += 8 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 3 * ln(4)
    assert exact(cfg) == davit + projector + bart  # lm_head tied to BART's shared table
    assert exact({**cfg, "tie_word_embeddings": False}) == davit + projector + bart + 10 * 4


def test_evolla_protein_encoder_resampler_and_adapters_by_hand():
    protein = {"vocab_size": 5, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2}
    protein.update(intermediate_size=8, position_embedding_type="rotary", emb_layer_norm_before=False)
    cfg = {"model_type": "evolla", "architectures": ["EvollaForProteinText2Text"], "vocab_size": 10}
    cfg.update(hidden_size=4, intermediate_size=6, num_hidden_layers=2, num_attention_heads=2)
    cfg.update(num_key_value_heads=1, aligner_num_add_layers=1, aligner_ffn_mult=2, aligner_enable_bias=True)
    cfg.update(resampler_depth=1, resampler_dim_head=2, resampler_heads=1, resampler_num_latents=3)
    cfg.update(resampler_ff_mult=1, protein_encoder_config=protein, tie_word_embeddings=True)
    llama = (
        10 * 4 + 2 * ((4 * 4 + 2 * 4 * 2 + 4 * 4) + 3 * 4 * 6 + 2 * 4) + 4
    )  # GQA head_dim 2; final RMSNorm
    # one adapter (on every 2 // 1 = 2nd layer): query, protein key/value, RMSNorm, out_proj, LN + 2x MLP, 2 gates
    adapter = lin(4, 4) + 2 * lin(4, 4) + 4 + lin(4, 4) + (ln(4) + 2 * 4 * 8) + 2
    saprot = (
        5 * 4 + (ln(4) + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + ln(4)) + ln(4)
    )  # rotary: no position table
    resampler = 3 * 4 + (2 * ln(4) + 4 * 2 + 4 * 4 + 2 * 4) + (ln(4) + 2 * 4 * 4) + ln(4) + lin(4, 4)
    # the lm_head is never tied, whatever the flag says
    assert exact(cfg) == llama + adapter + saprot + resampler + 10 * 4


@pytest.mark.parametrize(
    ("cfg", "why"),
    [
        ({"model_type": "align", "architectures": ["AlignTextModel"]}, "a tower class under the composite"),
        ({"model_type": "clap", "architectures": ["ClapAudioModelWithProjection"]}, "a tower class"),
        ({"model_type": "kosmos-2", "architectures": ["Kosmos2ForSequenceClassification"]}, "unlisted head"),
        ({"model_type": "granite_docling", "architectures": ["GraniteDoclingVisionModel"]}, "a tower class"),
        ({"model_type": "glm_image_vqmodel", "architectures": ["GlmImageForConditionalGeneration"]}, "other"),
        ({"model_type": "udop", "architectures": ["UdopForSequenceClassification"]}, "unlisted head"),
        ({"model_type": "idefics", "architectures": ["Idefics2ForConditionalGeneration"]}, "another family"),
        ({"model_type": "florence2", "text_config": {"model_type": "t5"}}, "another language model"),
        (
            {"model_type": "evolla", "protein_encoder_config": {"position_embedding_type": "relative_key"}},
            "rel.",
        ),
        ({"model_type": "clap", "audio_config": {"mlp_ratio": -1.0}}, "a negative width multiplier"),
        ({"model_type": "idefics", "alpha_type": "matrix"}, "an alpha shape transformers does not build"),
        ({"model_type": "t5gemma2", "architectures": ["T5Gemma2Encoder"]}, "encoder-only class"),
        (
            {"model_type": "t5gemma2", "encoder": {"vision_config": {"model_type": "clip_vision_model"}}},
            "another vision tower",
        ),
        (
            {
                "model_type": "udop",
                "architectures": ["UdopForConditionalGeneration"],
                "relative_bias_args": [{"type": "1d", "relative_attention_num_buckets": 50}],
            },
            "a first relative bias that cannot be tied to the T5 bias",
        ),
        (
            {"model_type": "apertus1p5", "text_config": {"hidden_act": "prelu"}},
            "an activation that may hold parameters",
        ),
    ],
)
def test_unmodelled_shapes_and_heads_are_not_exact(cfg, why):
    p = params(cfg)
    assert p["confidence"] != "exact", why
    assert p["total"] is None, why


META_CASES = [
    ("glm_image_vqmodel", None, {"embed_dim": 16, "num_embeddings": 40, "latent_channels": 24}),
    (
        "granite_docling",
        "GraniteDoclingForConditionalGeneration",
        {
            "density_router_hidden_size": 64,
            "tie_word_embeddings": False,
            "vision_config": {"num_hidden_layers": 2, "image_size": 384, "scale_factor": 2},
            "text_config": {"num_hidden_layers": 2},
        },
    ),
    (
        "granite_docling",
        "GraniteDoclingModel",
        {
            "vision_config": {"use_fine_route": False, "deepstack_visual_indexes": [1]},
            "text_config": {"num_hidden_layers": 1},
        },
    ),
    (
        "apertus1p5",
        "Apertus1p5ForConditionalGeneration",
        {
            "text_config": {
                "num_hidden_layers": 1,
                "num_key_value_heads": 8,
                "attention_bias": True,
                "output_vocab_size": 1000,
            },
            "vision_config": {
                "channel_multiplier": [1, 2, 3],
                "attn_resolutions": [256, 128],
                "num_res_blocks": 2,
                "base_channels": 64,
            },
        },
    ),
    (
        "align",
        "AlignModel",
        {
            "projection_dim": 128,
            "text_config": {
                "num_hidden_layers": 1,
                "hidden_size": 256,
                "intermediate_size": 512,
                "num_attention_heads": 4,
            },
            "vision_config": {
                "width_coefficient": 1.0,
                "depth_coefficient": 1.0,
                "expand_ratios": [1, 4, 6, 6, 6, 6, 6],
            },
        },
    ),
    (
        "kosmos-2",
        "Kosmos2ForConditionalGeneration",
        {
            "tie_word_embeddings": False,
            "text_config": {
                "layers": 2,
                "tie_word_embeddings": False,
                "add_cross_attention": True,
                "embed_dim": 256,
                "ffn_dim": 512,
                "attention_heads": 4,
            },
            "vision_config": {"num_hidden_layers": 1, "image_size": 112},
        },
    ),
    (
        "udop",
        "UdopModel",
        {
            "num_layers": 2,
            "num_decoder_layers": 3,
            "d_model": 128,
            "d_kv": 16,
            "num_heads": 4,
            "d_ff": 256,
            "feed_forward_proj": "gated-gelu",
        },
    ),
    (
        "udop",
        "UdopForConditionalGeneration",
        {
            "num_layers": 1,
            "relative_bias_args": [
                {"type": "1d"},
                {"type": "vertical", "prefix_bucket": True, "relative_attention_num_buckets": 50},
            ],
        },
    ),
    (
        "clap",
        "ClapModel",
        {
            "projection_dim": 64,
            "text_config": {"num_hidden_layers": 1},
            "audio_config": {
                "enable_fusion": True,
                "fusion_type": "channel_map",
                "depths": [1, 2],
                "num_attention_heads": [2, 4],
                "window_size": 4,
                "patch_size": [4, 2],
                "hidden_size": 192,
                "mlp_ratio": 3.0,
                "qkv_bias": False,
            },
        },
    ),
    (
        "t5gemma2",
        "T5Gemma2ForConditionalGeneration",
        {
            "tie_word_embeddings": False,
            "encoder": {
                "text_config": {
                    "num_hidden_layers": 2,
                    "vocab_size": 1000,
                    "hidden_size": 64,
                    "intermediate_size": 128,
                    "num_attention_heads": 4,
                    "num_key_value_heads": 2,
                    "head_dim": 16,
                    "attention_bias": True,
                },
                "vision_config": {
                    "num_hidden_layers": 1,
                    "hidden_size": 32,
                    "intermediate_size": 64,
                    "num_attention_heads": 2,
                },
            },
            "decoder": {
                "num_hidden_layers": 3,
                "vocab_size": 1000,
                "hidden_size": 64,
                "intermediate_size": 96,
                "num_attention_heads": 2,
                "num_key_value_heads": 1,
                "head_dim": 32,
            },
        },
    ),
    (
        "idefics",
        "IdeficsForVisionText2Text",
        {
            "num_hidden_layers": 2,
            "cross_layer_interval": 2,
            "additional_vocab_size": 3,
            "qk_layer_norms": True,
            "alpha_type": "vector",
            "use_resampler": True,
            "hidden_size": 256,
            "intermediate_size": 512,
            "num_attention_heads": 4,
            "vision_config": {
                "num_hidden_layers": 1,
                "embed_dim": 64,
                "intermediate_size": 128,
                "num_attention_heads": 2,
            },
            "perceiver_config": {
                "resampler_depth": 2,
                "resampler_n_heads": 2,
                "resampler_head_dim": 8,
                "qk_layer_norms_perceiver": True,
            },
        },
    ),
    (
        "florence2",
        "Florence2ForConditionalGeneration",
        {
            "tie_word_embeddings": True,
            "text_config": {
                "tie_word_embeddings": False,
                "encoder_layers": 1,
                "decoder_layers": 2,
                "d_model": 64,
                "encoder_ffn_dim": 128,
                "decoder_ffn_dim": 96,
                "encoder_attention_heads": 4,
                "decoder_attention_heads": 4,
                "vocab_size": 1000,
                "max_position_embeddings": 64,
            },
            "vision_config": {
                "depths": [1, 2],
                "embed_dim": [32, 64],
                "patch_size": [7, 3],
                "patch_stride": [4, 2],
                "patch_padding": [3, 1],
                "patch_prenorm": [False, True],
                "num_heads": [2, 4],
                "num_groups": [2, 4],
                "mlp_ratio": 3.0,
                "qkv_bias": False,
                "projection_dim": 64,
                "max_position_embeddings": 10,
            },
        },
    ),
    (
        "evolla",
        "EvollaForProteinText2Text",
        {
            "num_hidden_layers": 5,
            "aligner_num_add_layers": 2,
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "attention_bias": True,
            "mlp_bias": True,
            "aligner_enable_bias": False,
            "aligner_ffn_mult": 3,
            "vocab_size": 500,
            "resampler_depth": 2,
            "resampler_heads": 2,
            "resampler_dim_head": 16,
            "resampler_num_latents": 7,
            "resampler_ff_mult": 2,
            "protein_encoder_config": {
                "num_hidden_layers": 2,
                "hidden_size": 64,
                "intermediate_size": 96,
                "num_attention_heads": 4,
                "emb_layer_norm_before": True,
                "position_embedding_type": "absolute",
            },
        },
    ),
]


@pytest.mark.parametrize(("model_type", "cls", "kwargs"), META_CASES)
def test_against_meta_device(model_type, cls, kwargs):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    d = transformers.CONFIG_MAPPING[model_type](**kwargs).to_dict()
    if cls:
        d["architectures"] = [cls]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(d)).parameters())
    p = params(d)
    assert (p["total"], p["confidence"]) == (expected, "exact")
