"""A structural parameter estimator for decoder-style configs, without a formula per family.

Modern decoder configs share a small vocabulary of shapes under many key spellings: a token embedding, a
stack of layers each made of a *mixer* (full / sliding-window attention, MLA, linear attention, Mamba-2)
and a *feed-forward* (dense MLP or mixture of experts, with or without shared experts), a final norm and
an output head. This module reads those shapes (see ``docs/PARAMS.md`` for the keys) and counts each
module the way transformers builds it. It never guesses a size that is not in the config: a missing
required key raises :class:`ConfigProblem`.

Confidence is decided by the caller (:mod:`hubscan.estimate.params`): ``exact`` only for model types on
which this estimator is verified to reproduce transformers (:data:`EXACT_TYPES`); ``unknown`` (no total)
for model types on which the coverage run measured it off by more than the band limit
(:func:`unreliable_types`); else ``approximate`` with the band measured by ``scripts/coverage_params.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from hubscan.estimate._cfg import Cfg, ConfigProblem, KVLayer, NotExact, Tally, linear
from hubscan.estimate.structural_parts import (
    EXPERT_KEYS,
    FAMILY_SHAPES,
    Hints,
    attention_params,
    delta_attention,
    dense_mlp,
    hints_for,
    hyper_connections,
    kv_shared,
    lightning_attention,
    linear_attention,
    mamba2,
    mla_params,
    moe_block,
    short_conv,
)

H_KEYS = ("hidden_size", "n_embd", "d_model", "dim", "n_embed", "hidden_dim", "model_dim")
L_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")
NH_KEYS = ("num_attention_heads", "n_head", "n_heads", "num_heads", "attention_heads")
KV_KEYS = ("num_key_value_heads", "n_kv_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num")
V_KEYS = ("vocab_size", "padded_vocab_size", "n_vocab")
TEXT_KEYS = ("text_config", "llm_config", "language_config", "text_model")


def _coverage_data() -> dict:
    path = resources.files("hubscan") / "data" / "structural_verified.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_COVERAGE = _coverage_data()


def _coverage_verified() -> frozenset[str]:
    """Model types scripts/coverage_params.py found counted exactly on every generated variant."""
    types = _COVERAGE.get("model_types")
    return frozenset(t for t in types or () if isinstance(t, str))


def approximate_band() -> dict:
    """Measured error of the structural estimator on unverified model types (coverage run), or {}."""
    band = _COVERAGE.get("approximate_band")
    return band if isinstance(band, dict) else {}


def band_limit_pct() -> float | None:
    """The stated bound of an ``approximate`` structural answer, in percent (coverage run), or None."""
    limit = _COVERAGE.get("band_limit_pct")
    ok = isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit > 0
    return float(limit) if ok else None


def measured_types() -> frozenset[str]:
    """Model types on which the coverage run measured the structural estimate against transformers."""
    types = _COVERAGE.get("measured_types")
    return frozenset(t for t in types or () if isinstance(t, str))


def unreliable_types() -> dict[str, float]:
    """Model types whose worst generated variant the structural estimator missed by more than the band limit:
    {model_type: worst error in percent}. Their structural answer is withheld (confidence ``unknown``)."""
    types = _COVERAGE.get("unreliable_types")
    if not isinstance(types, dict):
        return {}
    return {
        k: float(v)
        for k, v in types.items()
        if isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


# Model types on which the structural estimator has been checked to equal transformers' meta-device
# count: the configs_modern ground truth (below) plus the coverage run's fully exact types. Everything else
# is `approximate`.
EXACT_TYPES: frozenset[str] = _coverage_verified() | frozenset(
    {
        "gpt_oss",
        "minimax_m2",
        "deepseek_v32",
        "glm_moe_dsa",
        "nemotron_h",
        "qwen3_5",
        "qwen3_5_moe",
        "qwen3_5_text",
        "qwen3_5_moe_text",
        "qwen3_vl",
        "qwen3_vl_text",
        "qwen3_vl_moe",
        "qwen3_vl_moe_text",
    }
)

_LM_SUFFIXES = ("ForCausalLM", "ForConditionalGeneration", "LMHeadModel")


@dataclass
class Layer:
    mixer: str | None  # "attention", "sliding", "mla", "linear", "mamba" or None (FFN-only block)
    ffn: str | None  # "dense", "moe" or None (mixer-only block)


def text_cfg(config: dict) -> tuple[Cfg, bool]:
    """The config holding the language model: a nested text config for VL/omni models, else the root."""
    root = Cfg(config)
    if root.has(*H_KEYS) and root.has(*L_KEYS):
        return root, False
    for key in TEXT_KEYS:
        sub = config.get(key)
        if isinstance(sub, dict):
            return Cfg(sub, f"config.{key}"), True
    thinker = config.get("thinker_config")
    if isinstance(thinker, dict) and isinstance(thinker.get("text_config"), dict):
        return Cfg(thinker["text_config"], "config.thinker_config.text_config"), True
    return root, False


_BLOCKS = {
    "M": Layer("mamba", None),
    "mamba": Layer("mamba", None),
    "*": Layer("attention", None),
    "attention": Layer("attention", None),
    "-": Layer(None, "dense"),
    "mlp": Layer(None, "dense"),
    "E": Layer(None, "moe"),
    "moe": Layer(None, "moe"),
}


def block_pattern(c: Cfg) -> list[Layer] | None:
    """Nemotron-H style stacks where each block is one mixer *or* one FFN (pattern string or block list)."""
    pattern = c.raw("hybrid_override_pattern")
    if isinstance(pattern, str) and pattern:
        symbols: list = list(pattern)
    else:
        blocks = c.raw("layers_block_type", "block_types")
        if not (isinstance(blocks, list) and blocks and any(b in ("moe", "mlp") for b in blocks)):
            return None
        symbols = blocks
    mamba = c.has("mamba_num_heads", "mamba_n_heads")
    out = []
    for sym in symbols:
        if sym == "linear_attention" and mamba:  # Nemotron-H names its Mamba-2 blocks so
            sym = "mamba"
        elif sym == "full_attention":
            sym = "attention"
        if not isinstance(sym, str) or sym not in _BLOCKS:
            raise NotExact(f"hybrid block {sym!r} is not understood")
        out.append(Layer(_BLOCKS[sym].mixer, _BLOCKS[sym].ffn))
    return out


def _mixer_name(t: object) -> str:
    if not isinstance(t, str):
        raise NotExact(f"layer type {t!r} is not understood")
    low = t.lower()
    if low == "conv":  # LFM2/LFM3 gated short-convolution blocks
        return "conv"
    for words, name in (
        (("linear",), "linear"),
        (("mamba", "ssm"), "mamba"),
        (("sliding", "local", "chunked"), "sliding"),
        (("attention", "full", "global"), "attention"),
    ):
        if any(w in low for w in words):
            return name
    raise NotExact(f"layer type {t!r} is not understood")


def _mixers(c: Cfg, L: int, mla: bool, hints: Hints) -> list[str]:
    if hints.ssm_only:
        return ["mamba"] * L
    if hints.parallel_ssm:  # attention and a Mamba-2 mixer side by side in every layer
        return ["attention+mamba"] * L
    if "attn_layer_indices" in c.data and c.has("mamba_n_heads", "mamba_num_heads"):
        at = c.raw("attn_layer_indices") or []  # Bamba: Mamba-2 layers except the listed attention layers
        if not isinstance(at, list) or not all(isinstance(i, int) for i in at):
            raise NotExact("attn_layer_indices must be a list of layer numbers")
        return ["attention" if i in at else "mamba" for i in range(L)]
    lt = c.raw("layer_types", "layers_block_type")
    if isinstance(lt, list) and len(lt) == L:
        if not all(isinstance(t, str) for t in lt):
            raise NotExact("layer_types must be strings")
        names = {t: _mixer_name(t) for t in set(lt)}
        out = [names[t] for t in lt]
        return ["mla" if (mla and m in ("attention", "sliding")) else m for m in out]
    default = "mla" if mla else "attention"
    plain_window = c.raw("max_window_layers") is None and c.raw("sliding_window_pattern") is None
    if not mla and c.raw("sliding_window") and c.raw("use_sliding_window") is not False and plain_window:
        default = "sliding"
    return [default] * L


def _ffns(c: Cfg, L: int, experts: int) -> list[str]:
    mlt = c.raw("mlp_layer_types")
    if isinstance(mlt, list) and len(mlt) == L:
        return ["moe" if t in ("sparse", "moe") else "dense" for t in mlt]
    if experts <= 0:
        return ["dense"] * L
    moe_layers = c.raw("moe_layers")
    if isinstance(moe_layers, list) and all(isinstance(i, int) for i in moe_layers):
        return ["moe" if i in moe_layers else "dense" for i in range(L)]
    first = c.int("first_k_dense_replace", "moe_layer_start_index", "num_dense_layers", default=0)
    freq = c.int("moe_layer_freq", default=1)  # DeepSeek style: layer i is sparse when i % freq == 0
    # Qwen / Llama 4 / ERNIE: layer i is sparse when (i+1) % step == 0; ERNIE bounds them by start..end
    step = c.int("decoder_sparse_step", "interleave_moe_layer_step", "moe_layer_interval", default=1)
    last = c.int("moe_layer_end_index", default=L - 1)
    only = set(c.ints("mlp_only_layers", default=[]))
    out = []
    for i in range(L):
        sparse = first <= i <= last and i not in only
        sparse = sparse and (freq <= 1 or i % freq == 0) and (step <= 1 or (i + 1) % step == 0)
        out.append("moe" if sparse else "dense")
    return out


def layer_plan(c: Cfg, hints: Hints) -> list[Layer]:
    layers = block_pattern(c)
    if layers is not None:
        L = c.int(*L_KEYS, default=len(layers))
        if len(layers) != L:
            raise ConfigProblem(f"the hybrid block pattern has {len(layers)} layers, num_hidden_layers={L}")
        return layers
    L = c.int(*L_KEYS)
    mla = c.has("kv_lora_rank")
    experts = c.int(*EXPERT_KEYS, default=0)
    ffns = [None] * L if hints.ssm_only else _ffns(c, L, experts)
    return [Layer(m, f) for m, f in zip(_mixers(c, L, mla, hints), ffns, strict=True)]


def _mixer_params(c: Cfg, kind: str, h: int, hints: Hints, t: Tally, layer: int) -> int:
    if kind == "attention+mamba":
        n = _mixer_params(c, "attention", h, hints, t, layer)
        return n + _mixer_params(c, "mamba", h, hints, t, layer)
    if kind in ("attention", "sliding"):
        n, kv = attention_params(c, h, hints, sliding=kind == "sliding", shared=kv_shared(c, layer))
        t.kv_layers.append(kv)
        return n
    if kind == "mla":
        n, kv = mla_params(c, h, layer)
        t.kv_layers.append(kv)
        nh = c.int(*NH_KEYS)
        n += h * nh if hints.head_gate else 0
        n += h * nh * c.int("v_head_dim") if hints.value_gate else 0
        n += c.int("qk_rope_head_dim") if hints.rope_k_norm else 0
        if hints.mla_q_gate:
            ql, qk = c.int("q_lora_rank"), c.int("qk_nope_head_dim") + c.int("qk_rope_head_dim")
            n += ql * nh * qk + 2 * ql * nh * c.int("v_head_dim")
        return n + (nh if hints.sinks else 0)
    if kind == "linear" and c.has("linear_num_heads") and not c.has("linear_num_key_heads"):
        n, state = delta_attention(c, h, hints)
        t.state_elems += state
        return n
    if kind == "linear" and not c.has("linear_num_key_heads") and c.has("mamba_n_heads", "mamba_num_heads"):
        kind = "mamba"  # some hybrids label their Mamba-2 layers "linear_attention"
    if kind == "linear" and hints.lightning:
        n, state = lightning_attention(c, h, hints)
        t.state_elems += state
        return n
    if kind == "linear":
        n, state = linear_attention(c, h)
        t.state_elems += state
        return n
    if kind == "conv":
        n, state = short_conv(c, h)
        t.state_elems += state
        return n
    if kind == "mamba":
        n, state = mamba2(c, h, plain=hints.ssm_only)
        t.state_elems += state
        return n
    raise NotExact(f"mixer {kind!r} is not modelled")


def count_decoder(c: Cfg, hints: Hints) -> Tally:
    """Embedding + layers + final norm of a decoder stack (no output head)."""
    h = c.int(*H_KEYS)
    if h <= 0:
        raise ConfigProblem("hidden size must be positive")
    V = c.int(*V_KEYS)
    t = Tally()
    t.embed(V * h)
    if hints.pos_rows is not None:  # learned absolute positions
        t.add("embeddings", (c.int("max_position_embeddings", "n_positions") + hints.pos_rows) * h)
    blocks = layer_plan(c, hints)
    overrides = layer_overrides(c, len(blocks))
    kinds = c.raw("indexer_types")
    kinds = kinds if isinstance(kinds, list) else []
    cache: dict[tuple, list] = {}  # identical layers are counted once: key -> [layer tally, count]
    for i, layer in enumerate(blocks):
        own = overrides.get(str(i)) if isinstance(overrides.get(str(i)), dict) else None
        key = (layer.mixer, layer.ffn, str(i) if own else None, kinds[i] if i < len(kinds) else None)
        key += (kv_shared(c, i),)
        entry = cache.get(key)
        if entry is None:
            lc = Cfg({**c.data, **own}, f"{c.name}.per_layer_config[{i}]") if own else c
            entry = cache[key] = [one_layer(lc, layer, h, hints, i), 0]
        entry[1] += 1
    for lt, n in cache.values():
        for part, v in lt.parts.items():
            t.add(part, v * n)
        t.experts_total += lt.experts_total * n
        t.experts_active += lt.experts_active * n
        t.kv_layers.extend(lt.kv_layers * n)
        t.state_elems += lt.state_elems * n
    t.add("norms", h * hints.norm_mult if hints.final_norm else 0)
    per_layer_inputs(c, h, len(blocks), t)
    t.add("other", altup_laurel(c, h, len(blocks)))
    t.add("other", hyper_connections(c, h, len(blocks)))
    return t


def layer_overrides(c: Cfg, L: int) -> dict[str, dict]:
    """Per-layer config overrides by layer number: ``per_layer_config`` (keys "5" or "05") and a list-valued
    ``intermediate_size`` (one width per layer, Gemma 3n)."""
    raw_over = c.raw("per_layer_config")
    raw_over = raw_over if isinstance(raw_over, dict) else {}
    out = {str(int(k)): v for k, v in raw_over.items() if isinstance(k, str) and k.isdigit()}
    widths = c.raw("intermediate_size")
    if isinstance(widths, list):
        if len(widths) != L:
            raise ConfigProblem(f"intermediate_size lists {len(widths)} widths for {L} layers")
        for i, w in enumerate(widths):
            own = out.get(str(i))
            out[str(i)] = {**(own if isinstance(own, dict) else {}), "intermediate_size": w}
    return out


def altup_laurel(c: Cfg, h: int, L: int) -> int:
    """Gemma 3n's AltUp (``altup_num_inputs`` streams: per-layer router, coefficients, norm, output scale;
    model-level projections into and out of the extra streams) and LAuReL low-rank residuals (``laurel_rank``)."""
    n = c.int("altup_num_inputs", default=0)
    r = c.int("laurel_rank", default=0)
    total = L * (2 * h * r + h) if r else 0
    if n > 1:
        total += L * (h + n * n + n * n * n + h * n + h) + 2 * (n - 1) * h * h
    return total


def one_layer(c: Cfg, layer: Layer, h: int, hints: Hints, i: int) -> Tally:
    t = Tally()
    if layer.mixer is not None:
        t.add("attention", _mixer_params(c, layer.mixer, h, hints, t, i))
    if layer.ffn == "dense":
        double = c.raw("use_double_wide_mlp") is True and kv_shared(c, i)
        t.add("mlp", dense_mlp(c, h, hints, double=double))
    elif layer.ffn == "moe":
        moe_block(c, h, hints, t)
    norms = 1 if layer.mixer is None or layer.ffn is None else hints.norms_per_layer
    t.add("norms", norms * h * hints.norm_mult)
    rank = c.int("gated_norm_rank", default=0)  # AXK2: the input norm (and a sparse layer's second) is gated
    if rank and layer.mixer is not None:
        t.add("norms", (2 if layer.ffn == "moe" else 1) * 2 * h * rank)
    return t


def per_layer_inputs(c: Cfg, h: int, L: int, t: Tally) -> None:
    """Per-layer input embeddings (Gemma 3n / Gemma 4): a second, per-layer token table and projections."""
    ple = c.int("hidden_size_per_layer_input", default=0)
    if not ple:
        return
    Vp = c.int("vocab_size_per_layer_input", *V_KEYS)
    t.add("per_layer_embeddings", Vp * L * ple)
    t.add("other", h * L * ple + ple)  # model-level projection + its norm
    t.add("other", L * (2 * h * ple + h))  # per layer: input gate, projection, post norm


def assistant_projections(root: Cfg, h: int) -> int:
    """A drafter of a larger backbone (Gemma 4 assistants, ``backbone_hidden_size``): projections from the
    backbone's [embedding, hidden state] into the drafter and back, plus the ordered-embedding centroids."""
    B = root.int("backbone_hidden_size", default=0)
    if not B:
        return 0
    n = 2 * B * h + h * B
    if root.raw("use_ordered_embeddings") is True:
        n += h * root.int("num_centroids")
    return n


