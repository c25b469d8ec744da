"""Exact counts for the families in ``estimate/families/speech_lm.py``: PE-Audio, Music Flamingo, MOSS's audio
tower, Voxtral Realtime, Nemotron 3.5 Transcribe (word timestamps, nemo_speechlm), VibeVoice (tokenizers, ASR,
TTS), the Gemma 3n / Gemma 4 audio towers, Muse Spark audio, Moonshine Streaming and Kyutai STT.

The hand-derived tests write one term per module of tiny configs (not by calling the family formula); the last
tests build seeded random configs on the meta device (skipped without transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _exact, _params, lin

# one layer of width 8: MLP 12, 2 query heads and 1 key/value head (head width 4)
TINY = {
    "hidden_size": 8,
    "intermediate_size": 12,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
}


def test_pe_audio_encoder_dac_front_end_resnet_and_qk_normed_layers():
    cfg = {
        "model_type": "pe_audio_encoder",
        "architectures": ["PeAudioEncoder"],
        "dac_config": {"encoder_hidden_size": 2, "downsampling_ratios": [2], "codebook_dim": 3},
        **TINY,
        "head_dim": 4,
    }
    residual_unit = 2 + lin(2 * 7, 2) + 2 + lin(2, 2)  # Snake, Conv1d k7, Snake, Conv1d k1 at width 2
    dac = lin(7, 2) + 3 * residual_unit + 2 + lin(2 * 4, 4) + 4 + lin(4 * 3, 4)  # stem, block (stride 2), end
    embedder = dac + lin(4, 3) + lin(3, 8)  # bottleneck Conv1d k1, data_proj
    patch = 8 + 2 * (2 * 8 + lin(8 * 3, 8))  # class token, two GroupNorm + Conv1d k3 blocks
    layer = 8 * 8 + 8 * 4 + 8 * 4 + 8 * 8 + 4 + 4 + 3 * 8 * 12 + 2 * 8  # q k v o, q/k norms, gated MLP, norms
    assert _exact(cfg) == embedder + patch + layer + 8 + 8 * 8  # final RMSNorm, output linear
    assert _exact(cfg) == 1293


def test_gemma4_audio_subsampler_conformer_block_and_output_projection():
    cfg = {
        "model_type": "gemma4_audio",
        "architectures": ["Gemma4AudioModel"],
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "conv_kernel_size": 3,
        "subsampling_conv_channels": [8, 4],
        "output_proj_dims": 6,
    }
    stem = (1 * 8 * 9 + 8) + (8 * 4 * 9 + 4) + (8 // 4) * 4 * 8  # two 3x3 convs + LayerNorms, input linear
    ffn = 8 + 8 * 32 + 32 * 8 + 8  # RMSNorm, h -> 4h -> h, RMSNorm
    attn = 4 * 8 * 8 + 8 * 8 + 4  # q k v post, relative_k_proj, per_dim_scale
    conv = 8 + 8 * 16 + 8 * 3 + 8 + 8 * 8  # norm, GLU linear, depthwise conv, norm, linear_end
    assert _exact(cfg) == stem + lin(8, 6) + 2 * ffn + attn + conv + 3 * 8


def test_gemma3n_audio_block_equals_gemma4_block_and_stem_follows_kernels():
    g4 = {
        "model_type": "gemma4_audio",
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "conv_kernel_size": 3,
        "subsampling_conv_channels": [8, 4],
        "output_proj_dims": 6,
    }
    g3n = {
        "model_type": "gemma3n_audio",
        "hidden_size": 8,
        "conf_num_hidden_layers": 2,
        "conf_num_attention_heads": 2,
        "conf_conv_kernel_size": 3,
        "sscp_conv_channel_size": [8, 4],
        "sscp_conv_kernel_size": [[3, 3], [3, 3]],
        "sscp_conv_stride_size": [[2, 2], [2, 2]],
        "input_feat_size": 10,
    }
    g4_stem = (8 * 9 + 8) + (8 * 4 * 9 + 4) + 2 * 4 * 8 + lin(8, 6)
    # frequency 10 padded by one each side: (12 - 3) // 2 + 1 = 5, then (7 - 3) // 2 + 1 = 3 bins
    g3n_stem = (8 * 9 + 8) + (8 * 4 * 9 + 4) + 4 * 3 * 8
    assert _exact(g3n) - g3n_stem == _exact(g4) - g4_stem


def test_muse_spark_audio_patch_stages_and_projection():
    cfg = {
        "model_type": "muse_spark_audio",
        "patch_sizes": [2, 3],
        "hidden_sizes": [4, 6],
        "depths": [1, 2],
        "num_hidden_layers": 2,
        "mlp_ratio": 2.0,
        "conv_kernel_size": 3,
        "out_hidden_size": 5,
    }

    def block(d: int) -> int:  # depthwise conv, RMSNorm, fc1 / fc2
        return lin(3, d) + d + lin(d, 2 * d) + lin(2 * d, d)

    stages = (lin(1 * 2, 4) + 4 + block(4)) + (lin(4 * 3, 6) + 6 + 2 * block(6))
    assert _exact(cfg) == stages + 6 + lin(6, 5) + 5


TOKENIZER = {
    "num_filters": 2,
    "hidden_size": 3,
    "kernel_size": 3,
    "downsampling_ratios": [2],
    "depths": [1, 1],
    "ffn_expansion": 2,
}


def _convnext(d: int) -> int:  # two RMSNorms, two layer scales, depthwise conv k3, fc1 / fc2
    return 2 * d + 2 * d + lin(3, d) + lin(d, 2 * d) + lin(2 * d, d)


def test_vibevoice_tokenizer_encoder_and_decoder():
    enc = lin(1 * 3, 2) + _convnext(2) + lin(2 * 4, 4) + _convnext(4) + lin(4 * 3, 3)
    dec = lin(3 * 3, 4) + _convnext(4) + (4 * 2 * 4 + 2) + _convnext(2) + lin(2 * 3, 1)  # ConvTranspose1d
    assert _exact({"model_type": "vibevoice_acoustic_tokenizer_encoder", **TOKENIZER}) == enc
    assert _exact({"model_type": "vibevoice_acoustic_tokenizer_decoder", **TOKENIZER}) == dec
    assert _exact({"model_type": "vibevoice_acoustic_tokenizer", **TOKENIZER}) == enc + dec  # depths [1, 1]


TINY_QWEN2 = {
    "model_type": "qwen2",
    **TINY,
    "vocab_size": 10,
    "tie_word_embeddings": False,
}
QWEN2 = 10 * 8 + lin(8, 8) + lin(8, 4) + lin(8, 4) + 8 * 8 + 3 * 8 * 12 + 2 * 8 + 8


def test_vibevoice_asr_two_tokenizer_encoders_connectors_and_untied_head():
    semantic = {"model_type": "vibevoice_acoustic_tokenizer_encoder", **TOKENIZER, "hidden_size": 5}
    cfg = {
        "model_type": "vibevoice_asr",
        "architectures": ["VibeVoiceAsrForConditionalGeneration"],
        "text_config": {**TINY_QWEN2, "tie_word_embeddings": True},  # the class declares no tie
        "acoustic_tokenizer_encoder_config": {
            "model_type": "vibevoice_acoustic_tokenizer_encoder",
            **TOKENIZER,
        },
        "semantic_tokenizer_encoder_config": semantic,
    }
    enc = _exact({"model_type": "vibevoice_acoustic_tokenizer_encoder", **TOKENIZER})
    sem = enc - lin(4 * 3, 3) + lin(4 * 3, 5)  # only the head conv's width differs
    connectors = (lin(3, 8) + 8 + lin(8, 8)) + (lin(5, 8) + 8 + lin(8, 8))  # linear, RMSNorm, linear
    assert _exact(cfg) == QWEN2 + enc + sem + connectors + 10 * 8


def test_music_flamingo_is_audio_flamingo_3_shaped_whatever_the_encoder_type_name():
    audio = {
        "hidden_size": 4,
        "intermediate_size": 6,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_mel_bins": 3,
        "max_source_positions": 5,
    }
    cfg = {
        "model_type": "musicflamingo",
        "architectures": ["MusicFlamingoForConditionalGeneration"],
        "text_config": TINY_QWEN2,
    }
    layer = lin(4, 4) + 4 * 4 + lin(4, 4) + lin(4, 4) + lin(4, 6) + lin(6, 4) + 2 * 2 * 4  # k without bias
    whisper = lin(3 * 3, 4) + lin(4 * 3, 4) + 5 * 4 + layer + 2 * 4  # convs, positions, final LayerNorm
    expected = QWEN2 + whisper + lin(4, 8) + lin(8, 8) + 10 * 8  # projector, untied head
    for name in ("musicflamingo_encoder", "audioflamingo3_encoder", None):
        assert _exact({**cfg, "audio_config": {**audio, "model_type": name}}) == expected


KYUTAI = {
    "model_type": "kyutai_speech_to_text",
    "architectures": ["KyutaiSpeechToTextModel"],
    "hidden_size": 8,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "ffn_dim": 6,
    "vocab_size": 5,
    "num_codebooks": 2,
    "codebook_vocab_size": 3,
}


def test_kyutai_joint_embedding_and_half_width_gating_mlp():
    cfg = KYUTAI
    embed = (5 + 2 * 3 + 1) * 8  # text, each codebook's tokens, padding
    layer = 8 * 8 + 8 * 4 + 8 * 4 + 8 * 8 + 8 * 6 + 3 * 8 + 2 * 8  # q k v o, fc1, fc2 (ffn_dim / 2), norms
    assert _exact(cfg) == embed + layer + 8


def test_word_timestamp_upsampler_and_qk_layernormed_layers():
    cfg = {
        "model_type": "nemotron3_5_transcribe_word_timestamp",
        **TINY,
        "upsampling_factor": 3,
    }
    # q and v span all heads, k the key-value heads; o alone is biased; LayerNorm(head_dim) on q and k
    layer = 8 * 8 + 8 * 4 + 8 * 8 + lin(8, 8) + 2 * 2 * 4 + lin(8, 12) + lin(12, 8) + 2 * 2 * 8
    assert _exact(cfg) == lin(8 * 3, 8) + 2 * 8 + layer + 2 * 8


def test_voxtral_realtime_text_adaptive_norm_projector_and_tie():
    text = {
        "vocab_size": 10,
        **TINY,
        "head_dim": 4,
    }
    audio = {
        "model_type": "voxtral_realtime_encoder",
        "hidden_size": 4,
        "intermediate_size": 6,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "head_dim": 2,
        "num_mel_bins": 3,
    }
    cfg = {
        "model_type": "voxtral_realtime",
        "architectures": ["VoxtralRealtimeForConditionalGeneration"],
        "text_config": text,
        "audio_config": audio,
        "downsample_factor": 2,
    }
    text_layer = 8 * 8 + 8 * 4 + 8 * 4 + 8 * 8 + 3 * 8 * 12 + 2 * 8 + (8 * 32 + 32 * 8)  # adaptive RMSNorm
    enc = (
        lin(3 * 3, 4) + lin(4 * 3, 4) + lin(4, 4) + 4 * 4 + lin(4, 4) + lin(4, 4)
    )  # convs; q, k (no bias), v, o
    enc += 2 * 4 * 6 + lin(6, 4) + 2 * 4 + 4  # gated MLP (biased down), norms, final norm
    base = 10 * 8 + text_layer + 8 + enc + 4 * 2 * 8 + 8 * 8  # projector: bias-free, two linears
    assert _exact(cfg) == base  # tied by default
    assert _exact({**cfg, "tie_word_embeddings": False}) == base + 10 * 8


@pytest.mark.parametrize(
    "cfg",
    [
        # a head or sibling class the formulas were not checked against
        {
            "model_type": "kyutai_speech_to_text",
            "architectures": ["KyutaiSpeechToTextForConditionalGeneration"],
        },
        {"model_type": "gemma4_audio", "architectures": ["Gemma4AudioForCTC"]},
        {"model_type": "musicflamingo", "architectures": ["MusicFlamingoEncoder"]},
        {"model_type": "pe_audio_encoder", "architectures": ["PeAudioFrameLevelModel"]},
        # sub-configs the composites do not model
        {"model_type": "pe_audio", "text_config": {"model_type": "bert"}},
        {"model_type": "voxtral_realtime", "audio_config": {"model_type": "whisper"}},
        {"model_type": "vibevoice_asr", "architectures": ["VibeVoiceAsrModel"]},
        {"model_type": "vibevoice", "text_config": TINY_QWEN2},
        {"model_type": "nemo_speechlm", "architectures": ["Nemotron3_5TranscribeModel"]},
        # transformers cannot build Moonshine Streaming's decoder without num_key_value_heads
        {"model_type": "moonshine_streaming", "architectures": ["MoonshineStreamingModel"]},
    ],
)
def test_unclaimed_heads_and_missing_sub_configs_are_not_exact(cfg):
    assert _params(cfg)["confidence"] != "exact"


def _tiny(r: random.Random, **extra) -> dict:
    nh = r.choice([2, 4])
    return {
        "hidden_size": nh * r.choice([4, 6]),
        "intermediate_size": r.choice([8, 12]),
        "num_hidden_layers": r.randint(1, 2),
        "num_attention_heads": nh,
        **extra,
    }


def _text(r: random.Random, mt: str = "qwen2") -> dict:
    return {
        "model_type": mt,
        **_tiny(r),
        "num_key_value_heads": 2,
        "vocab_size": 40,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": r.random() < 0.5,
    }


def _tokenizer(r: random.Random, mt: str) -> dict:
    n = r.randint(1, 2)
    return {
        "model_type": mt,
        "num_filters": r.choice([2, 4]),
        "hidden_size": r.choice([3, 5]),
        "kernel_size": r.choice([3, 5]),
        "downsampling_ratios": [r.choice([2, 3]) for _ in range(n)],
        "depths": [r.randint(1, 2) for _ in range(n + 1)],
        "ffn_expansion": r.choice([2, 4]),
    }


def _pe_audio_kw(r: random.Random) -> dict:
    return {
        **_tiny(r, head_dim=r.choice([4, 8]), attention_bias=r.random() < 0.5),
        "num_key_value_heads": r.choice([1, 2]),
        "dac_config": {
            "encoder_hidden_size": 2,
            "downsampling_ratios": [2, 3],
            "codebook_dim": r.choice([3, 4]),
        },
    }


def _kw(r: random.Random, mt: str) -> dict:
    if mt == "pe_audio_encoder":
        return _pe_audio_kw(r)
    if mt == "pe_audio":
        text = {"model_type": "modernbert", **_tiny(r), "vocab_size": 40, "pad_token_id": 0}
        return {
            "text_config": {
                **text,
                "bos_token_id": 1,
                "eos_token_id": 2,
                "cls_token_id": 1,
                "sep_token_id": 2,
            }
        }
    if mt == "gemma4_audio":
        return _tiny(r, subsampling_conv_channels=[8, r.choice([2, 4])], output_proj_dims=r.choice([5, 7]))
    if mt == "gemma3n_audio":
        t = _tiny(r)
        return {
            "hidden_size": t["hidden_size"],
            "conf_num_hidden_layers": t["num_hidden_layers"],
            "conf_num_attention_heads": t["num_attention_heads"],
            "conf_conv_kernel_size": r.choice([3, 5]),
            "sscp_conv_channel_size": [4, r.choice([2, 3])],
            "input_feat_size": r.choice([16, 20]),
        }
    if mt == "muse_spark_audio":
        return {
            "patch_sizes": [2, 3],
            "hidden_sizes": [4, r.choice([6, 8])],
            "depths": [1, r.randint(1, 2)],
            "num_hidden_layers": 2,
        }
    if mt in ("vibevoice_asr", "vibevoice"):
        enc = "vibevoice_acoustic_tokenizer_encoder"
        if mt == "vibevoice_asr":
            return {
                "text_config": _text(r),
                "acoustic_tokenizer_encoder_config": _tokenizer(r, enc),
                "semantic_tokenizer_encoder_config": _tokenizer(r, enc),
                "acoustic_tokenizer_chunk_size": 72,
            }
        return {
            "text_config": _text(r),
            "audio_config": _tokenizer(r, "vibevoice_acoustic_tokenizer"),
            "semantic_model_config": _tokenizer(r, enc),
            "diffusion_head_config": {"num_hidden_layers": r.randint(1, 2), "intermediate_size": 12},
        }
    if mt == "kyutai_speech_to_text":
        return {
            **_tiny(r),
            "ffn_dim": 10,
            "vocab_size": 20,
            "num_codebooks": 2,
            "codebook_vocab_size": 5,
            "audio_pad_token_id": 30,
            "pad_token_id": 3,
            "bos_token_id": 4,
            "audio_bos_token_id": 5,
        }
    if mt == "moonshine_streaming":
        return {
            **_tiny(r),
            "num_key_value_heads": 2,
            "vocab_size": 30,
            "max_position_embeddings": 16,
            "tie_word_embeddings": r.random() < 0.5,
            "encoder_config": _tiny(r, num_key_value_heads=2),
        }
    if mt == "voxtral_realtime":
        audio = {"model_type": "voxtral_realtime_encoder", **_tiny(r, head_dim=4), "num_mel_bins": 8}
        return {
            "text_config": {**_text(r, mt="voxtral_realtime_text"), "head_dim": 4},
            "audio_config": audio,
            "tie_word_embeddings": r.random() < 0.5,
        }
    raise AssertionError(mt)


HEADS = {
    "vibevoice": "VibeVoiceForConditionalGeneration",
    "vibevoice_asr": "VibeVoiceAsrForConditionalGeneration",
    "moonshine_streaming": "MoonshineStreamingForConditionalGeneration",
    "voxtral_realtime": "VoxtralRealtimeForConditionalGeneration",
}


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(
    "mt",
    [
        "pe_audio_encoder",
        "pe_audio",
        "gemma4_audio",
        "gemma3n_audio",
        "muse_spark_audio",
        "vibevoice_asr",
        "vibevoice",
        "kyutai_speech_to_text",
        "moonshine_streaming",
        "voxtral_realtime",
    ],
)
def test_speech_lm_equals_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import AutoConfig

    from hubscan.estimate import meta

    r = random.Random(f"{mt}-{seed}")
    cfg = AutoConfig.for_model(mt, **_kw(r, mt)).to_dict()
    if mt in HEADS and r.random() < 0.5:
        cfg["architectures"] = [HEADS[mt]]
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")


def test_kyutai_generation_class_adds_the_codec_and_an_untied_head(monkeypatch):
    """Checked on the meta device: the generation class = base model + Mimi codec + (untied) LM head. Without a
    Mimi formula the count is refused; a stub codec formula stands in for one here."""
    from hubscan.estimate._cfg import Tally
    from hubscan.estimate.families.registry import FAMILIES, Family

    cfg = {**KYUTAI, "codec_config": {"model_type": "mimi"}}
    base = _exact(cfg)
    gen = {**cfg, "architectures": ["KyutaiSpeechToTextForConditionalGeneration"]}
    if "mimi" not in FAMILIES:
        assert _params(gen)["confidence"] != "exact"

    def stub(c, head):
        t = Tally()
        t.add("other", 1000)
        return t

    monkeypatch.setitem(FAMILIES, "mimi", Family("mimi", stub, ("Mimi",)))
    assert _exact(gen) == base + 1000 + 5 * 8
    assert _exact({**gen, "tie_word_embeddings": True}) == base + 1000
