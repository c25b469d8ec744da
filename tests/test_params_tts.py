"""Exact counts for the families in ``estimate/families/tts.py``: Dia, CSM, Higgs Audio v2, Pocket-TTS, Gradium
Phonon TTS, VITS, FastSpeech2-Conformer (+ HiFi-GAN), SpeechT5, Bark, CLVP and SeamlessM4T v1/v2.

The hand-derived tests write one term per module of tiny configs (not by calling the family formula); the seeded
tests build random small configs on the meta device (skipped without transformers/torch).
"""

from __future__ import annotations

import random

import pytest

from params_meta import _params, lin


def _exact(cfg: dict) -> int:
    p = _params(cfg)
    assert p["confidence"] == "exact", p["reason"]
    return p["total"]


def conv(i: int, o: int, k: int = 1, bias: bool = True) -> int:
    return o * i * k + (o if bias else 0)


# ----------------------------------------------------------------------------- Dia

DIA_ENC = {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
DIA_ENC |= {"head_dim": 4, "intermediate_size": 12, "vocab_size": 10}
DIA_DEC = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2}
DIA_DEC |= {"head_dim": 4, "intermediate_size": 20, "vocab_size": 7, "num_channels": 3}
DIA_DEC |= {"cross_num_attention_heads": 2, "cross_num_key_value_heads": 1, "cross_head_dim": 4}
DIA_DEC |= {"cross_hidden_size": 8}


def test_dia_encoder_decoder_and_multichannel_head():
    enc = 10 * 8 + (8 * 8 + 8 * 4 + 8 * 4 + 8 * 8) + (8 * 24 + 12 * 8) + 2 * 8 + 8
    self_attn = 16 * 16 + 16 * 8 + 16 * 8 + 16 * 16
    cross = 16 * 8 + 8 * 4 + 8 * 4 + 8 * 16  # keys / values read the encoder width (cross_hidden_size)
    dec = 7 * 3 * 16 + self_attn + cross + (16 * 40 + 20 * 16) + 3 * 16 + 16
    cfg = {"model_type": "dia", "encoder_config": DIA_ENC, "decoder_config": DIA_DEC}
    assert _exact({**cfg, "architectures": ["DiaModel"]}) == enc + dec
    assert _exact({**cfg, "architectures": ["DiaForConditionalGeneration"]}) == enc + dec + 16 * 21


# ----------------------------------------------------------------------------- Higgs Audio v2, CSM

HIGGS = {"model_type": "higgs_audio_v2", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2}
HIGGS |= {"num_key_value_heads": 1, "head_dim": 4, "intermediate_size": 12, "vocab_size": 20}
HIGGS |= {"num_codebooks": 2, "codebook_size": 5}


def test_higgs_audio_v2_dual_ffn_and_audio_head():
    layer = (8 * 8 + 2 * 8 * 4 + 8 * 8) + 2 * (3 * 8 * 12) + 4 * 8  # attention, text + audio MLPs, four norms
    base = 20 * 8 + 10 * 8 + layer + 8
    assert _exact({**HIGGS, "architectures": ["HiggsAudioV2Model"]}) == base
    assert _exact({**HIGGS, "architectures": ["HiggsAudioV2ForConditionalGeneration"]}) == base + 8 * 10
    # AutoModel builds the conditional-generation class for this model type
    assert _exact(HIGGS) == base + 8 * 10


def test_csm_codec_without_a_formula_is_unknown():
    cfg = {"model_type": "csm", "architectures": ["CsmForConditionalGeneration"]}
    p = _params({**cfg, "codec_config": {"model_type": "no_such_codec"}})
    assert p["total"] is None and p["confidence"] == "unknown"
    assert "codec" in p["reason"]


# ----------------------------------------------------------------------------- Pocket-TTS, Gradium Phonon TTS

LATENT = {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 12}
LATENT |= {"vocab_size": 20, "latent_dim": 3}
FLOW = {"hidden_size": 6, "num_hidden_layers": 1, "latent_dim": 3, "condition_dim": 8}
FLOW |= {"frequency_embedding_size": 4, "loss_weighting_hidden_size": 2, "loss_weighting_num_layers": 1}
BACKBONE = 20 * 8 + 4 * 8 * 8 + 2 * 8 * 12 + 2 * 2 * 8 + 2 * 8  # embeddings, layer, final LayerNorm
FLOW_HEAD = lin(3, 6) + lin(8, 6) + 2 * (lin(4, 6) + lin(6, 6) + 6)  # in / cond proj, two time embeddings
FLOW_HEAD += 2 * 6 + 2 * lin(6, 6) + lin(6, 18) + lin(6, 12) + lin(6, 3)  # one adaLN block, final layer
FLOW_HEAD += lin(2, 2) + lin(2, 1)  # training-only loss weighting