def mtp_params(c: Cfg, h: int, hints: Hints) -> int:
    """Multi-token-prediction layers that checkpoints store but transformers does not build (estimate)."""
    n = c.int("num_nextn_predict_layers", "mtp_num_hidden_layers", "num_mtp_modules", default=0)
    if n <= 0:
        return 0
    probe = Tally()
    kind = "mla" if c.has("kv_lora_rank") else "attention"
    per = _mixer_params(c, kind, h, hints, probe, 0)
    if c.int(*EXPERT_KEYS, default=0):
        moe_block(c, h, hints, probe)
    else:
        probe.add("mlp", dense_mlp(c, h, hints))
    # decoder layer + enorm/hnorm/final norm + eh_proj (2h -> h)
    return n * (per + probe.total + 4 * h + 2 * h * h)


def lm_head_params(config: dict, c: Cfg, V: int, h: int, hints: Hints) -> int:
    arch = config.get("architectures")
    arch0 = arch[0] if isinstance(arch, list) and arch and isinstance(arch[0], str) else None
    if arch0 is None or arch0.endswith("Model") and not arch0.endswith("LMHeadModel"):
        return 0
    if arch0.endswith("ForSequenceClassification"):
        return h * Cfg(config).num_labels()
    if not arch0.endswith(_LM_SUFFIXES):
        raise NotExact(f"output head of {arch0!r} is not modelled")
    bias = V if hints.head_bias else 0
    if hints.never_tied:
        return V * h + bias
    tied = Cfg(config).raw("tie_word_embeddings")
    if tied is None:
        tied = c.raw("tie_word_embeddings", default=hints.tie_default)
    return bias if tied else V * h + bias


