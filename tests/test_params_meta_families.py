"""Analytic formulas for vision/audio/multimodal families against transformers' own module tree.

Each case is a self-written config (seeded random depths, widths, label counts and optional flags); the
analytic count must equal ``sum(p.numel() for p in model.parameters())`` of the model transformers builds on
the meta device. Skipped when transformers/torch are not installed.
"""

from __future__ import annotations

import random

import pytest

from hubscan.estimate.footprint import analyze_config
from hubscan.estimate.params import count_analytic

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")

from hubscan.estimate import meta  # noqa: E402

PER_FAMILY = 60


def _labels(r: random.Random, cfg: dict) -> None:
    choice = r.randrange(4)
    if choice == 1:
        cfg["num_labels"] = r.randint(1, 9)
    elif choice == 2:
        n = r.randint(1, 7)
        cfg["id2label"] = {str(i): f"L{i}" for i in range(n)}
        cfg["label2id"] = {f"L{i}": i for i in range(n)}


def _backbone_outputs(r: random.Random, cfg: dict, n_stages: int) -> None:
    names = ["stem"] + [f"stage{i}" for i in range(1, n_stages + 1)]
    chosen = sorted(r.sample(range(len(names)), r.randint(1, len(names))))
    style = r.randrange(3)
    if style == 1:
        cfg["out_features"] = [names[i] for i in chosen]
    elif style == 2:
        cfg["out_indices"] = chosen


def _arch(r: random.Random, cfg: dict, prefix: str, suffixes: list[str]) -> str:
    suffix = r.choice([*suffixes, None])
    if suffix is not None:
        cfg["architectures"] = [prefix + suffix]
    return suffix or "Model"


def convnext_cfg(r: random.Random) -> dict:
    v2 = r.random() < 0.5
    stages = r.randint(1, 4)
    cfg = {
        "model_type": "convnextv2" if v2 and r.random() < 0.7 else "convnext",
        "num_stages": stages,
        "hidden_sizes": [r.choice([4, 8, 12, 16]) for _ in range(stages)],
        "depths": [r.randint(0, 3) for _ in range(stages)],
        "num_channels": r.choice([1, 3]),
        "patch_size": r.choice([2, 4, [2, 3]]),
    }
    if cfg["model_type"] == "convnext":
        cfg["layer_scale_init_value"] = r.choice([0.0, 1e-6])
    suffix = _arch(
        r, cfg, "ConvNextV2" if v2 else "ConvNext", ["Model", "ForImageClassification", "Backbone"]
    )
    if suffix == "Backbone":
        _backbone_outputs(r, cfg, stages)
    _labels(r, cfg)
    return cfg


def resnet_cfg(r: random.Random) -> dict:
    stages = r.randint(1, 4)
    cfg = {
        "model_type": "resnet",
        "embedding_size": r.choice([4, 8, 16]),
        "hidden_sizes": [r.choice([4, 8, 16, 32]) for _ in range(stages)],
        "depths": [r.randint(1, 3) for _ in range(stages)],
        "layer_type": r.choice(["basic", "bottleneck"]),
        "downsample_in_first_stage": r.random() < 0.5,
        "downsample_in_bottleneck": r.random() < 0.5,
        "num_channels": r.choice([1, 3]),
    }
    if _arch(r, cfg, "ResNet", ["Model", "ForImageClassification", "Backbone"]) == "Backbone":
        _backbone_outputs(r, cfg, stages)
    _labels(r, cfg)
    return cfg


def swin_cfg(r: random.Random) -> dict:
    stages = r.randint(1, 4)
    cfg = {
        "model_type": "swin",
        "embed_dim": r.choice([4, 8, 12]),
        "depths": [r.randint(1, 2) for _ in range(stages)],
        "num_heads": [r.choice([1, 2, 4]) for _ in range(stages)],
        "window_size": r.choice([2, 4, 7]),
        "mlp_ratio": r.choice([1.0, 2.0, 2.5, 4.0]),
        "qkv_bias": r.random() < 0.7,
        "use_absolute_embeddings": r.random() < 0.5,
        "image_size": r.choice([32, 64, [32, 48]]),
        "patch_size": r.choice([4, 8]),
        "num_channels": r.choice([1, 3]),
        "encoder_stride": r.choice([8, 16, 32]),
    }
    suffix = _arch(r, cfg, "Swin", ["Model", "ForImageClassification", "ForMaskedImageModeling", "Backbone"])
    if suffix == "Backbone":
        _backbone_outputs(r, cfg, stages)
    _labels(r, cfg)
    return cfg


