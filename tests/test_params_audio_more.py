"""Exact counts for the families in ``estimate/families/audio_more.py``: Parakeet RNN-T / TDT, streaming Nemotron
ASR, Canary / Cohere ASR, OmniASR, Granite Speech 5 and Granite Speech.

The hand-derived tests write one term per module of tiny configs (not by calling the family formula); the last
test builds seeded random configs on the meta device (skipped without transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _params, lin

# A tiny Parakeet encoder: hidden 8, 2 heads, 1 block, 16 mel bins, 4 subsampling channels, factor 4 (2 convs).
TINY_ENCODER = {
    "model_type": "parakeet_encoder",
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 1,
    "intermediate_size": 16,
    "conv_kernel_size": 3,
    "subsampling_factor": 4,
    "subsampling_conv_channels": 4,
    "subsampling_conv_kernel_size": 3,
    "subsampling_conv_stride": 2,
    "num_mel_bins": 16,
}
STEM = 4 * 1 * 3 * 3 + 4  # Conv2d(1 -> 4, 3x3)
STAGE = (4 * 3 * 3 + 4) + lin(4, 4)  # depthwise Conv2d + pointwise Conv2d
BLOCK = (
    2 * (lin(8, 16) + lin(16, 8))  # two feed-forwards
    + 4 * lin(8, 8)  # q / k / v / o
    + 8 * 8  # relative_k_proj (no bias)
    + 2 * 2 * 4  # bias_u, bias_v (heads x head_dim)
    + lin(8, 16)  # pointwise_conv1 to 2h
    + (8 * 3 + 8)  # depthwise conv
    + 2 * 8  # BatchNorm / LayerNorm of the conv module
    + lin(8, 8)  # pointwise_conv2
    + 5 * 2 * 8  # five LayerNorms
)
# Parakeet flattens 4 channels x (16 // 2**2) bins; the causal streaming subsampler pads kernel-1 + stride-1:
# 16 -> (16 + 3 - 3) // 2 + 1 = 9 -> (9 + 3 - 3) // 2 + 1 = 5 bins.
PARAKEET_ENCODER = STEM + STAGE + lin(4 * 4, 8) + BLOCK
STREAMING_ENCODER = STEM + STAGE + lin(4 * 5, 8) + BLOCK


def _lstm_layer(inp: int, hid: int) -> int:
    return 4 * hid * inp + 4 * hid * hid + 2 * 4 * hid


def test_parakeet_tdt_adds_prediction_network_and_duration_head():
    cfg = {
        "model_type": "parakeet_tdt",
        "architectures": ["ParakeetForTDT"],
        "encoder_config": TINY_ENCODER,
        "decoder_hidden_size": 6,
        "num_decoder_layers": 2,
        "vocab_size": 10,
        "durations": [0, 1, 2],
    }
    decoder = 10 * 6 + _lstm_layer(6, 6) + _lstm_layer(6, 6) + lin(6, 6)
    expected = PARAKEET_ENCODER + lin(8, 6) + decoder + lin(6, 10 + 3)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
    rnnt = _params({**cfg, "model_type": "parakeet_rnnt", "architectures": ["ParakeetForRNNT"]})
    assert (rnnt["total"], rnnt["confidence"]) == (expected - 3 * 7, "exact")  # no duration rows


def test_streaming_nemotron_encoder_uses_the_padded_causal_width():
    enc = {**TINY_ENCODER, "model_type": "nemotron_asr_streaming_encoder"}
    p = _params({**enc, "architectures": ["NemotronAsrStreamingEncoder"]})
    assert (p["total"], p["confidence"]) == (STREAMING_ENCODER, "exact")
    asr = {
        "model_type": "nemotron3_5_asr",
        "architectures": ["Nemotron3_5AsrForRNNT"],
        "encoder_config": enc,
        "decoder_hidden_size": 6,
        "num_decoder_layers": 1,
        "vocab_size": 10,
        "num_prompts": 3,
        "prompt_intermediate_size": 5,
    }
    prompt = lin(8 + 3, 5) + lin(5, 8)
    expected = STREAMING_ENCODER + lin(8, 6) + 10 * 6 + _lstm_layer(6, 6) + lin(6, 6) + lin(6, 10) + prompt
    p = _params(asr)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_cohere_asr_decoder_has_learned_positions_and_an_encoder_projection():
    cfg = {
        "model_type": "cohere_asr",
        "architectures": ["CohereAsrForConditionalGeneration"],
        "encoder_config": TINY_ENCODER,
        "vocab_size": 11,
        "hidden_size": 6,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 3,
        "intermediate_size": 7,
        "max_position_embeddings": 5,
        "tie_word_embeddings": False,
    }
    attn = lin(6, 6) + 2 * lin(6, 3) + lin(6, 6)  # q (2 heads x 3), k / v (1 head x 3), o
    layer = 2 * attn + lin(6, 7) + lin(7, 6) + 3 * 2 * 6  # self + cross attention, fc1/fc2, three LayerNorms
    decoder = 11 * 6 + 5 * 6 + lin(8, 6) + layer + 2 * 2 * 6  # tokens, positions, proj, norms
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (PARAKEET_ENCODER + decoder + lin(6, 11), "exact")
    tied = _params({**cfg, "tie_word_embeddings": True})
    assert (tied["total"], tied["confidence"]) == (PARAKEET_ENCODER + decoder + 11, "exact")  # bias only


TINY_OMNI = {
    "model_type": "omniasr_audio",
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 1,
    "intermediate_size": 16,
    "conv_dim": [4, 4],
    "conv_kernel": [3, 2],
    "conv_stride": [2, 2],
    "conv_bias": True,
    "num_conv_pos_embeddings": 4,
    "num_conv_pos_embedding_groups": 2,
}


def test_omniasr_ctc_plain_position_conv_and_a_linear_head():
    convs = (1 * 4 * 3 + 4 + 2 * 4) + (4 * 4 * 2 + 4 + 2 * 4)  # conv + bias + LayerNorm each
    projection = 2 * 4 + lin(4, 8)
    pos = 8 * (8 // 2) * 4 + 8  # grouped Conv1d with bias, no weight norm
    layer = 4 * lin(8, 8) + lin(8, 16) + lin(16, 8) + 2 * 2 * 8
    audio = convs + projection + pos + layer + 2 * 8
    cfg = {"model_type": "omniasr_ctc", "architectures": ["OmniASRForCTC"], "audio_config": TINY_OMNI}
    p = _params({**cfg, "vocab_size": 9})
    assert (p["total"], p["confidence"]) == (audio + lin(8, 9), "exact")
    base = _params({**cfg, "architectures": ["OmniASRCTCModel"]})
    assert (base["total"], base["confidence"]) == (audio, "exact")


def test_granite_speech5_encoder_relative_table_and_self_conditioning():
    cfg = {
        "model_type": "granite_speech5_encoder",
        "architectures": ["GraniteSpeech5Encoder"],
        "hidden_size": 8,
        "num_attention_heads": 2,
        "num_hidden_layers": 2,
        "intermediate_size": 16,
        "num_mel_bins": 5,
        "max_position_embeddings": 3,
        "context_size": 2,
        "conv_kernel_size": 3,
        "conv_expansion_factor": 2,
        "vocab_size": 7,
    }
    attn = 3 * 8 * 8 + lin(8, 8) + (2 * 3 + 1) * 4  # q/k/v without bias, o, rel_pos_emb (7 x head_dim 4)
    conv = lin(8, 32) + 16 * 3 + 2 * 16 + lin(16, 8)  # pointwise to 2 x inner, depthwise, BatchNorm, back
    block = 2 * (lin(8, 16) + lin(16, 8)) + attn + conv + 5 * 2 * 8
    expected = lin(4 * 5, 8) + 2 * block + lin(8, 7) + lin(7, 8)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


@pytest.mark.parametrize(
    "cfg",
    [
        # a transducer without its encoder config, or under a class the formula does not describe
        {"model_type": "parakeet_rnnt", "architectures": ["ParakeetForRNNT"]},
        {"model_type": "parakeet_rnnt", "architectures": ["ParakeetForCTC"], "encoder_config": TINY_ENCODER},
        {
            "model_type": "nemotron_asr_streaming",
            "architectures": ["NemotronAsrStreamingForRNNT"],
            "encoder_config": {**TINY_ENCODER, "model_type": "lasr_encoder"},
        },
        {"model_type": "canary", "architectures": ["CanaryModel"], "encoder_config": TINY_ENCODER},
        {"model_type": "omniasr", "architectures": ["OmniASRForCTC"], "audio_config": TINY_OMNI},
        {"model_type": "granite_speech", "architectures": ["GraniteSpeechForConditionalGeneration"]},
        {"model_type": "granite_speech5_encoder", "architectures": ["GraniteSpeech5ForCTC"]},
    ],
)
def test_unclaimed_heads_and_missing_sub_configs_are_not_exact(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact"


def _encoder_kw(r: random.Random) -> dict:
    nh = r.choice([2, 4])
    return {
        "hidden_size": nh * r.choice([4, 8]),
        "num_attention_heads": nh,
        "num_hidden_layers": r.randint(1, 3),
        "intermediate_size": r.choice([16, 24]),
        "conv_kernel_size": r.choice([3, 5]),
        "subsampling_factor": r.choice([2, 4, 8]),
        "subsampling_conv_channels": r.choice([4, 8]),
        "num_mel_bins": r.choice([16, 40, 80]),
        "attention_bias": r.random() < 0.5,
        "convolution_bias": r.random() < 0.5,
    }


def _random_cfg(r: random.Random, mt: str) -> dict:
    from transformers import AutoConfig

    if mt in ("parakeet_tdt", "nemotron_asr_streaming"):
        enc = "parakeet_encoder" if mt == "parakeet_tdt" else "nemotron_asr_streaming_encoder"
        kw = {
            "encoder_config": {"model_type": enc, **_encoder_kw(r)},
            "decoder_hidden_size": r.choice([6, 10]),
            "num_decoder_layers": r.randint(1, 3),
            "vocab_size": r.randint(5, 30),
        }
    elif mt == "cohere_asr":
        kw = {
            "encoder_config": {"model_type": "parakeet_encoder", **_encoder_kw(r)},
            "hidden_size": 8,
            "num_attention_heads": 2,
            "num_key_value_heads": r.choice([1, 2]),
            "num_hidden_layers": r.randint(1, 2),
            "intermediate_size": 12,
            "vocab_size": 20,
            "tie_word_embeddings": r.random() < 0.5,
        }
    else:  # granite_speech5_encoder
        kw = {
            "hidden_size": 8,
            "num_attention_heads": 2,
            "num_hidden_layers": r.randint(1, 3),
            "intermediate_size": r.choice([12, 16]),
            "num_mel_bins": r.choice([5, 10]),
            "conv_kernel_size": r.choice([3, 5]),
            "conv_expansion_factor": r.choice([1, 2]),
            "vocab_size": r.randint(5, 30),
            "attention_bias": r.random() < 0.5,
        }
    return AutoConfig.for_model(mt, **kw).to_dict()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "mt", ["parakeet_tdt", "nemotron_asr_streaming", "cohere_asr", "granite_speech5_encoder"]
)
def test_audio_more_equals_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from hubscan.estimate import meta

    cfg = _random_cfg(random.Random(f"{mt}-{seed}"), mt)
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


TINY_DIAR_AUDIO = {
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "num_hidden_layers": 2,
    "intermediate_size": 12,
    "num_mel_bins": 5,
    "subsampling_factor": 2,
}
# v_proj spans all query heads, k_proj only the key-value heads; o_proj alone has a bias
DIAR_LAYER = 8 * 8 + 8 * 4 + 8 * 8 + lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * 2 * 8
DIAR_AUDIO = 2 * 5 * 8 + 2 * 8 + 2 * DIAR_LAYER + 2 * 8  # stacked-frame projection, input / final LayerNorm


def test_nemotron3_diarization_tower_upsampler_and_frame_classifier():
    tower = _params({"model_type": "nemotron3_diarization_audio", **TINY_DIAR_AUDIO})
    assert (tower["total"], tower["confidence"]) == (DIAR_AUDIO, "exact")
    head = {"hidden_size": 3, "num_speakers": 4, "audio_hidden_size": 8, "subsampling_factor": 2}
    cfg = {"model_type": "nemotron3_diarization", "audio_config": TINY_DIAR_AUDIO, "head_config": head}
    base = DIAR_AUDIO + lin(8, 3) + (3 * 6 * 3 + 6)  # proj, sub-pixel Conv1d(3 -> 3 x 2, kernel 3)
    p = _params({**cfg, "architectures": ["Nemotron3DiarizationModel"]})
    assert (p["total"], p["confidence"]) == (base, "exact")
    frames = _params({**cfg, "architectures": ["Nemotron3DiarizationForAudioFrameClassification"]})
    assert (frames["total"], frames["confidence"]) == (base + lin(3, 3) + lin(3, 4) + 8, "exact")


def test_dac_codec_encoder_quantizer_decoder():
    cfg = {
        "model_type": "dac",
        "encoder_hidden_size": 2,
        "downsampling_ratios": [2],
        "decoder_hidden_size": 4,
        "n_codebooks": 1,
        "codebook_size": 2,
        "codebook_dim": 1,
    }

    def res(d: int) -> int:  # Snake alpha, Conv1d(kernel 7), Snake alpha, Conv1d(kernel 1)
        return d + (d * d * 7 + d) + d + (d * d + d)

    # encoder: Conv1d(1 -> 2, k7); block (3 residual units on 2, Snake, Conv1d 2 -> 4, k = 2 x stride); Snake;
    # Conv1d(4 -> hidden 4, k3)
    encoder = (7 * 2 + 2) + (3 * res(2) + 2 + (2 * 4 * 4 + 4)) + 4 + (4 * 4 * 3 + 4)
    # decoder: Conv1d(4 -> 4, k7); block (Snake, ConvTranspose1d 4 -> 2, k4, 3 residual units); Snake; Conv1d(2 -> 1)
    decoder = (4 * 4 * 7 + 4) + (4 + (4 * 2 * 4 + 2) + 3 * res(2)) + 2 + (2 * 7 + 1)
    quantizer = lin(4, 1) + lin(1, 4) + 2 * 1  # in_proj, out_proj, codebook
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (encoder + decoder + quantizer, "exact")


def test_qwen3_asr_encoder_three_conv2d_and_flattened_projection():
    cfg = {
        "model_type": "qwen3_asr_encoder",
        "d_model": 8,
        "encoder_layers": 2,
        "encoder_attention_heads": 2,
        "encoder_ffn_dim": 12,
        "num_mel_bins": 20,
        "downsample_hidden_size": 3,
    }
    convs = (3 * 1 * 9 + 3) + 2 * (3 * 3 * 9 + 3)  # three 3x3 Conv2d
    bins = 3  # 20 -> 10 -> 5 -> 3 mel bins after three stride-2 convolutions (padding 1)
    layer = 4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * 2 * 8
    expected = convs + 3 * bins * 8 + 2 * layer + 2 * 8  # conv_out without bias, ln_post
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_sew_d_is_sew_plus_the_deberta_position_parameters():
    speech = {
        "hidden_size": 8,
        "num_attention_heads": 2,
        "num_hidden_layers": 2,
        "intermediate_size": 16,
        "conv_dim": [4],
        "conv_kernel": [3],
        "conv_stride": [2],
        "num_conv_pos_embeddings": 4,
        "num_conv_pos_embedding_groups": 2,
        "squeeze_factor": 2,
    }
    sew = _params({"model_type": "sew", **speech, "architectures": ["SEWModel"]})["total"]
    cfg = {"model_type": "sew-d", **speech, "architectures": ["SEWDModel"], "position_buckets": 5}
    shared = _params({**cfg, "share_att_key": True, "pos_att_type": ["p2c", "c2p"]})
    assert (shared["total"], shared["confidence"]) == (
        sew + 2 * 5 * 8,
        "exact",
    )  # rel_embeddings (2 x buckets)
    unshared = _params({**cfg, "share_att_key": False, "pos_att_type": ["c2p"], "norm_rel_ebd": "none"})
    # one pos_key_proj per layer; no LayerNorm on the relative embeddings (SEW's encoder LayerNorm has no twin)
    assert (unshared["total"], unshared["confidence"]) == (sew + 2 * 5 * 8 + 2 * lin(8, 8) - 2 * 8, "exact")


def test_encodec_weight_norm_convs_and_residual_lstms():
    cfg = {
        "model_type": "encodec",
        "num_filters": 2,
        "upsampling_ratios": [2],
        "hidden_size": 3,
        "audio_channels": 1,
        "compress": 2,
        "use_conv_shortcut": False,
        "num_lstm_layers": 1,
        "num_residual_layers": 1,
        "kernel_size": 1,
        "last_kernel_size": 1,
        "residual_kernel_size": 1,
        "norm_type": "weight_norm",
    }

    def conv(i: int, o: int, k: int) -> int:  # weight_v, bias, weight_g (one per out channel)
        return i * o * k + o + o

    lstm = 4 * 4 * 4 + 4 * 4 * 4 + 2 * 4 * 4  # LSTM(4 -> 4): input and recurrent gate weights, two biases
    resnet = conv(2, 1, 1) + conv(1, 2, 1)  # residual block at 2 channels, hidden 2 // compress
    encoder = conv(1, 2, 1) + resnet + conv(2, 4, 4) + lstm + conv(4, 3, 1)
    transposed = 4 * 2 * 4 + 2 + 4  # ConvTranspose1d(4 -> 2, k4): weight_g spans the 4 input channels
    decoder = conv(3, 4, 1) + lstm + transposed + resnet + conv(2, 1, 1)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (encoder + decoder, "exact")
    # WavTokenizer's encoder model is the same SEANet encoder alone
    wav = _params({**cfg, "model_type": "wavtokenizer_encoder", "codebook_dim": 3})
    assert (wav["total"], wav["confidence"]) == (encoder, "exact")


def test_fun_asr_nano_encoder_first_layer_reads_stacked_frames():
    cfg = {
        "model_type": "fun_asr_nano_encoder",
        "hidden_size": 8,
        "num_attention_heads": 2,
        "intermediate_size": 12,
        "num_hidden_layers": 3,
        "num_timestamp_prediction_layers": 1,
        "num_mel_bins": 2,
        "num_stacked_frames": 3,
        "fsmn_kernel_size": 5,
    }

    def layer(inp: int) -> int:  # q/k/v from inp, o_proj, bias-free depthwise FSMN, MLP, two LayerNorms
        return 3 * lin(inp, 8) + lin(8, 8) + 8 * 5 + lin(8, 12) + lin(12, 8) + 2 * inp + 2 * 8

    # layer 1 ends the transcription stack and layer 2 the timestamp stack: each adds an output LayerNorm
    expected = layer(2 * 3) + (layer(8) + 2 * 8) + (layer(8) + 2 * 8)
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def _codec_kw(r: random.Random, mt: str) -> dict:
    if mt == "univnet":
        n = r.randint(1, 3)
        return {
            "model_in_channels": r.choice([4, 6]),
            "model_hidden_channels": r.choice([2, 4]),
            "num_mel_bins": r.choice([5, 8]),
            "resblock_kernel_sizes": [r.choice([3, 5]) for _ in range(n)],
            "resblock_stride_sizes": [r.choice([2, 3]) for _ in range(n)],
            "resblock_dilation_sizes": [[1, 3][: r.randint(1, 2)] for _ in range(n)],
            "kernel_predictor_num_blocks": r.randint(1, 3),
            "kernel_predictor_hidden_channels": r.choice([4, 6]),
        }
    if mt == "encodec":
        return {
            "num_filters": r.choice([2, 4]),
            "upsampling_ratios": [r.choice([2, 3]) for _ in range(r.randint(1, 3))],
            "hidden_size": r.choice([6, 8]),
            "norm_type": r.choice(["weight_norm", "time_group_norm"]),
            "use_conv_shortcut": r.random() < 0.5,
            "num_lstm_layers": r.randint(1, 2),
            "num_residual_layers": r.randint(1, 2),
        }
    return {  # dac
        "encoder_hidden_size": r.choice([2, 4]),
        "downsampling_ratios": [r.choice([2, 3]) for _ in range(r.randint(1, 3))],
        "decoder_hidden_size": r.choice([16, 32]),
        "n_codebooks": r.randint(1, 3),
        "codebook_size": r.choice([4, 8]),
        "codebook_dim": r.choice([2, 4]),
    }


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mt", ["univnet", "encodec", "dac"])
def test_codecs_equal_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import AutoConfig

    from hubscan.estimate import meta

    cfg = AutoConfig.for_model(mt, **_codec_kw(random.Random(f"{mt}-{seed}"), mt)).to_dict()
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
