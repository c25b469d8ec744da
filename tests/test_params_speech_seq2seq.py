"""Exact counts for the wav2vec2-derived speech encoders and the T5 / M2M100-shaped encoder-decoders.

The first tests derive each count by hand from the module tree (tiny sizes, one term per module, written out
here, not by calling the family formula); the last test builds seeded random configs on the meta device
(skipped without transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _params, lin

# A tiny wav2vec2-style encoder: one conv layer (4 channels, kernel 3, no bias), hidden 8, 2 heads, 1 layer.
TINY_SPEECH = {
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 1,
    "intermediate_size": 16,
    "conv_dim": [4],
    "conv_kernel": [3],
    "conv_stride": [2],
    "conv_bias": False,
    "feat_extract_norm": "group",
    "num_conv_pos_embeddings": 4,
    "num_conv_pos_embedding_groups": 2,
    "mask_time_prob": 0.0,
    "mask_feature_prob": 0.0,
    "do_stable_layer_norm": False,
}
CONV = 1 * 4 * 3 + 2 * 4  # Conv1d weight + GroupNorm(4) weight/bias
PROJECTION = 2 * 4 + lin(4, 8)  # LayerNorm(4) + Linear(4 -> 8)
POS_CONV = 8 * (8 // 2) * 4 + 8 + 4  # grouped conv weight_v + bias + weight_g (one per kernel tap)
ENCODER_NORM = 2 * 8
LAYER = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * (2 * 8)  # q/k/v/out, feed-forward, two LayerNorms


def test_unispeech_counts_like_wav2vec2_and_sat_always_builds_the_mask_embedding():
    base = CONV + PROJECTION + POS_CONV + ENCODER_NORM + LAYER
    uni = _params({"model_type": "unispeech", **TINY_SPEECH, "architectures": ["UniSpeechModel"]})
    assert (uni["total"], uni["confidence"]) == (base, "exact")
    sat = _params({"model_type": "unispeech-sat", **TINY_SPEECH, "architectures": ["UniSpeechSatModel"]})
    assert (sat["total"], sat["confidence"]) == (base + 8, "exact")  # masked_spec_embed regardless of masking


def test_wavlm_adds_gated_relative_position_parameters():
    cfg = {"model_type": "wavlm", **TINY_SPEECH, "num_hidden_layers": 2, "num_buckets": 10}
    cfg["architectures"] = ["WavLMForCTC"]
    cfg["vocab_size"] = 5
    head_dim = 8 // 2
    gru = 2 + lin(head_dim, 8)  # gru_rel_pos_const (one per head) + gru_rel_pos_linear
    expected = CONV + PROJECTION + POS_CONV + ENCODER_NORM + 2 * (LAYER + gru) + 10 * 2 + lin(8, 5)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_data2vec_audio_layer_norm_on_every_conv_and_a_stack_of_position_convs():
    cfg = {
        "model_type": "data2vec-audio",
        **TINY_SPEECH,
        "conv_dim": [4, 4],
        "conv_kernel": [3, 2],
        "conv_stride": [2, 2],
        "num_conv_pos_embeddings": 3,
        "conv_pos_kernel_size": 5,
    }
    conv = (1 * 4 * 3 + 2 * 4) + (4 * 4 * 2 + 2 * 4)  # each conv layer has its own LayerNorm
    pos = 3 * (8 * (8 // 2) * 5 + 8)  # three grouped convs, LayerNorms without affine parameters
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (conv + PROJECTION + pos + ENCODER_NORM + LAYER, "exact")


def test_sew_projects_only_when_widths_differ_and_upsamples():
    cfg = {"model_type": "sew", **TINY_SPEECH, "conv_dim": [8], "squeeze_factor": 3}
    conv = 1 * 8 * 3 + 2 * 8
    expected = conv + 2 * 8 + POS_CONV + ENCODER_NORM + LAYER + lin(8, 8 * 3)  # no projection Linear
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_wav2vec2_conformer_block():
    cfg = {
        "model_type": "wav2vec2-conformer",
        **TINY_SPEECH,
        "conv_depthwise_kernel_size": 3,
        "position_embeddings_type": "relative",
    }
    ffn = lin(8, 16) + lin(16, 8)
    conv_module = (
        2 * 8 + 8 * 16 + 8 * 3 + 2 * 8 + 8 * 8
    )  # LN, pointwise 8->16, depthwise, BatchNorm, pointwise
    rel = 8 * 8 + 2 * 8  # linear_pos (no bias), pos_bias_u, pos_bias_v
    block = 2 * ffn + 4 * lin(8, 8) + rel + conv_module + 4 * (2 * 8)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (CONV + PROJECTION + POS_CONV + ENCODER_NORM + block, "exact")


TINY_T5 = {
    "d_model": 8,
    "d_kv": 2,
    "d_ff": 16,
    "num_layers": 2,
    "num_decoder_layers": 1,
    "num_heads": 3,
    "vocab_size": 50,
    "relative_attention_num_buckets": 4,
    "feed_forward_proj": "relu",
    "tie_word_embeddings": True,
}
ATT = 3 * 8 * 6 + 6 * 8  # q, k, v (8 -> 3 heads x 2) and o, no biases
FF = 2 * 8 * 16


def test_umt5_has_a_bucket_table_in_every_self_attention_layer():
    enc = 2 * (ATT + FF + 2 * 8) + 8 + 2 * 4 * 3  # layers, final RMSNorm, one table per layer
    dec = 1 * (2 * ATT + FF + 3 * 8) + 8 + 1 * 4 * 3
    p = _params({"model_type": "umt5", **TINY_T5, "architectures": ["UMT5Model"]})
    assert (p["total"], p["confidence"]) == (50 * 8 + enc + dec, "exact")
    t5 = _params({"model_type": "t5", **TINY_T5, "architectures": ["T5Model"]})
    assert t5["total"] == p["total"] - 4 * 3  # T5: only the first layer of each stack has the table


def test_longt5_transient_global_adds_a_norm_per_layer_and_a_global_table():
    cfg = {"model_type": "longt5", **TINY_T5, "encoder_attention_type": "transient-global"}
    cfg["architectures"] = ["LongT5EncoderModel"]
    enc = 2 * (ATT + FF + 2 * 8 + 8) + 8 + 2 * 4 * 3
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (50 * 8 + enc, "exact")


def test_switch_transformers_every_second_mlp_is_a_top1_mixture():
    cfg = {
        "model_type": "switch_transformers",
        **TINY_T5,
        "num_layers": 4,
        "num_decoder_layers": 2,
        "num_sparse_encoder_layers": 2,  # step 2: layers 1 and 3
        "num_sparse_decoder_layers": 1,  # step 2: layer 1
        "num_experts": 3,
        "router_bias": False,
        "architectures": ["SwitchTransformersModel"],
    }
    sparse = 8 * 3 + 3 * FF  # router + three experts
    enc = 4 * (ATT + 2 * 8) + 2 * FF + 2 * sparse + 8 + 4 * 3
    dec = 2 * (2 * ATT + 3 * 8) + 1 * FF + 1 * sparse + 8 + 4 * 3
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (50 * 8 + enc + dec, "exact")
    assert p["active"] == p["total"] - 3 * 2 * FF  # one of three experts runs per sparse layer


def test_m2m_100_has_no_position_parameters_and_final_norms():
    cfg = {
        "model_type": "m2m_100",
        "d_model": 8,
        "encoder_layers": 1,
        "decoder_layers": 2,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 12,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "vocab_size": 40,
        "max_position_embeddings": 64,
        "architectures": ["M2M100ForConditionalGeneration"],
    }
    enc = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16
    dec = 8 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 3 * 16
    expected = 40 * 8 + enc + 2 * dec + 2 * 16  # shared embedding (tied head), final encoder/decoder norms
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "unispeech", "architectures": ["UniSpeechForPreTraining"]},
        {"model_type": "unispeech-sat", "architectures": ["UniSpeechSatForPreTraining"]},
        {"model_type": "sew", "add_adapter": True},
        {"model_type": "unispeech", "architectures": ["UniSpeechSatForCTC"]},
        {"model_type": "umt5", "architectures": ["UMT5ForSequenceClassification"]},
        {"model_type": "longt5", "encoder_attention_type": "sliding"},
        {"model_type": "wav2vec2-conformer", "position_embeddings_type": "alibi"},
    ],
)
def test_unclaimed_heads_and_options_are_not_exact(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact"
    assert not p["method"].startswith("analytic:")


def _speech_cfg(r: random.Random, mt: str) -> dict:
    h = r.choice([8, 16])
    n_conv = r.randint(1, 3)
    cfg = {
        "model_type": mt,
        "hidden_size": h,
        "num_attention_heads": r.choice([1, 2, 4]),
        "num_hidden_layers": r.randint(1, 3),
        "intermediate_size": r.choice([8, 24]),
        "conv_dim": [r.choice([4, 8, 16]) for _ in range(n_conv)],
        "conv_kernel": [r.randint(2, 4) for _ in range(n_conv)],
        "conv_stride": [2] * n_conv,
        "conv_bias": r.random() < 0.5,
        "feat_extract_norm": r.choice(["group", "layer"]),
        "do_stable_layer_norm": r.random() < 0.5,
        "num_conv_pos_embeddings": r.choice([3, 4]),
        "num_conv_pos_embedding_groups": r.choice([1, 2]),
        "mask_time_prob": r.choice([0.0, 0.05]),
        "vocab_size": r.randint(3, 12),
        "classifier_proj_size": 6,
        "use_weighted_layer_sum": r.random() < 0.5,
        "num_labels": r.randint(1, 5),
        "tdnn_dim": [8, 8, 12],
        "tdnn_kernel": [3, 1, 1],
        "xvector_output_dim": 6,
        "num_buckets": r.choice([8, 16]),
        "squeeze_factor": r.choice([1, 2]),
        "conv_depthwise_kernel_size": 3,
        "conv_pos_kernel_size": 3,
        "position_embeddings_type": r.choice(["relative", "rotary"]),
        "codevector_dim": 8,
        "proj_codevector_dim": 6,
        "num_codevectors_per_group": 5,
    }
    if mt == "wav2vec2-bert":
        cfg["position_embeddings_type"] = r.choice(["relative", "relative_key", "rotary"])
        cfg.update(
            feature_projection_input_dim=r.choice([4, 6]),
            use_intermediate_ffn_before_adapter=r.random() < 0.5,
        )
        cfg.update(
            num_adapter_layers=r.randint(1, 2),
            left_max_position_embeddings=3,
            right_max_position_embeddings=2,
        )
    if mt in ("wavlm", "data2vec-audio", "wav2vec2-conformer", "wav2vec2-bert") and r.random() < 0.4:
        cfg.update(add_adapter=True, output_hidden_size=r.choice([cfg["hidden_size"], 12]), adapter_stride=2)
    if not cfg.get("add_adapter"):
        cfg["use_intermediate_ffn_before_adapter"] = False  # transformers refuses it without an adapter
    return cfg


SPEECH_HEADS = {
    "unispeech": ("UniSpeech", ["Model", "ForCTC", "ForSequenceClassification"]),
    "unispeech-sat": ("UniSpeechSat", ["Model", "ForCTC", "ForAudioFrameClassification", "ForXVector"]),
    "wavlm": ("WavLM", ["Model", "ForCTC", "ForSequenceClassification", "ForXVector"]),
    "data2vec-audio": ("Data2VecAudio", ["Model", "ForCTC", "ForAudioFrameClassification", "ForXVector"]),
    "sew": ("SEW", ["Model", "ForCTC", "ForSequenceClassification"]),
    "wav2vec2-conformer": ("Wav2Vec2Conformer", ["Model", "ForCTC", "ForPreTraining", "ForXVector"]),
    "wav2vec2-bert": ("Wav2Vec2Bert", ["Model", "ForCTC", "ForSequenceClassification", "ForXVector"]),
}
META_CASES = [(mt, seed) for mt in SPEECH_HEADS for seed in range(6)]


@pytest.mark.parametrize(("mt", "seed"), META_CASES, ids=[f"{m}-{s}" for m, s in META_CASES])
def test_speech_encoders_equal_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    r = random.Random(f"{mt}-{seed}")
    cfg = _speech_cfg(r, mt)
    prefix, suffixes = SPEECH_HEADS[mt]
    suffix = r.choice(suffixes)
    if cfg.get("add_adapter") and suffix in ("ForSequenceClassification", "ForAudioFrameClassification"):
        suffix = "ForCTC"  # transformers refuses these heads with an adapter
    cfg["architectures"] = [prefix + suffix]
    expected = sum(p.numel() for p in meta.build_meta_model(cfg).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact"), cfg


def test_speech_to_text_subsampler_and_decoder_owned_embedding():
    cfg = {
        "model_type": "speech_to_text",
        "d_model": 8,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 16,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "vocab_size": 30,
        "num_conv_layers": 2,
        "conv_kernel_sizes": [3, 5],
        "conv_channels": 12,
        "input_feat_per_channel": 10,
        "input_channels": 1,
        "architectures": ["Speech2TextModel"],
    }
    sub = lin(10 * 3, 12) + lin(12 // 2 * 5, 2 * 8)  # GLU halves the channels between the convs
    enc = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16
    dec = 8 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 3 * 16
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (sub + 30 * 8 + enc + dec + 2 * 16, "exact")


def test_led_encoder_has_global_projections_and_learned_positions():
    cfg = {
        "model_type": "led",
        "d_model": 8,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 16,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "vocab_size": 30,
        "max_encoder_position_embeddings": 40,
        "max_decoder_position_embeddings": 20,
        "attention_window": [4],
        "architectures": ["LEDForQuestionAnswering"],
    }
    enc = 7 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16  # q/k/v, global q/k/v, output
    dec = 8 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 3 * 16
    expected = 30 * 8 + (40 + 20) * 8 + 2 * 16 + enc + dec + lin(8, 2)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_fsmt_two_vocabularies_and_frozen_sinusoidal_tables():
    cfg = {
        "model_type": "fsmt",
        "d_model": 8,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 16,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "src_vocab_size": 30,
        "tgt_vocab_size": 20,
        "max_position_embeddings": 10,
        "pad_token_id": 1,
        "tie_word_embeddings": False,
        "langs": ["en", "de"],
    }
    enc = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16
    dec = 8 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 3 * 16
    expected = 30 * 8 + 20 * 8 + 20 * 8 + 2 * (10 + 1 + 1) * 8 + enc + dec  # + output projection
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    tied_other_sizes = _params({**cfg, "tie_word_embeddings": True})
    assert tied_other_sizes["confidence"] != "exact"


def test_nllb_moe_every_second_layer_is_a_top2_mixture():
    cfg = {
        "model_type": "nllb-moe",
        "d_model": 8,
        "encoder_layers": 2,
        "decoder_layers": 1,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 16,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "vocab_size": 30,
        "num_experts": 3,
        "encoder_sparse_step": 2,  # layer 2 of the encoder
        "decoder_sparse_step": 2,  # none of the single decoder layer
        "router_bias": False,
    }
    ffn = lin(8, 16) + lin(16, 8)
    enc = 2 * (4 * lin(8, 8) + 2 * 16) + ffn + (8 * 3 + 3 * ffn)
    dec = 8 * lin(8, 8) + 3 * 16 + ffn
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (30 * 8 + enc + dec + 2 * 16, "exact")
    assert p["active"] == p["total"] - ffn  # two of three experts run


def test_pegasus_x_bias_free_attention_and_global_tokens():
    cfg = {
        "model_type": "pegasus_x",
        "d_model": 8,
        "encoder_layers": 2,
        "decoder_layers": 1,
        "encoder_ffn_dim": 16,
        "decoder_ffn_dim": 12,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "vocab_size": 30,
        "num_global_tokens": 5,
        "architectures": ["PegasusXForConditionalGeneration"],
    }
    enc = 4 * 8 * 8 + lin(8, 16) + lin(16, 8) + 3 * 16  # self, global and final LayerNorms
    dec = 8 * 8 * 8 + lin(8, 12) + lin(12, 8) + 3 * 16
    expected = 30 * 8 + 5 * 8 + 2 * enc + dec + 2 * 16
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_audio_spectrogram_transformer_patches_and_classifier():
    cfg = {
        "model_type": "audio-spectrogram-transformer",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "patch_size": 4,
        "frequency_stride": 2,
        "time_stride": 3,
        "num_mel_bins": 10,  # (10 - 4) // 2 + 1 = 4 frequency patches
        "max_length": 13,  # (13 - 4) // 3 + 1 = 4 time patches
        "num_labels": 3,
        "architectures": ["ASTForAudioClassification"],
    }
    embeddings = lin(4 * 4, 8) + (4 * 4 + 2) * 8 + 2 * 8
    layer = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16
    head = 2 * 8 + lin(8, 3)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (embeddings + layer + 2 * 8 + head, "exact")


def test_wav2vec2_bert_conformer_with_distance_embedding():
    cfg = {
        "model_type": "wav2vec2-bert",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "feature_projection_input_dim": 6,
        "mask_time_prob": 0.0,
        "conv_depthwise_kernel_size": 3,
        "position_embeddings_type": "relative_key",
        "left_max_position_embeddings": 3,
        "right_max_position_embeddings": 2,
        "add_adapter": False,
    }
    projection = 2 * 6 + lin(6, 8)
    ffn = lin(8, 16) + lin(16, 8)
    conv_module = 2 * 8 + 8 * 16 + 8 * 3 + 2 * 8 + 8 * 8  # LN, pointwise, depthwise, depthwise LN, pointwise
    distance = (3 + 2 + 1) * (8 // 2)
    block = 2 * ffn + 4 * lin(8, 8) + distance + conv_module + 4 * 16
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (projection + block, "exact")


AUDIO_ENCODER = {
    "d_model": 8,
    "encoder_layers": 1,
    "encoder_attention_heads": 2,
    "encoder_ffn_dim": 16,
    "num_mel_bins": 5,
    "max_source_positions": 7,
}
# conv1 (5 -> 8, kernel 3), conv2 (8 -> 8, kernel 3), position table, layer (k_proj without bias), final norm
WHISPER_ENCODER = (
    lin(5 * 3, 8) + lin(8 * 3, 8) + 7 * 8 + (4 * 8 * 8 + 3 * 8 + lin(8, 16) + lin(16, 8) + 2 * 16) + 16
)


def test_whisper_style_audio_encoder():
    p = _params(
        {"model_type": "qwen2_audio_encoder", **AUDIO_ENCODER, "architectures": ["Qwen2AudioEncoder"]}
    )
    assert (p["total"], p["confidence"]) == (WHISPER_ENCODER, "exact")


def test_qwen2_audio_encoder_projector_and_qwen2_decoder_with_untied_head():
    text = {
        "model_type": "qwen2",
        "hidden_size": 12,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 20,
        "vocab_size": 30,
        "tie_word_embeddings": True,  # ignored: these classes declare no tied weights
    }
    cfg = {
        "model_type": "qwen2_audio",
        "audio_config": {"model_type": "qwen2_audio_encoder", **AUDIO_ENCODER},
        "text_config": text,
        "architectures": ["Qwen2AudioForConditionalGeneration"],
    }
    hd = 12 // 2
    attn = lin(12, 2 * hd) + 2 * lin(12, 1 * hd) + 2 * hd * 12  # q/k/v with bias, o without
    decoder = 30 * 12 + attn + 3 * 12 * 20 + 2 * 12 + 12  # embeddings, layer (gated MLP, two RMSNorms), norm
    expected = WHISPER_ENCODER + lin(8, 12) + decoder + 30 * 12  # projector, lm_head
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    no_audio = _params({**cfg, "audio_config": None})
    assert no_audio["confidence"] != "exact"


def test_qwen2_vl_vision_tower_and_merger():
    vision = {
        "model_type": "qwen2_vl_vision",
        "depth": 1,
        "embed_dim": 8,
        "hidden_size": 12,
        "num_heads": 2,
        "mlp_ratio": 2,
        "patch_size": 2,
        "temporal_patch_size": 2,
        "spatial_merge_size": 2,
        "in_channels": 3,
    }
    text = {
        "model_type": "qwen2_vl_text",
        "hidden_size": 12,
        "intermediate_size": 20,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "vocab_size": 30,
    }
    cfg = {"model_type": "qwen2_vl", "vision_config": vision, "text_config": text}
    patch = 3 * 2 * 2 * 2 * 8  # Conv3d without bias
    block = 2 * 16 + lin(8, 24) + lin(8, 8) + lin(8, 16) + lin(16, 8)
    merger = 2 * 8 + lin(32, 32) + lin(32, 12)  # LayerNorm over 8, then 2x2 patches stacked (32)
    hd = 12 // 2
    decoder = 30 * 12 + lin(12, 2 * hd) + 2 * lin(12, hd) + 2 * hd * 12 + 3 * 12 * 20 + 2 * 12 + 12
    p = _params({**cfg, "architectures": ["Qwen2VLForConditionalGeneration"]})
    assert (p["total"], p["confidence"]) == (patch + block + merger + decoder + 30 * 12, "exact")
    flat = {
        "model_type": "qwen2_vl",
        "vision_config": vision,
        **{k: v for k, v in text.items() if k != "model_type"},
    }
    assert _params(flat)["total"] == p["total"] - 30 * 12  # no architectures: base model, no lm_head
    partial = {k: v for k, v in flat.items() if k != "num_key_value_heads"}
    assert _params(partial)["confidence"] != "exact"  # Qwen2VLTextConfig's defaults are not Qwen2's


def test_video_llava_builds_the_clip_tower_twice():
    vision = {
        "model_type": "clip_vision_model",
        "hidden_size": 8,
        "intermediate_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": 8,
        "patch_size": 4,
    }
    text = {
        "model_type": "llama",
        "hidden_size": 12,
        "intermediate_size": 20,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "vocab_size": 30,
    }
    base = {"vision_config": vision, "text_config": text}
    llava = _params({"model_type": "llava", **base})
    video = _params({"model_type": "video_llava", **base})
    # CLIP tower: patch conv (no bias), class embedding, 2x2+1 positions, pre/post LayerNorm, one layer
    tower = 3 * 4 * 4 * 8 + 8 + 5 * 8 + 2 * 16 + (4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 16)
    assert video["confidence"] == llava["confidence"] == "exact"
    assert video["total"] - llava["total"] == tower


def test_moonshine_conv_stem_rotary_layers_and_gated_decoder_mlp():
    cfg = {
        "model_type": "moonshine",
        "hidden_size": 8,
        "intermediate_size": 12,
        "encoder_num_hidden_layers": 1,
        "decoder_num_hidden_layers": 1,
        "encoder_num_attention_heads": 2,
        "decoder_num_attention_heads": 2,
        "encoder_num_key_value_heads": 1,
        "decoder_num_key_value_heads": 1,
        "vocab_size": 30,
        "attention_bias": False,
        "tie_word_embeddings": True,
        "architectures": ["MoonshineForConditionalGeneration"],
    }
    stem = 8 * 127 + lin(8 * 7, 16) + lin(16 * 3, 8) + 2 * 8  # conv1 (no bias), conv2, conv3, GroupNorm
    attn = 8 * 8 + 2 * 8 * 4 + 8 * 8  # q (2 heads x 4), k/v (1 head x 4), o; no biases
    enc = attn + lin(8, 12) + lin(12, 8) + 2 * 8 + 8  # two bias-free LayerNorms per layer, final norm
    dec = 30 * 8 + 2 * attn + lin(8, 24) + lin(12, 8) + 3 * 8 + 8
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (stem + enc + dec, "exact")
    uneven = _params({**cfg, "decoder_num_key_value_heads": 2})
    assert uneven["confidence"] != "exact"  # transformers builds the decoder with the encoder's heads


def test_t5gemma_two_gemma2_stacks_with_cross_attention():
    enc = {
        "hidden_size": 8,
        "intermediate_size": 12,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 4,
        "vocab_size": 30,
        "attention_bias": False,
    }
    dec = {**enc, "hidden_size": 6, "intermediate_size": 10}
    cfg = {"model_type": "t5gemma", "encoder": enc, "decoder": dec, "architectures": ["T5GemmaModel"]}
    enc_n = 30 * 8 + (8 * 8 + 2 * 8 * 4 + 8 * 8) + 3 * 8 * 12 + 4 * 8 + 8
    self_attn = 6 * 8 + 2 * 6 * 4 + 8 * 6
    cross = 6 * 8 + 2 * 8 * 4 + 8 * 6  # keys/values read the encoder width
    dec_n = 30 * 6 + self_attn + cross + 3 * 6 * 10 + 6 * 6 + 6
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (enc_n + dec_n, "exact")
    no_head_dim = {**cfg, "decoder": {k: v for k, v in dec.items() if k != "head_dim"}}
    assert _params(no_head_dim)["confidence"] != "exact"  # the sub-config class default is Gemma 2's 256


def test_parakeet_fastconformer_encoder_and_ctc_head():
    enc = {
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 12,
        "attention_bias": True,
        "convolution_bias": True,
        "conv_kernel_size": 3,
        "subsampling_factor": 4,  # two stride-2 stages
        "subsampling_conv_channels": 4,
        "subsampling_conv_kernel_size": 3,
        "subsampling_conv_stride": 2,
        "num_mel_bins": 16,
    }
    sub = (4 * 9 + 4) + (4 * 9 + 4) + lin(4, 4) + lin(4 * (16 // 4), 8)  # conv, depthwise, pointwise, linear
    ffn = lin(8, 12) + lin(12, 8)
    attn = 4 * lin(8, 8) + 8 * 8 + 2 * 8  # q/k/v/o, relative_k_proj, bias_u / bias_v
    conv = lin(8, 16) + (8 * 3 + 8) + 2 * 8 + lin(8, 8)  # pointwise, depthwise, BatchNorm, pointwise
    block = 2 * ffn + attn + conv + 5 * 16
    p = _params({"model_type": "parakeet_encoder", **enc, "architectures": ["ParakeetEncoder"]})
    assert (p["total"], p["confidence"]) == (sub + block, "exact")
    ctc = _params({"model_type": "parakeet_ctc", "encoder_config": enc, "vocab_size": 10})
    assert ctc["total"] == sub + block + lin(8, 10)  # no architectures: ParakeetForCTC is the only class


def test_lasr_encoder_rotary_blocks_and_bias_free_norms():
    cfg = {
        "model_type": "lasr_encoder",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 12,
        "attention_bias": False,
        "convolution_bias": False,
        "conv_kernel_size": 3,
        "subsampling_conv_channels": 4,
        "subsampling_conv_kernel_size": 5,
        "num_mel_bins": 10,
        "architectures": ["LasrEncoder"],
    }
    sub = lin(10, 8) + lin(8 * 5, 8) + lin(8 * 5, 4) + lin(4, 8)  # dense, two Conv1d, dense
    ffn = 8 * 12 + 12 * 8
    attn = 8 * 8 + 2 * 8 * 4 + 8 * 8  # q, k/v (one head of 4), o; no relative projections
    conv = 8 * 16 + 8 * 3 + 2 * 8 + 8 * 8  # pointwise, depthwise, BatchNorm, pointwise; no biases
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (sub + 2 * ffn + attn + conv + 5 * 8 + 8, "exact")


def test_glmasr_encoder_rotary_gqa_layers():
    cfg = {
        "model_type": "glmasr_encoder",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "intermediate_size": 12,
        "num_mel_bins": 5,
        "architectures": ["GlmAsrEncoder"],
    }
    stem = lin(5 * 3, 8) + lin(8 * 3, 8)
    attn = lin(8, 8) + 8 * 4 + lin(8, 4) + lin(8, 8)  # q (bias), k (no bias), v (bias), o (bias)
    layer = attn + lin(8, 12) + lin(12, 8) + 2 * 16
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (stem + layer + 16, "exact")  # no position table; final LayerNorm


BLIP2_VISION = {
    "hidden_size": 8,
    "intermediate_size": 12,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 8,
    "patch_size": 4,
    "qkv_bias": True,
}
BLIP2_QFORMER = {
    "hidden_size": 6,
    "intermediate_size": 10,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "cross_attention_frequency": 2,  # layer 0 only
    "vocab_size": 20,
    "max_position_embeddings": 7,
}
BLIP2_TEXT = {
    "model_type": "opt",
    "hidden_size": 4,
    "word_embed_proj_dim": 4,
    "ffn_dim": 8,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "vocab_size": 16,
    "max_position_embeddings": 10,
}


def test_blip2_and_instructblip_vision_qformer_projection():
    vision = 8 + lin(3 * 4 * 4, 8) + (2 * 2 + 1) * 8  # class token, patch conv, positions
    vision += (
        3 * 8 * 8 + 3 * 8 + lin(8, 8) + 2 * 16 + lin(8, 12) + lin(12, 8) + 16
    )  # one 3h qkv bias, post-LN
    ffn = lin(6, 10) + lin(10, 6) + 2 * 6
    cross = lin(6, 6) + 2 * lin(8, 6) + lin(6, 6) + 2 * 6  # keys / values read the vision width
    qformer = 2 * 6 + 2 * (4 * lin(6, 6) + 2 * 6 + ffn) + cross
    opt = 16 * 4 + (10 + 2) * 4 + 4 * lin(4, 4) + lin(4, 8) + lin(8, 4) + 2 * 8 + 2 * 4  # OPT-125m shape
    base = {"vision_config": BLIP2_VISION, "qformer_config": BLIP2_QFORMER, "text_config": BLIP2_TEXT}
    cfg = {"model_type": "blip-2", **base, "num_query_tokens": 3, "architectures": ["Blip2Model"]}
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (vision + 3 * 6 + qformer + lin(6, 4) + opt, "exact")
    # InstructBLIP: instruction embeddings and a second FFN per Q-Former layer
    instruct = {
        **cfg,
        "model_type": "instructblip",
        "architectures": ["InstructBlipForConditionalGeneration"],
    }
    extra = (20 + 7) * 6 + 2 * ffn
    assert _params(instruct)["total"] == p["total"] + extra
    retrieval = _params({**cfg, "architectures": ["Blip2ForImageTextRetrieval"]})
    assert retrieval["confidence"] != "exact"