def test_pocket_tts_backbone_and_flow_head():
    cfg = {"model_type": "pocket_tts", **LATENT, "flow_head_config": FLOW}
    base = BACKBONE + 2 * 3 * 8 + 3  # prompt / latent projections, bos latent
    assert _exact({**cfg, "architectures": ["PocketTTSModel"]}) == base
    full = _exact({**cfg, "architectures": ["PocketTTSForConditionalGeneration"]})
    assert full == base + FLOW_HEAD + lin(8, 1)
    drifting = {**cfg, "flow_head_config": {**FLOW, "flow_type": "drifting"}}
    no_time = FLOW_HEAD - 2 * (lin(4, 6) + lin(6, 6) + 6)
    assert _exact(
        {**drifting, "architectures": ["PocketTTSForConditionalGeneration"]}
    ) == base + no_time + lin(8, 1)


def test_gradium_phonon_tts_speaker_and_duration_conditioning():
    extra = {"audio_prompt_dim": 5, "num_speakers_vocab_size": 4, "num_speakers_embedding_dim": 2}
    cfg = {"model_type": "gradium_phonon_tts", **LATENT, **extra, "duration_delta_embedding_dim": 3}
    base = BACKBONE + 5 * 8 + 3 * 8 + 3 + 4 * 2 + 2 * 8 + 3 * 8
    assert _exact({**cfg, "architectures": ["GradiumPhononTTSModel"]}) == base


# ----------------------------------------------------------------------------- VITS