_ENCODER_HEADS = (
    "ForMaskedLM",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForMultipleChoice",
    "ForImageClassification",
    "ForCTC",
    "ForAudioClassification",
    "ForPreTraining",
    "ForObjectDetection",
    "ForSemanticSegmentation",
    "ForDepthEstimation",
    "ForMaskedImageModeling",
)
_DECODER_SIGNALS = (
    "rms_norm_eps",
    "rms_norm_epsilon",
    "num_key_value_heads",
    "kv_lora_rank",
    "hybrid_override_pattern",
    "linear_num_key_heads",
    *EXPERT_KEYS,
)


def decoder_style(config: dict, c: Cfg, model_type: str) -> None:
    """Refuse (NotExact) configs that are not RMSNorm/gated decoder stacks: BERT-style encoders, ViTs, ..."""
    if model_type in EXACT_TYPES or FAMILY_SHAPES.get(model_type, {}).get("classic"):
        return
    arch = config.get("architectures")
    arch0 = arch[0] if isinstance(arch, list) and arch and isinstance(arch[0], str) else ""
    if arch0.endswith(_ENCODER_HEADS):
        raise NotExact(f"{arch0} is an encoder-style head; the structural estimator reads decoder stacks")
    if arch0 and not arch0.endswith((*_LM_SUFFIXES, "Model", "ForSequenceClassification")):
        raise NotExact(f"{arch0}: not a language-model class; the structural estimator reads decoder stacks")
    if arch0.endswith("Model") and not arch0.endswith("LMHeadModel") and not c.has("num_key_value_heads"):
        raise NotExact(f"{arch0}: a base model without decoder-attention keys; not read structurally")
    if any(isinstance(config.get(k), dict) for k in ("audio_config", "speech_config", "codec_config")):
        raise NotExact("speech/audio towers are not read structurally")
    if c.has("type_vocab_size"):
        raise NotExact("type_vocab_size: a BERT-style encoder, not a decoder stack")
    if not c.has(*_DECODER_SIGNALS):
        raise NotExact(
            "no RMSNorm / GQA / experts / MLA / hybrid keys: LayerNorm-style stacks are not read structurally"
        )