def _speech_common(r: random.Random, cfg: dict) -> None:
    n_conv = r.randint(1, 4)
    heads = r.choice([1, 2, 4])
    h = heads * r.choice([4, 8])
    cfg.update(
        hidden_size=h,
        num_attention_heads=heads,
        num_hidden_layers=r.randint(1, 3),
        intermediate_size=r.choice([8, 16, 37]),
        conv_dim=[r.choice([4, 8, 16]) for _ in range(n_conv)],
        conv_kernel=[r.choice([2, 3, 5]) for _ in range(n_conv)],
        conv_stride=[r.choice([1, 2]) for _ in range(n_conv)],
        conv_bias=r.random() < 0.5,
        feat_extract_norm=r.choice(["group", "layer"]),
        do_stable_layer_norm=r.random() < 0.5,
        num_conv_pos_embeddings=r.choice([3, 4, 16]),
        num_conv_pos_embedding_groups=r.choice([g for g in (1, 2, 4) if h % g == 0]),
        use_weighted_layer_sum=r.random() < 0.5,
        classifier_proj_size=r.choice([4, 8]),
        vocab_size=r.choice([5, 32, 40]),
    )
    if r.random() < 0.3:
        cfg["mask_time_prob"] = 0.0
        cfg["mask_feature_prob"] = r.choice([0.0, 0.1])
    if r.random() < 0.3:
        cfg["adapter_attn_dim"] = r.choice([4, 6])


def wav2vec2_cfg(r: random.Random) -> dict:
    cfg = {"model_type": "wav2vec2"}
    _speech_common(r, cfg)
    suffix = _arch(
        r,
        cfg,
        "Wav2Vec2",
        [
            "Model",
            "ForCTC",
            "ForSequenceClassification",
            "ForAudioFrameClassification",
            "ForXVector",
            "ForPreTraining",
        ],
    )
    if suffix in ("Model", "ForCTC", "ForXVector", "ForPreTraining") and r.random() < 0.4:
        cfg.update(add_adapter=True, num_adapter_layers=r.randint(1, 3), adapter_kernel_size=r.choice([2, 3]))
        if r.random() < 0.5:
            cfg["output_hidden_size"] = r.choice([8, 12])
    if suffix == "ForXVector":
        n = r.randint(1, 3)
        cfg.update(
            tdnn_dim=[r.choice([4, 8]) for _ in range(n)],
            tdnn_kernel=[r.choice([1, 3]) for _ in range(n)],
            tdnn_dilation=[1] * n,
            xvector_output_dim=r.choice([4, 8]),
        )
    if suffix == "ForPreTraining":
        groups = r.choice([1, 2])
        cfg.update(
            num_codevector_groups=groups,
            num_codevectors_per_group=r.choice([3, 5]),
            codevector_dim=groups * r.choice([4, 8]),
            proj_codevector_dim=r.choice([4, 6]),
        )
    _labels(r, cfg)
    return cfg


def hubert_cfg(r: random.Random) -> dict:
    cfg = {"model_type": "hubert"}
    _speech_common(r, cfg)
    cfg["feat_proj_layer_norm"] = r.random() < 0.5
    cfg["conv_pos_batch_norm"] = r.random() < 0.3
    _arch(r, cfg, "Hubert", ["Model", "ForCTC", "ForSequenceClassification"])
    _labels(r, cfg)
    return cfg


def _tiny_text(r: random.Random, model_type: str) -> dict:
    heads = r.choice([2, 4])
    return {
        "model_type": model_type,
        "hidden_size": heads * 8,
        "num_attention_heads": heads,
        "num_key_value_heads": r.choice([1, heads]),
        "num_hidden_layers": r.randint(1, 2),
        "intermediate_size": r.choice([16, 24]),
        "vocab_size": r.choice([64, 100]),
        "tie_word_embeddings": r.random() < 0.5,
    }


def _tiny_vision(r: random.Random) -> dict:
    heads = r.choice([1, 2])
    v = {
        "hidden_size": heads * 8,
        "num_attention_heads": heads,
        "num_hidden_layers": r.randint(1, 2),
        "intermediate_size": r.choice([12, 20]),
        "image_size": r.choice([28, 32, 60]),
        "patch_size": r.choice([4, 14]),
        "num_channels": r.choice([1, 3]),
    }
    if r.random() < 0.5:
        v["model_type"] = r.choice(["idefics2", "idefics3"])
    return v


def idefics2_cfg(r: random.Random) -> dict:
    text = _tiny_text(r, "mistral")
    cfg = {"model_type": "idefics2", "text_config": text, "vision_config": _tiny_vision(r)}
    heads = r.choice([1, 2, 4])
    perceiver = {
        "resampler_n_latents": r.choice([1, 4, 8]),
        "resampler_depth": r.randint(0, 3),
        "resampler_n_heads": heads,
        "resampler_head_dim": r.choice([4, 8]),
        "num_key_value_heads": r.choice([k for k in (1, 2, 4) if k <= heads]),
    }
    if r.random() < 0.5:
        perceiver["hidden_size"] = r.choice([text["hidden_size"], 4096])
    if r.random() < 0.8:
        cfg["perceiver_config"] = perceiver
    if r.random() < 0.5:
        cfg["tie_word_embeddings"] = r.random() < 0.5
    _arch(r, cfg, "Idefics2", ["Model", "ForConditionalGeneration"])
    return cfg