VITS = {"model_type": "vits", "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2}
VITS |= {"window_size": 1, "ffn_dim": 6, "ffn_kernel_size": 1, "flow_size": 2, "vocab_size": 5}
VITS |= {"spectrogram_bins": 3, "prior_encoder_num_flows": 1, "prior_encoder_num_wavenet_layers": 1}
VITS |= {"posterior_encoder_num_wavenet_layers": 1, "wavenet_kernel_size": 1, "upsample_initial_channel": 4}
VITS |= {"upsample_rates": [2], "upsample_kernel_sizes": [2], "resblock_kernel_sizes": [1]}
VITS |= {"resblock_dilation_sizes": [[1]], "use_stochastic_duration_prediction": False}
VITS |= {"duration_predictor_filter_channels": 3, "duration_predictor_kernel_size": 1}


def test_vits_every_module():
    text = (
        5 * 4 + 4 * lin(4, 4) + 2 * 3 * 2
    )  # embeddings, q/k/v/out, emb_rel_k / emb_rel_v ((2w+1) x head_dim)
    text += conv(4, 6) + conv(6, 4) + 2 * 2 * 4 + conv(4, 4)  # conv FFN, two LayerNorms, project to 2 x flow
    wavenet = (conv(4, 8) + 8) + (
        conv(4, 4) + 4
    )  # weight-normed in / res-skip convs (+ one gain per channel)
    coupling = conv(1, 4) + wavenet + conv(4, 1)
    hifigan = conv(2, 4, 7) + conv(4, 2, 2) + 2 * conv(2, 2) + conv(2, 1, 7, bias=False)
    duration = conv(4, 3) + 2 * 3 + conv(3, 3) + 2 * 3 + conv(3, 1)
    posterior = conv(3, 4) + wavenet + conv(4, 4)
    assert _exact(VITS) == text + coupling + hifigan + duration + posterior


@pytest.mark.parametrize("arch", ["SpeechT5HifiGan", "FastSpeech2ConformerHifiGan"])
def test_standalone_hifigan(arch):
    cfg = {"model_type": "hifigan", "architectures": [arch], "model_in_dim": 3, "upsample_initial_channel": 4}
    cfg |= {"upsample_rates": [2], "upsample_kernel_sizes": [4], "resblock_kernel_sizes": [3]}
    cfg |= {"resblock_dilation_sizes": [[1, 2]]}
    # conv_pre, one transposed conv halving the channels, one resblock (two convs per dilation), conv_post
    assert _exact(cfg) == conv(3, 4, 7) + conv(4, 2, 4) + 2 * 2 * conv(2, 2, 3) + conv(2, 1, 7)


# ----------------------------------------------------------------------------- SpeechT5, CLVP, Bark

T5 = {"model_type": "speecht5", "hidden_size": 8, "encoder_layers": 1, "decoder_layers": 1}
T5 |= {
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 12,
    "decoder_ffn_dim": 10,
}
T5 |= {"vocab_size": 9, "num_mel_bins": 3, "encoder_max_relative_position": 5}
T5 |= {"speech_decoder_prenet_layers": 1, "speech_decoder_prenet_units": 4, "speaker_embedding_dim": 2}
T5 |= {
    "speech_decoder_postnet_layers": 2,
    "speech_decoder_postnet_units": 5,
    "speech_decoder_postnet_kernel": 3,
}
T5 |= {"reduction_factor": 2}


def test_speecht5_base_and_text_to_speech():
    encoder = (
        4 * lin(8, 8) + lin(8, 12) + lin(12, 8) + 2 * 2 * 8 + 2 * 8 + 2 * 5 * 4
    )  # + LayerNorm, rel. pos.
    decoder = 8 * lin(8, 8) + lin(8, 10) + lin(10, 8) + 3 * 2 * 8
    assert _exact({**T5, "architectures": ["SpeechT5Model"]}) == encoder + decoder
    text_prenet = 9 * 8 + 1  # token embedding, scaled positional encoding's alpha
    speech_prenet = lin(3, 4) + lin(4, 8) + 1 + lin(2 + 8, 8)
    postnet = lin(8, 3 * 2) + lin(8, 2) + (conv(3, 5, 3, False) + 2 * 5) + (conv(5, 3, 3, False) + 2 * 3)
    tts = _exact({**T5, "architectures": ["SpeechT5ForTextToSpeech"]})
    assert tts == encoder + decoder + text_prenet + speech_prenet + postnet


def test_clvp_encoder_glu_mlp_and_projection():
    cfg = {"model_type": "clvp_encoder", "architectures": ["ClvpEncoder"], "hidden_size": 8, "vocab_size": 6}
    cfg |= {"num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 5, "projection_dim": 3}
    layer = 3 * 8 * 8 + lin(8, 8) + lin(8, 10) + lin(5, 8) + 2 * 8  # bias-free q/k/v, GLU MLP, two RMSNorms
    assert _exact(cfg) == 6 * 8 + 2 * layer + 2 * 8 + 8 * 3


BARK_SUB = {"num_layers": 1, "num_heads": 2, "hidden_size": 4, "block_size": 3}
BARK_SUB |= {"input_vocab_size": 5, "output_vocab_size": 6}


def test_bark_gpts_and_tied_fine_heads():
    codec = {"model_type": "encodec"}
    causal = 3 * 4 + lin(4, 12) + lin(4, 4) + lin(4, 16) + lin(16, 4) + 2 * 2 * 4 + 2 * 4  # + final LayerNorm
    gpt = 5 * 4 + causal + 4 * 6  # token embeddings, stack, LM head
    fine_sub = {**BARK_SUB, "output_vocab_size": 5, "n_codes_total": 3, "n_codes_given": 1}
    fine = 3 * 5 * 4 + causal  # three codebook embeddings; the two heads are tied to embeddings 1 and 2
    cfg = {"model_type": "bark", "codec_config": codec, "semantic_config": BARK_SUB}
    cfg |= {"coarse_acoustics_config": BARK_SUB, "fine_acoustics_config": fine_sub}
    encodec = _exact(codec)
    assert _exact(cfg) == 2 * gpt + fine + encodec
    untied = {**cfg, "fine_acoustics_config": {**fine_sub, "tie_word_embeddings": False}}
    assert _exact(untied) == 2 * gpt + fine + 2 * 4 * 5 + encodec


# ----------------------------------------------------------------------------- SeamlessM4T

M4T = {"hidden_size": 8, "vocab_size": 11, "encoder_layers": 1, "decoder_layers": 1, "encoder_ffn_dim": 6}
M4T |= {"decoder_ffn_dim": 5, "encoder_attention_heads": 2, "decoder_attention_heads": 2}


@pytest.mark.parametrize("mt,prefix", [("seamless_m4t", "SeamlessM4T"), ("seamless_m4t_v2", "SeamlessM4Tv2")])
def test_seamless_m4t_text_to_text(mt, prefix):
    encoder = 4 * lin(8, 8) + lin(8, 6) + lin(6, 8) + 2 * 2 * 8 + 2 * 8
    decoder = 8 * lin(8, 8) + lin(8, 5) + lin(5, 8) + 3 * 2 * 8 + 2 * 8
    cfg = {"model_type": mt, "architectures": [f"{prefix}ForTextToText"], **M4T}
    assert _exact(cfg) == 11 * 8 + encoder + decoder  # shared embedding = encoder / decoder tokens = LM head
    untied = _exact({**cfg, "tie_word_embeddings": False})
    assert untied == 4 * 11 * 8 + encoder + decoder


# ----------------------------------------------------------------------------- unclaimed classes


@pytest.mark.parametrize(
    "cfg",
    [
        {"model_type": "csm", "architectures": ["CsmDepthDecoderForCausalLM"]},
        {"model_type": "csm", "architectures": ["CsmBackboneModel"]},
        {"model_type": "bark", "architectures": ["BarkSemanticModel"]},
        {"model_type": "clvp", "architectures": ["ClvpForCausalLM"]},
        {"model_type": "dia", "architectures": ["DiaForAudioFrameClassification"]},
        {"model_type": "vits", "architectures": ["VitsForCTC"]},
    ],
)
def test_unclaimed_classes_are_unknown(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact"
    assert p["total"] is None


# ----------------------------------------------------------------------------- seeded meta-device builds


def _small(rng: random.Random, mt: str) -> tuple[dict, list[str]]:
    """Constructor kwargs of a small random config and the classes to build it as."""
    h = rng.choice([8, 16])
    if mt == "dia":
        enc = {"hidden_size": h, "num_hidden_layers": rng.randint(1, 2), "num_attention_heads": 2}
        enc |= {"num_key_value_heads": rng.choice([1, 2]), "head_dim": 4, "intermediate_size": 12}
        dec = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2}
        dec |= {"head_dim": 4, "cross_hidden_size": h, "cross_head_dim": rng.choice([4, 8]), "vocab_size": 30}
        dec |= {
            "num_channels": 2,
            "intermediate_size": 10,
            "pad_token_id": 1,
            "eos_token_id": 2,
            "bos_token_id": 3,
        }
        kw = {"encoder_config": enc, "decoder_config": dec, "delay_pattern": [0, 1]}
        return kw, ["DiaModel", "DiaForConditionalGeneration"]
    if mt in ("pocket_tts", "gradium_phonon_tts"):
        flow = {"hidden_size": 6, "num_hidden_layers": rng.randint(1, 2), "latent_dim": 4, "condition_dim": h}
        flow |= {"flow_type": rng.choice(["lsd", "drifting"]), "frequency_embedding_size": 6}
        kw = {"hidden_size": h, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 12}
        kw |= {"latent_dim": 4, "attention_bias": rng.random() < 0.5, "flow_head_config": flow}
        p = "PocketTTS" if mt == "pocket_tts" else "GradiumPhononTTS"
        return kw, [f"{p}Model", f"{p}ForConditionalGeneration"]
    if mt == "vits":
        kw = {"hidden_size": h, "num_hidden_layers": 1, "ffn_dim": 10, "flow_size": 4, "spectrogram_bins": 7}
        kw |= {
            "speaker_embedding_size": rng.choice([0, 3]),
            "num_speakers": rng.choice([1, 2]),
            "window_size": 2,
        }
        kw |= {"use_stochastic_duration_prediction": rng.random() < 0.5, "upsample_initial_channel": 8}
        kw |= {
            "upsample_rates": [2, 2],
            "upsample_kernel_sizes": [4, 4],
            "prior_encoder_num_wavenet_layers": 2,
        }
        kw |= {"posterior_encoder_num_wavenet_layers": 2, "duration_predictor_filter_channels": 5}
        return kw, ["VitsModel"]
    if mt == "fastspeech2_conformer":
        kw = {"hidden_size": h, "encoder_layers": 1, "decoder_layers": 1, "encoder_linear_units": 12}
        kw |= {
            "decoder_linear_units": 10,
            "num_mel_bins": 6,
            "use_macaron_style_in_conformer": rng.random() < 0.5,
        }
        kw |= {"encoder_concat_after": rng.random() < 0.5, "num_speakers": rng.choice([None, 3])}
        kw |= {"speaker_embed_dim": rng.choice([None, 4]), "reduction_factor": rng.choice([1, 2])}
        return kw, ["FastSpeech2ConformerModel"]
    if mt == "speecht5":
        kw = {"hidden_size": h, "encoder_layers": 1, "decoder_layers": 1, "encoder_ffn_dim": 12}
        kw |= {"decoder_ffn_dim": 10, "encoder_attention_heads": 2, "decoder_attention_heads": 2}
        kw |= {
            "conv_dim": [8, 8],
            "conv_stride": [5, 2],
            "conv_kernel": [10, 3],
            "num_conv_pos_embeddings": 8,
        }
        kw |= {"num_conv_pos_embedding_groups": 2, "feat_extract_norm": rng.choice(["group", "layer"])}
        kw |= {"tie_word_embeddings": rng.random() < 0.5, "num_mel_bins": 5}
        classes = ["SpeechT5ForSpeechToText", "SpeechT5ForTextToSpeech", "SpeechT5ForSpeechToSpeech"]
        return kw, ["SpeechT5Model", *classes]
    return _small_composite(rng, mt, h)


M4T_IDS = {"pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "decoder_start_token_id": 3}
M4T_IDS |= {
    "t2u_pad_token_id": 1,
    "t2u_bos_token_id": 0,
    "t2u_eos_token_id": 2,
    "t2u_decoder_start_token_id": 2,
}


def _small_composite(rng: random.Random, mt: str, h: int) -> tuple[dict, list[str]]:
    if mt == "higgs_audio_v2":
        kw = {"hidden_size": h, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
        kw |= {
            "head_dim": rng.choice([None, 4]),
            "intermediate_size": 12,
            "vocab_size": 40,
            "pad_token_id": 0,
        }
        kw |= {"num_codebooks": 2, "codebook_size": 5, "mlp_bias": rng.random() < 0.5}
        return kw, ["HiggsAudioV2Model", "HiggsAudioV2ForConditionalGeneration"]
    if mt == "clvp":
        enc = {"hidden_size": h, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 6}
        enc |= {"projection_dim": 4, "use_attention_bias": rng.random() < 0.5}
        dec = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 30}
        dec |= {
            "max_position_embeddings": 20,
            "max_text_tokens": 10,
            "num_mel_attn_blocks": rng.randint(1, 2),
        }
        kw = {"text_config": enc, "speech_config": enc, "decoder_config": dec, "projection_dim": 4}
        return kw, ["ClvpModelForConditionalGeneration"]
    if mt in ("seamless_m4t", "seamless_m4t_v2"):
        kw = {**M4T, **M4T_IDS, "hidden_size": 16, "t2u_vocab_size": 20, "speech_encoder_layers": 1}
        kw |= {"speech_encoder_attention_heads": 2, "speech_encoder_intermediate_size": 12}
        kw |= {"feature_projection_input_dim": 6, "adaptor_kernel_size": 4, "adaptor_stride": 4}
        kw |= {
            "t2u_encoder_layers": 1,
            "t2u_decoder_layers": 1,
            "t2u_encoder_ffn_dim": 8,
            "t2u_decoder_ffn_dim": 8,
        }
        kw |= {"t2u_encoder_attention_heads": 2, "t2u_decoder_attention_heads": 2, "unit_embed_dim": 8}
        kw |= {
            "unit_hifi_gan_vocab_size": 12,
            "lang_embed_dim": 4,
            "spkr_embed_dim": 4,
            "vocoder_num_langs": 2,
        }
        kw |= {"vocoder_num_spkrs": 3, "upsample_initial_channel": 8, "upsample_rates": [2, 2]}
        kw |= {"upsample_kernel_sizes": [4, 4], "add_adapter": rng.random() < 0.5}
        kw |= {"tie_word_embeddings": rng.random() < 0.5}
        if mt == "seamless_m4t_v2":
            kw |= {
                "char_vocab_size": 9,
                "t2u_variance_predictor_embed_dim": 16,
                "t2u_variance_predictor_hidden_dim": 6,
            }
        p = "SeamlessM4T" if mt == "seamless_m4t" else "SeamlessM4Tv2"
        return kw, [f"{p}Model", f"{p}ForTextToSpeech", f"{p}ForSpeechToText", f"{p}ForSpeechToSpeech"]
    raise AssertionError(mt)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "mt",
    [
        *("dia", "pocket_tts", "gradium_phonon_tts", "vits", "fastspeech2_conformer", "speecht5"),
        *("higgs_audio_v2", "clvp", "seamless_m4t", "seamless_m4t_v2"),
    ],
)
def test_tts_equals_the_meta_device_build(mt, seed):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers import AutoConfig

    from hubscan.estimate import meta

    kw, classes = _small(random.Random(f"{mt}-{seed}"), mt)
    base = AutoConfig.for_model(mt, **kw).to_dict()
    for cls in classes:
        cfg = {**base, "architectures": [cls]}
        expected = sum(p.numel() for p in meta.build_meta_model(dict(cfg)).parameters())
        p = _params(cfg)
        assert (p["total"], p["confidence"]) == (expected, "exact"), cls