def count_structural(config: dict) -> Tally:
    """Parameters of a decoder-style model (with optional vision/audio towers); raises ConfigProblem/NotExact."""
    from hubscan.estimate.towers import count_towers

    c, nested = text_cfg(config)
    mt = config.get("model_type") if isinstance(config.get("model_type"), str) else ""
    decoder_style(config, c, mt)
    hints = hints_for(mt, c)
    if not c.has(*L_KEYS) and block_pattern(c) is None:
        raise ConfigProblem(f"{c.name} has no layer count")
    if c.raw("is_encoder_decoder") is True or c.has("encoder_layers", "num_decoder_layers"):
        raise NotExact("encoder-decoder models are not decoder-style")
    t = count_decoder(c, hints)
    h = c.int(*H_KEYS)
    V = c.int(*V_KEYS)
    t.add("heads", lm_head_params(config, c, V, h, hints))
    arch = config.get("architectures")
    if (
        isinstance(arch, list)
        and arch
        and isinstance(arch[0], str)
        and arch[0].endswith("ForSequenceClassification")
    ):
        # classification heads differ by family (bias, an extra dense layer): never claimed exact structurally
        t.approx.append("the sequence-classification head is counted as one hidden x num_labels matrix")
    if nested:
        count_towers(config, h, t)
    t.add("other", assistant_projections(Cfg(config), h))
    if hints.patch_embed:
        root = Cfg(config)
        t.add("vision", linear(root.int("patch_size") ** 2 * root.int("num_channels", default=3), h))
    mtp = mtp_params(c, h, hints)
    if mtp:
        t.notes.append(
            f"multi-token-prediction layers: about {mtp:,} parameters stored in the checkpoint, not built by "
            "transformers and not in the total"
        )
    t.mtp = mtp
    return t


__all__ = [
    "EXACT_TYPES",
    "approximate_band",
    "band_limit_pct",
    "measured_types",
    "unreliable_types",
    "count_structural",
    "text_cfg",
    "layer_plan",
    "linear",
    "KVLayer",
]
