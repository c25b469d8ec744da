"""Exact counts for the audio codecs in ``estimate/families/codecs.py``: Mimi, the Pocket TTS audio tokenizer,
X-Codec, X-Codec 2, NeuCodec, WavTokenizer and VibeVoice's acoustic tokenizer.

The hand-derived tests write one term per module of tiny configs (not by calling the family formula); a
semantic model inside a codec (HuBERT, w2v-BERT) is counted by asking for that model alone, since its own
family has its own tests. The last test builds seeded random configs on the meta device (skipped without
transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _exact, _params, lin


def conv(i: int, o: int, k: int, bias: bool = True) -> int:
    return i * o * k + (o if bias else 0)


# --- Mimi / Pocket TTS: hidden 8, 2 filters, one ratio of 2, one transformer layer -----------------------------

TINY_SEANET = {
    "hidden_size": 8,
    "num_filters": 2,
    "upsampling_ratios": [2],
    "kernel_size": 3,
    "last_kernel_size": 1,
    "residual_kernel_size": 3,
    "compress": 2,
    "num_residual_layers": 1,
    "use_conv_shortcut": False,
    "num_hidden_layers": 1,
    "intermediate_size": 16,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 4,
    "sampling_rate": 8,
    "upsample_groups": 4,
}
RESNET_2 = conv(2, 1, 3) + conv(1, 2, 1)  # dim 2 -> 1 -> 2
SEANET_ENCODER = conv(1, 2, 3) + RESNET_2 + conv(2, 4, 4) + conv(4, 8, 1)
SEANET_DECODER = conv(8, 4, 3) + (4 * 2 * 4 + 2) + RESNET_2 + conv(2, 1, 1)  # ConvTranspose1d biases: out
LAYER = (8 * 8 + 8 * 4 + 8 * 4 + 8 * 8) + 2 * 8 * 16 + 2 * 2 * 8 + 2 * 8  # attn, MLP, LayerNorms, scales
UPSAMPLE = 8 * (8 // 4) * 4  # ConvTranspose1d(8, 8, k=4, groups=4), no bias


def test_mimi_halves_and_codec_with_frame_resampling():
    # hop 2: SEANet frames at ceil(8 / 2) = 4 Hz, latents at 8 / (2 * 2) = 2 Hz -> stride 2, kernel 4
    encoder = SEANET_ENCODER + LAYER + 8 * 8 * 4
    decoder = UPSAMPLE + LAYER + SEANET_DECODER
    quantizer = 2 * (8 * 4 + 4 * 8)  # semantic and acoustic in / out 1x1 projections to width 4
    cfg = {
        **TINY_SEANET,
        "model_type": "mimi",
        "vector_quantization_hidden_dimension": 4,
        "num_quantizers": 2,
    }
    assert _exact({**cfg, "architectures": ["MimiModel"]}) == encoder + decoder + quantizer
    assert _exact({**cfg, "model_type": "mimi_encoder"}) == encoder
    assert _exact({**cfg, "model_type": "mimi_decoder"}) == decoder
    assert _exact({**cfg, "encoder_config": None}) == decoder + quantizer
    # no projections when the quantizer is as wide as the model
    assert _exact({**cfg, "vector_quantization_hidden_dimension": 8}) == encoder + decoder


def test_mimi_saved_frame_rate_decides_the_resampling():
    cfg = {**TINY_SEANET, "model_type": "mimi_encoder"}
    assert _exact({**cfg, "frame_rate": 4.0}) == SEANET_ENCODER + LAYER  # equal rates: no downsample conv
    assert _exact({**cfg, "frame_rate": 1.0}) == SEANET_ENCODER + LAYER + 8 * 8 * 8  # stride 4
    # a saved ``_frame_rate`` (even null) overrides ``frame_rate``, as transformers sets it last
    assert _exact({**cfg, "frame_rate": 4.0, "_frame_rate": None}) == SEANET_ENCODER + LAYER + 8 * 8 * 4


def test_pocket_tts_tokenizer_continuous_latent():
    cfg = {**TINY_SEANET, "model_type": "pocket_tts_audio_tokenizer", "latent_stride": 2, "latent_dim": 3}
    encoder = SEANET_ENCODER + LAYER + 8 * 3 * 4  # downsample to the 3-wide latent, kernel 2 x stride
    decoder = UPSAMPLE + LAYER + SEANET_DECODER
    assert _exact(cfg) == encoder + decoder + 3 * 8  # + latent_proj
    assert _exact({**cfg, "model_type": "pocket_tts_audio_tokenizer_encoder"}) == encoder
    assert _exact({**cfg, "model_type": "pocket_tts_audio_tokenizer_decoder"}) == decoder
    # stride 1: latents at the SEANet rate, so neither resampling convolution exists
    flat = SEANET_ENCODER + SEANET_DECODER + 2 * LAYER + 3 * 8
    assert _exact({**cfg, "latent_stride": 1}) == flat


# --- VibeVoice: 2 filters, one ratio of 2, depths [1, 2], latent 3 ----------------------------------------------


def _convnext(d: int) -> int:  # two RMSNorms, depthwise conv k3, MLP x2, two gammas
    return 2 * d + (d * 3 + d) + lin(d, 2 * d) + lin(2 * d, d) + 2 * d


def test_vibevoice_tokenizer_encoder_decoder_and_reversed_depths():
    cfg = {
        "model_type": "vibevoice_acoustic_tokenizer",
        "num_filters": 2,
        "hidden_size": 3,
        "kernel_size": 3,
        "ffn_expansion": 2,
        "downsampling_ratios": [2],
        "depths": [1, 2],
    }
    encoder = conv(1, 2, 3) + _convnext(2) + conv(2, 4, 4) + 2 * _convnext(4) + conv(4, 3, 3)
    # the standalone decoder reads depths as saved: 1 block at width 4, then 2 at width 2
    decoder = conv(3, 4, 3) + _convnext(4) + (4 * 2 * 4 + 2) + 2 * _convnext(2) + conv(2, 1, 3)
    # inside the codec the decoder gets depths reversed: 2 blocks at width 4, then 1 at width 2
    codec_decoder = conv(3, 4, 3) + 2 * _convnext(4) + (4 * 2 * 4 + 2) + _convnext(2) + conv(2, 1, 3)
    assert _exact({**cfg, "model_type": "vibevoice_acoustic_tokenizer_encoder"}) == encoder
    assert _exact({**cfg, "model_type": "vibevoice_acoustic_tokenizer_decoder"}) == decoder
    assert _exact(cfg) == encoder + codec_decoder


# --- X-Codec: tiny DAC (hidden 3) + tiny HuBERT (hidden 4) --------------------------------------------------------

TINY_HUBERT = {
    "model_type": "hubert",
    "hidden_size": 4,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 8,
    "conv_dim": [4],
    "conv_stride": [2],
    "conv_kernel": [2],
    "num_feat_extract_layers": 1,
    "num_conv_pos_embeddings": 2,
    "num_conv_pos_embedding_groups": 2,
}
TINY_DAC = {
    "model_type": "dac",
    "encoder_hidden_size": 2,
    "downsampling_ratios": [2],
    "upsampling_ratios": [2],
    "decoder_hidden_size": 4,
    "hidden_size": 3,
}


def _dac_res(d: int) -> int:  # Snake, Conv1d k7, Snake, Conv1d k1
    return d + conv(d, d, 7) + d + conv(d, d, 1)


def test_xcodec_dac_halves_semantic_model_and_semantic_convs():
    cfg = {
        "model_type": "xcodec",
        "acoustic_model_config": TINY_DAC,
        "semantic_model_config": TINY_HUBERT,
        "strides": [1, 2],
        "channel_ratios": [1, 2],
        "block_dilations": [1],
        "kernel_size": 3,
        "unit_kernel_size": 3,
    }
    semantic_model = _exact({**TINY_HUBERT, "architectures": ["HubertModel"]})
    dac_enc = conv(1, 2, 7) + 3 * _dac_res(2) + 2 + conv(2, 4, 4) + 4 + conv(4, 3, 3)
    dac_dec = conv(3, 4, 7) + 4 + (4 * 2 * 4 + 2) + 3 * _dac_res(2) + 2 + conv(2, 1, 7)

    def unit(d: int) -> int:  # bias-free dilated conv k3 + bias-free 1x1
        return d * d * 3 + d * d

    sem_enc = 4 * 4 * 3 + (unit(4) + conv(4, 4, 3)) + (unit(4) + conv(4, 8, 4))
    # decoder: 4 -> 8 (stride 1: biased Conv1d k3), 8 -> 4 (stride 2: bias-free ConvTranspose1d k4)
    sem_dec = 4 * 4 * 3 + (conv(4, 8, 3) + unit(8)) + (8 * 4 * 4 + unit(4)) + 4 * 4 * 3
    fcs = lin(7, 7) + lin(7, 4) + lin(7, 3)
    assert _exact(cfg) == semantic_model + dac_enc + dac_dec + sem_enc + sem_dec + fcs


def test_dac_honours_a_saved_hidden_size():
    cfg = {**TINY_DAC, "architectures": ["DacModel"], "n_codebooks": 1, "codebook_size": 2, "codebook_dim": 1}
    dac_enc = conv(1, 2, 7) + 3 * _dac_res(2) + 2 + conv(2, 4, 4) + 4 + conv(4, 3, 3)
    dac_dec = conv(3, 4, 7) + 4 + (4 * 2 * 4 + 2) + 3 * _dac_res(2) + 2 + conv(2, 1, 7)
    assert _exact(cfg) == dac_enc + dac_dec + lin(3, 1) + lin(1, 3) + 2


# --- WavTokenizer: its encoder model plus a tiny Vocos backbone ------------------------------------------------


def test_wavtokenizer_vocos_backbone_and_istft_head():
    cfg = {
        "model_type": "wavtokenizer",
        "hidden_size": 4,
        "codebook_dim": 4,
        "num_filters": 2,
        "upsampling_ratios": [2],
        "decoder_hidden_size": 4,
        "decoder_intermediate_size": 6,
        "decoder_num_layers": 1,
        "adanorm_num_embeddings": 2,
        "decoder_attention_num_groups": 2,
    }
    encoder = _exact({**cfg, "model_type": "wavtokenizer_encoder"})
    resnet = 2 * (2 * 4 + conv(4, 4, 3))  # GroupNorm, Conv1d k3, twice
    attention = 2 * 4 + 4 * conv(4, 4, 1)
    ada = 2 * 2 * 4  # scale and shift embeddings, 2 rows of 4
    convnext = (4 * 7 + 4) + ada + lin(4, 6) + lin(6, 4) + 4
    backbone = conv(4, 4, 7) + 4 * resnet + attention + 2 * 4 + ada + convnext + 2 * 4
    head = lin(4, 4 * 2 + 2)  # n_fft = 4 x hop (2)
    assert _exact(cfg) == encoder + backbone + head


# --- X-Codec 2 / NeuCodec: tiny w2v-BERT (hidden 4) + hidden 32 decoder ----------------------------------------

TINY_W2V_BERT = {
    "model_type": "wav2vec2-bert",
    "hidden_size": 4,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 8,
    "feature_projection_input_dim": 6,
    "output_hidden_size": 4,
    "conv_depthwise_kernel_size": 3,
}


def test_xcodec2_and_neucodec_parts():
    cfg = {
        "model_type": "xcodec2",
        "semantic_model_config": TINY_W2V_BERT,
        "hidden_size": 32,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "intermediate_size": 8,
        "num_hidden_layers": 1,
        "encoder_hidden_size": 2,
        "downsampling_ratios": [2],
        "quantization_dim": 36,
        "quantization_levels": [4, 4],
    }
    semantic = _exact({**TINY_W2V_BERT, "architectures": ["Wav2Vec2BertModel"]})
    adapter = 4 * (4 * 4 * 3) + 2 * 4  # two of the four convs are biased
    snake_beta_res = _dac_res(2) + 2 * 2  # SnakeBeta: alpha and beta
    acoustic = conv(1, 2, 7) + 3 * snake_beta_res + 2 * 2 + conv(2, 4, 4) + 2 * 4 + conv(4, 32, 3)
    quant = lin(36, 36) + lin(36, 2) + lin(2, 36)  # fc_encoder, FSQ project_in / project_out
    resnet = 2 * (2 * 32 + conv(32, 32, 3))
    layer = (32 * 32 + 2 * 32 * 16 + 32 * 32) + 2 * 32 * 8 + 2 * 32
    decoder = lin(36, 32) + conv(32, 32, 7) + 4 * resnet + layer + 2 * 32
    body = semantic + adapter + acoustic + quant + decoder
    assert _exact(cfg) == body + lin(32, 4 * 2 + 2)
    # NeuCodec: the same body; its ISTFT hop is rescaled 16 kHz -> 24 kHz: int(2 * 1.5) = 3
    assert _exact({**cfg, "model_type": "neucodec"}) == body + lin(32, 4 * 3 + 2)


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "mimi", "architectures": ["MimiForCausalLM"]},
        {"model_type": "pocket_tts_audio_tokenizer", "architectures": ["MyPocketTokenizer"]},
        {"model_type": "xcodec", "semantic_model_config": {"model_type": "not_a_model"}},
        {"model_type": "xcodec", "acoustic_model_config": {"model_type": "encodec"}},
        {"model_type": "vibevoice_acoustic_tokenizer", "architectures": ["VibeVoiceAcousticTokenizerForX"]},
    ],
)
def test_unclaimed_classes_and_sub_models_are_not_exact(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact"
    assert p["total"] is None


def test_mimi_rejects_a_non_null_half_config():
    p = _params({"model_type": "mimi", "encoder_config": {"hidden_size": 4}})
    assert p["confidence"] != "exact"


def _random_cfg(r: random.Random, mt: str) -> dict:
    if mt.startswith(("mimi", "pocket")):
        kw = {
            "num_filters": r.choice([2, 4]),
            "upsampling_ratios": [r.choice([2, 3]) for _ in range(r.randint(1, 3))],
            "hidden_size": 16,
            "num_hidden_layers": r.randint(1, 2),
            "intermediate_size": r.choice([8, 24]),
            "num_attention_heads": 4,
            "num_key_value_heads": r.choice([1, 2, 4]),
            "use_conv_shortcut": r.random() < 0.5,
            "num_residual_layers": r.randint(1, 2),
            "attention_bias": r.random() < 0.5,
            "upsample_groups": r.choice([4, 16]),
        }
        if mt.startswith("pocket"):
            kw.update(latent_stride=r.choice([1, 2, 4]), latent_dim=r.choice([4, 8]))
        else:
            kw.update(vector_quantization_hidden_dimension=r.choice([8, 16]), codebook_size=8)
        return kw
    if mt.startswith("vibevoice"):
        n = r.randint(1, 3)
        return {
            "num_filters": r.choice([2, 4]),
            "hidden_size": r.choice([3, 8]),
            "downsampling_ratios": [r.choice([2, 3]) for _ in range(n)],
            "depths": [r.randint(0, 2) for _ in range(n + 1)],
            "ffn_expansion": r.choice([1, 2]),
        }
    if mt == "xcodec":
        return {"semantic_model_config": TINY_HUBERT, "acoustic_model_config": TINY_DAC}
    if mt == "wavtokenizer":
        return {
            "num_filters": 2,
            "upsampling_ratios": [r.choice([2, 3])],
            "decoder_num_layers": r.randint(1, 2),
        }
    return {  # xcodec2 / neucodec
        "semantic_model_config": TINY_W2V_BERT,
        "hidden_size": 64,
        "num_attention_heads": 4,
        "num_key_value_heads": r.choice([1, 4]),
        "head_dim": r.choice([8, 16]),
        "num_hidden_layers": 1,
        "intermediate_size": 16,
        "encoder_hidden_size": 2,
        "downsampling_ratios": [r.choice([2, 3]) for _ in range(r.randint(1, 2))],
        "attention_bias": r.random() < 0.5,
    }


CODECS = [
    "mimi",
    "mimi_encoder",
    "mimi_decoder",
    "pocket_tts_audio_tokenizer",
    "pocket_tts_audio_tokenizer_encoder",
    "pocket_tts_audio_tokenizer_decoder",
    "vibevoice_acoustic_tokenizer",
    "vibevoice_acoustic_tokenizer_encoder",
    "vibevoice_acoustic_tokenizer_decoder",
    "xcodec",
    "xcodec2",
    "neucodec",
    "wavtokenizer",
]


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("mt", CODECS)
def test_codecs_equal_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import AutoConfig

    from hubscan.estimate import meta

    cfg = AutoConfig.for_model(mt, **_random_cfg(random.Random(f"{mt}-{seed}"), mt)).to_dict()
    expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
    p = _params(cfg)
    assert (p["total"], p["confidence"]) == (expected, "exact")
