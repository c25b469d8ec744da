"""Vision-language composites whose text part is an existing decoder family: Qwen2-VL.

Qwen2-VL's vision tower (``qwen2_vl_vision``): a bias-free Conv3d patch embedding, pre-LN ViT blocks with
LayerNorms, a fused biased qkv and a two-Linear MLP (``mlp_ratio``), and a patch merger (LayerNorm over the
vision width, then two Linears over ``spatial_merge_size``² stacked patches into the text width).
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.registry import FAMILIES, register

# keys a flat (pre-text_config) Qwen2-VL config must state: Qwen2VLTextConfig's defaults differ from Qwen2's
_TEXT_KEYS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")


def qwen2_vl_vision(v: Cfg) -> int:
    E = positive("vision_config.embed_dim", v.int("embed_dim", default=1280))
    depth = v.int("depth", default=32)
    out = v.int("hidden_size", default=3584)
    mlp = int(E * v.num("mlp_ratio", default=4))
    p = v.int("patch_size", default=14)
    tp = v.int("temporal_patch_size", default=2)
    m = v.int("spatial_merge_size", default=2)
    n = v.int("in_channels", default=3) * tp * p * p * E
    n += depth * (2 * 2 * E + linear(E, 3 * E) + linear(E, E) + linear(E, mlp) + linear(mlp, E))
    merged = E * m * m
    return n + 2 * E + linear(merged, merged) + linear(merged, out)


def _qwen2_text(c: Cfg) -> tuple[Tally, Cfg]:
    raw = c.data.get("text_config")
    if raw is None:  # flat hub config: the text keys sit at the root
        missing = [k for k in (*_TEXT_KEYS, "num_key_value_heads") if c.data.get(k) is None]
        if missing:
            raise NotExact(
                f"flat Qwen2-VL config without {', '.join(missing)}: class defaults are not modelled"
            )
        raw = c.data
    if not isinstance(raw, dict):
        raise ConfigProblem("text_config is not an object")
    tc = Cfg({**raw, "model_type": "qwen2"}, "config.text_config")
    return FAMILIES["qwen2"].formula(tc, "model"), tc


def qwen2_vl(c: Cfg, head: str) -> Tally:
    t, tc = _qwen2_text(c)
    raw = c.data.get("vision_config")
    if not isinstance(raw, dict):
        raise NotExact("vision_config absent or not an object: its class defaults are not modelled")
    t.add("vision", qwen2_vl_vision(Cfg(raw, "config.vision_config")))
    if head == "cond_gen":
        tie = c.bool("tie_word_embeddings", default=False) or tc.bool("tie_word_embeddings", default=False)
        if not tie:
            t.add("heads", tc.int("vocab_size") * tc.int("hidden_size"))
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for qwen2_vl")
    return t


register("qwen2_vl", qwen2_vl, "Qwen2VL")