def idefics3_cfg(r: random.Random) -> dict:
    cfg = {
        "model_type": "idefics3",
        "text_config": _tiny_text(r, "llama"),
        "vision_config": _tiny_vision(r),
        "scale_factor": r.choice([1, 2, 3]),
    }
    if r.random() < 0.5:
        cfg["tie_word_embeddings"] = r.random() < 0.5
    _arch(r, cfg, "Idefics3", ["Model", "ForConditionalGeneration"])
    return cfg


def blip_cfg(r: random.Random) -> dict:
    heads = r.choice([1, 2, 4])
    vheads = r.choice([1, 2])
    text = {
        "vocab_size": r.choice([50, 64]),
        "hidden_size": heads * 4,
        "num_attention_heads": heads,
        "num_hidden_layers": r.randint(1, 2),
        "intermediate_size": r.choice([8, 20]),
        "max_position_embeddings": r.choice([8, 16]),
    }
    if r.random() < 0.5:
        text["tie_word_embeddings"] = r.random() < 0.5
    vision = {
        "hidden_size": vheads * 4,
        "num_attention_heads": vheads,
        "num_hidden_layers": r.randint(1, 2),
        "intermediate_size": r.choice([8, 12]),
        "image_size": r.choice([16, 32, 40]),
        "patch_size": r.choice([8, 16]),
    }
    cfg = {
        "model_type": "blip",
        "architectures": ["BlipForConditionalGeneration"],
        "text_config": text,
        "vision_config": vision,
    }
    if r.random() < 0.5:
        cfg["tie_word_embeddings"] = r.random() < 0.5
    return cfg


GENERATORS = {
    "convnext": convnext_cfg,
    "resnet": resnet_cfg,
    "swin": swin_cfg,
    "wav2vec2": wav2vec2_cfg,
    "hubert": hubert_cfg,
    "idefics2": idefics2_cfg,
    "idefics3": idefics3_cfg,
    "blip": blip_cfg,
}

CASES = [(fam, seed) for fam in GENERATORS for seed in range(PER_FAMILY)]


@pytest.mark.parametrize(("family", "seed"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_analytic_equals_meta_device_build(family, seed):
    cfg = GENERATORS[family](random.Random(f"{family}-{seed}"))
    expected = sum(p.numel() for p in meta.build_meta_model(cfg).parameters())
    res = count_analytic(cfg, cfg["model_type"])
    assert res.method.startswith("analytic:") and res.confidence == "exact"
    assert res.total == expected, cfg
    assert sum(res.breakdown.values()) == res.total
    rec = analyze_config(cfg, use_transformers=False)
    assert rec["params"]["total"] == expected
    if family in ("idefics2", "idefics3", "blip"):  # the text decoder caches K/V; the vision tower does not
        assert rec["memory"]["kv_bytes_per_token"] > 0
    else:  # non-autoregressive: no KV cache
        assert rec["memory"]["kv_bytes_per_token"] == 0
        assert rec["memory"]["kv_cache_bytes"] == 0


@pytest.mark.parametrize(
    "cfg",
    [
        # options the formulas do not model must fall back (meta path or a flagged estimate), never a wrong number
        {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ConformerForCTC"]},
        {"model_type": "swin", "architectures": ["Swinv2ForImageClassification"]},
        {"model_type": "swin", "window_size": [7, 7]},
        {"model_type": "hubert", "add_adapter": True},
        {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "vocab_size": None},
        {
            "model_type": "wav2vec2",
            "architectures": ["Wav2Vec2ForSequenceClassification"],
            "add_adapter": True,
        },
        {"model_type": "resnet", "layer_type": "preact"},
        {"model_type": "convnext", "num_stages": 5},
        # a head the family's formula does not list: transformers' own, and a repo's custom class without auto_map
        {"model_type": "bert", "architectures": ["BertForNextSentencePrediction"]},
        {"model_type": "bert", "architectures": ["BertForMultiLabelClassification"]},
        {"model_type": "llama", "architectures": ["LlamaForRewardModelWithValueHead"]},
    ],
)
def test_unmodelled_options_are_not_answered_analytically(cfg):
    p = analyze_config(cfg, use_transformers=False)["params"]
    assert not p["method"].startswith("analytic:")
    assert p["confidence"] != "exact"
    assert p["reason"]
