"""Dual encoders, vision-language encoders and the single-purpose models of families/dual_encoders.py and
families/misc_models.py.

Three kinds of checks:
- tiny configs whose parameter count is summed by hand below, module by module, independently of the formulas
  (no torch needed);
- heads and options the formulas do not describe come out ``unknown`` (no total), never a number labelled exact;
- with transformers + torch installed: seeded random small configs under every head class transformers has for
  these model types, built on the meta device; every ``exact`` answer must equal the built count.
"""

from __future__ import annotations

import copy
import random

import pytest

from params_meta import _exact, _params


def _lin(i: int, o: int, bias: bool = True) -> int:
    return i * o + (o if bias else 0)


# ----------------------------------------------------------------------------- hand-summed tiny configs


def _clip_vision_by_hand(h: int, L: int, inter: int, image: int, patch: int) -> int:
    embeddings = (
        3 * patch * patch * h + h + ((image // patch) ** 2 + 1) * h
    )  # bias-free conv, class token, positions
    layer = 4 * (h * h + h) + (h * inter + inter) + (inter * h + h) + 2 * 2 * h
    return embeddings + 2 * h + L * layer + 2 * h  # pre and post LayerNorms


def test_chinese_clip_by_hand():
    cfg = {
        "model_type": "chinese_clip",
        "architectures": ["ChineseCLIPModel"],
        "projection_dim": 6,
        "text_config": {
            "vocab_size": 20,
            "hidden_size": 8,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 12,
            "max_position_embeddings": 10,
            "type_vocab_size": 2,
        },
        "vision_config": {
            "hidden_size": 4,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 8,
            "image_size": 8,
            "patch_size": 4,
        },
    }
    text = (20 + 10 + 2) * 8 + 2 * 8  # word/position/type tables, embedding LayerNorm
    text += (
        4 * (8 * 8 + 8) + 2 * 8 + (8 * 12 + 12) + (12 * 8 + 8) + 2 * 8
    )  # one post-LN BERT layer, no pooler
    vision = _clip_vision_by_hand(4, 2, 8, 8, 4)
    heads = 4 * 6 + 8 * 6 + 1  # bias-free projections, logit scale
    assert _exact(cfg) == text + vision + heads


def test_vilt_by_hand():
    cfg = {
        "model_type": "vilt",
        "architectures": ["ViltModel"],
        "vocab_size": 30,
        "type_vocab_size": 2,
        "modality_type_vocab_size": 3,
        "max_position_embeddings": 7,
        "hidden_size": 8,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 16,
        "image_size": 16,
        "patch_size": 8,
        "num_channels": 3,
        "qkv_bias": False,
    }
    text_emb = (30 + 7 + 2) * 8 + 2 * 8
    patch_emb = 8 + (3 * 8 * 8 * 8 + 8) + (4 + 1) * 8  # class token, biased conv, positions
    modality = 3 * 8
    layer = 3 * 8 * 8 + (8 * 8 + 8) + (8 * 16 + 16) + (16 * 8 + 8) + 2 * 2 * 8
    total = text_emb + patch_emb + modality + 2 * layer + 2 * 8 + (8 * 8 + 8)  # final LayerNorm, pooler
    assert _exact(cfg) == total


def test_lxmert_by_hand():
    cfg = {
        "model_type": "lxmert",
        "architectures": ["LxmertModel"],
        "vocab_size": 10,
        "hidden_size": 4,
        "num_attention_heads": 2,
        "intermediate_size": 6,
        "max_position_embeddings": 5,
        "type_vocab_size": 2,
        "l_layers": 1,
        "x_layers": 1,
        "r_layers": 2,
        "visual_feat_dim": 7,
        "visual_pos_dim": 4,
    }
    embeddings = (10 + 5 + 2) * 4 + 2 * 4
    visual = (7 * 4 + 4) + 2 * 4 + (4 * 4 + 4) + 2 * 4
    attention = 4 * (4 * 4 + 4) + 2 * 4
    ffn = (4 * 6 + 6) + (6 * 4 + 4) + 2 * 4
    x_layer = 3 * attention + 2 * ffn  # shared cross-attention, language and vision self-attention, two FFNs
    total = embeddings + visual + 3 * (attention + ffn) + x_layer + (4 * 4 + 4)  # + pooler
    assert _exact(cfg) == total


def test_decision_transformer_by_hand():
    cfg = {
        "model_type": "decision_transformer",
        "architectures": ["DecisionTransformerModel"],
        "state_dim": 3,
        "act_dim": 2,
        "hidden_size": 4,
        "max_ep_len": 9,
        "vocab_size": 1,
        "n_positions": 6,
        "n_layer": 1,
        "n_head": 1,
    }
    gpt2 = 1 * 4 + 6 * 4  # wte, wpe
    gpt2 += (4 * 12 + 12) + (4 * 4 + 4) + (4 * 16 + 16) + (16 * 4 + 4) + 2 * 2 * 4  # one block, n_inner 4h
    gpt2 += 2 * 4  # ln_f
    embeds = (
        9 * 4 + (1 * 4 + 4) + (3 * 4 + 4) + (2 * 4 + 4) + 2 * 4
    )  # timestep, return, state, action, LayerNorm
    predictors = (4 * 3 + 3) + (4 * 2 + 2) + (4 * 1 + 1)
    assert _exact(cfg) == gpt2 + embeds + predictors


def test_timesfm_prediction_head_by_hand():
    cfg = {
        "model_type": "timesfm",
        "architectures": ["TimesFmModelForPrediction"],
        "patch_length": 2,
        "horizon_length": 3,
        "freq_size": 2,
        "num_hidden_layers": 1,
        "hidden_size": 4,
        "intermediate_size": 6,
        "head_dim": 2,
        "num_attention_heads": 2,
        "quantiles": [0.5],
    }
    inp = (4 * 6 + 6) + (6 * 4 + 4) + (4 * 4 + 4)  # residual block 2*patch -> intermediate -> hidden
    layer = 4 * (4 * 4 + 4) + 2  # q/k/v/o (two heads of 2) + per-dimension scaling
    layer += (4 * 6 + 6) + (6 * 4 + 4) + 2 * 4 + 4  # MLP, its LayerNorm, the RMSNorm
    head = (4 * 6 + 6) + (6 * 6 + 6) + (4 * 6 + 6)  # residual block to horizon x (1 + quantiles) = 6
    assert _exact(cfg) == inp + 2 * 4 + layer + head
    assert _exact({**cfg, "architectures": ["TimesFmModel"]}) == inp + 2 * 4 + layer


def test_embedding_gemma2_wide_full_attention_layers_by_hand():
    text = {
        "vocab_size": 10,
        "hidden_size": 4,
        "intermediate_size": 6,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 2,
        "hidden_size_per_layer_input": 3,
        "embedding_dim": 5,
        "layer_types": ["sliding_attention", "full_attention"],
        "per_layer_config": {"01": {"head_dim": 4, "num_key_value_heads": 1}},
    }

    def layer(hd: int, kv: int) -> int:
        attn = 4 * 2 * hd + 2 * 4 * kv * hd + 2 * hd * 4 + 2 * hd  # q, k, v, o (no bias), q/k norms
        return attn + 3 * 4 * 6 + 4 * 4 + (4 * 3 + 3 * 4 + 4)  # gated MLP, 4 RMSNorms, per-layer-input block

    body = 10 * 4 + layer(2, 1) + layer(4, 1) + 4  # embeddings, layers, final norm
    body += 4 * 2 * 3 + 3 + 4 * 5  # per-layer projection and its norm, embedding projection
    wrapper = {
        "model_type": "embedding_gemma2",
        "architectures": ["EmbeddingGemma2Model"],
        "text_config": text,
    }
    assert _exact(wrapper) == body
    flat = {**text, "model_type": "embedding_gemma2_text", "architectures": ["EmbeddingGemma2TextModel"]}
    assert _exact(flat) == body


def test_blip2_qformer_by_hand():
    cfg = {
        "model_type": "blip_2_qformer",
        "architectures": ["Blip2QFormerModel"],
        "hidden_size": 4,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 6,
        "cross_attention_frequency": 2,
        "encoder_hidden_size": 3,
    }
    attention = 4 * (4 * 4 + 4) + 2 * 4
    query_ffn = (4 * 6 + 6) + (6 * 4 + 4) + 2 * 4
    cross = (4 * 4 + 4) + 2 * (3 * 4 + 4) + (4 * 4 + 4) + 2 * 4  # layer 0 only (every 2nd layer from 0)
    assert _exact(cfg) == 2 * 4 + 2 * (attention + query_ffn) + cross


def test_patchtsmixer_by_hand_and_a_stated_num_patches_wins():
    cfg = {
        "model_type": "patchtsmixer",
        "architectures": ["PatchTSMixerModel"],
        "context_length": 10,
        "patch_length": 4,
        "patch_stride": 2,
        "num_input_channels": 1,
        "d_model": 3,
        "expansion_factor": 2,
        "num_layers": 1,
        "gated_attn": True,
    }

    def mixer(w: int) -> int:  # LayerNorm over d_model, MLP w -> 2w -> w, gate w -> w
        return 2 * 3 + (w * 2 * w + 2 * w) + (2 * w * w + w) + (w * w + w)

    patcher = 4 * 3 + 3
    assert _exact(cfg) == patcher + mixer(4) + mixer(3)  # (10 - 4) // 2 + 1 = 4 patches
    assert _exact({**cfg, "num_patches": 5}) == patcher + mixer(5) + mixer(3)


def test_gpt2_cross_attention_by_hand():
    # GPT-2 as a vision-encoder-decoder decoder (add_cross_attention): was counted without the cross-attention
    cfg = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "n_embd": 4,
        "n_layer": 1,
        "n_head": 1,
        "vocab_size": 5,
        "n_positions": 3,
    }
    block = (4 * 12 + 12) + (4 * 4 + 4) + (4 * 16 + 16) + (16 * 4 + 4) + 2 * 2 * 4
    body = 5 * 4 + 3 * 4 + block + 2 * 4  # tied lm_head
    cross = (4 * 4 + 4) + (4 * 8 + 8) + (4 * 4 + 4) + 2 * 4  # q_attn, c_attn (k, v), c_proj, ln_cross_attn
    assert _exact(cfg) == body
    assert _exact({**cfg, "add_cross_attention": True}) == body + cross


# ----------------------------------------------------------------------------- not exact: unknown, never a guess

UNCLAIMED = [
    {"model_type": "owlvit", "architectures": ["OwlViTForObjectDetection"]},
    {"model_type": "clipseg", "architectures": ["CLIPSegForImageSegmentation"]},
    {"model_type": "vilt", "architectures": ["ViltForQuestionAnswering"]},
    {"model_type": "visual_bert", "architectures": ["VisualBertForPreTraining"]},
    {"model_type": "lxmert", "architectures": ["LxmertForPreTraining"]},
    {
        "model_type": "vision-encoder-decoder",
        "architectures": ["VisionEncoderDecoderModel"],
        "encoder": {"model_type": "donut-swin"},
        "decoder": {"model_type": "mbart"},
    },
    {
        "model_type": "vision-text-dual-encoder",
        "architectures": ["VisionTextDualEncoderModel"],
        "vision_config": {"model_type": "clip"},
        "text_config": {"model_type": "bert"},
    },
    {
        "model_type": "embedding_gemma2",
        "architectures": ["EmbeddingGemma2Model"],
        "text_config": {},
        "vision_config": {"model_type": "gemma4_vision", "hidden_size": 8},
    },
    {
        "model_type": "decision_transformer",
        "architectures": ["DecisionTransformerModel"],
        "add_cross_attention": True,
    },
]


@pytest.mark.parametrize("cfg", UNCLAIMED, ids=lambda c: f"{c['model_type']}:{c['architectures'][0]}")
def test_unmodelled_heads_and_options_are_not_exact(cfg):
    p = _params(cfg)
    assert p["confidence"] != "exact"
    assert p["total"] is None


# ----------------------------------------------------------------------------- against transformers (meta device)

TYPES = [
    "chinese_clip",
    "altclip",
    "owlvit",
    "owlv2",
    "clipseg",
    "xclip",
    "vision-text-dual-encoder",
    "blip_2_qformer",
    "embedding_gemma2",
    "embedding_gemma2_text",
    "visual_bert",
    "vilt",
    "decision_transformer",
    "lxmert",
    "vision-encoder-decoder",
    "timesfm",
    "timesfm2_5",
    "seggpt",
    "mgp-str",
    "patchtst",
    "sam3_lite_text_text_model",
    "pix2struct",
    "flava",
    "bridgetower",
    "tvp",
    "kosmos-2.5",
    "patchtsmixer",
    "groupvit",
]
TOWER_KEYS = ("text_config", "vision_config", "encoder", "decoder")
LAYER_KEYS = ("num_hidden_layers", "n_layer", "l_layers", "x_layers", "r_layers")


def _head_classes(transformers, mt: str) -> list[str]:
    folders = {
        "xclip": "x_clip",
        "sam3_lite_text_text_model": "sam3_lite_text",
        "mgp-str": "mgp_str",
        "kosmos-2.5": "kosmos2_5",
    }
    folder = folders.get(mt, mt)
    folder = folder.replace("-", "_")
    out = []
    for name in dir(transformers):
        if "PreTrained" in name or "Pretrained" in name:
            continue
        try:
            obj = getattr(transformers, name)
        except Exception:  # noqa: BLE001 - a class whose optional backend is missing
            continue
        module = getattr(obj, "__module__", "")
        if (
            isinstance(obj, type)
            and f"models.{folder}.modeling_" in module
            and hasattr(obj, "from_pretrained")
        ):
            out.append(name)
    return out


def _shrink(d: dict, r: random.Random) -> None:
    for k in LAYER_KEYS:
        if isinstance(d.get(k), int) and d[k] > 2:
            d[k] = r.randint(1, 2)
    if isinstance(d.get("layer_types"), list) and isinstance(d.get("num_hidden_layers"), int):
        d["layer_types"] = d["layer_types"][-d["num_hidden_layers"] :]
        d.pop("per_layer_config", None)


def _small(cfg_cls, r: random.Random) -> dict:
    d = cfg_cls().to_dict()
    _shrink(d, r)
    for key in TOWER_KEYS:
        if isinstance(d.get(key), dict):
            _shrink(d[key], r)
    if isinstance(d.get("projection_dim"), int) and r.random() < 0.5:
        d["projection_dim"] = r.choice((64, 96))
    return d


def test_exact_answers_equal_the_meta_count_for_every_head_class():
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from hubscan.estimate import meta

    r = random.Random(12)
    checked, exact, unmatched = 0, 0, []
    for mt in TYPES:
        for cls in _head_classes(transformers, mt) or ["?"]:
            d = _small(CONFIG_MAPPING[mt], r)
            d["architectures"] = [cls]
            try:
                truth = sum(p.numel() for p in meta.build_meta_model(copy.deepcopy(d)).parameters())
            except Exception:  # noqa: BLE001 - a combination transformers refuses is not a case
                continue
            checked += 1
            p = _params(d)
            if p["confidence"] == "exact":
                exact += 1
                if p["total"] != truth:
                    unmatched.append((mt, cls, p["total"], truth))
    assert not unmatched
    assert checked >= 50 and exact >= 31, (checked, exact)
