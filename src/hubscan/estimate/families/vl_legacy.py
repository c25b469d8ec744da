"""Older and encoder-decoder multimodal models: Granite-Docling (Idefics3-style tiles + DeepStack connector).

Each formula follows the module tree transformers 5.25 builds for the class on the meta device; heads not listed
in a registration raise NotExact (the answer is ``unknown``, never a guess).
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear
from hubscan.estimate.families.decoders import granite
from hubscan.estimate.families.multimodal import IDEFICS3_VISION, _idefics_vision
from hubscan.estimate.families.vision_more import register_own, with_defaults
from hubscan.estimate.families.vl_more import lm_head_of, sub_config

# GraniteDoclingVisionConfig / GraniteDoclingTextConfig defaults (transformers 5.25).
GRANITE_DOCLING_VISION = {
    **IDEFICS3_VISION,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "num_channels": 3,
    "image_size": 512,
    "patch_size": 16,
    "out_hidden_size": 1024,
    "scale_factor": 4,
    "deepstack_visual_indexes": [3, 7, 10],
    "use_fine_route": True,
}
GRANITE_DOCLING_TEXT = {
    "vocab_size": 133800,
    "hidden_size": 1024,
    "intermediate_size": 2048,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
}


def _docling_path(vh: int, out: int, scale: int, taps: int) -> int:
    """One connector path: pixel-shuffled bias-free projection + one LayerNorm/Linear/Linear merger per tap."""
    merged = vh * scale * scale
    merger = 2 * merged + linear(merged, out) + linear(out, out)
    return merged * out + taps * merger


def granite_docling_vision(c: Cfg, head: str) -> Tally:
    """GraniteDoclingVisionModel: the Idefics3 vision transformer + the coarse (and fine) connector paths."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for granite_docling_vision")
    vc = with_defaults(c, GRANITE_DOCLING_VISION)
    n, vh = _idefics_vision(Cfg({"vision_config": vc.data}), GRANITE_DOCLING_VISION)
    out, scale = vc.int("out_hidden_size"), vc.int("scale_factor")
    taps = len(vc.ints("deepstack_visual_indexes"))
    n += 2 * vh + _docling_path(vh, out, scale, taps)  # ln_in, coarse path
    if vc.bool("use_fine_route"):
        n += _docling_path(vh, out, scale // 2, taps)
    n += 2 * out + out * out + 2 * out  # ln_mid, bias-free mlp_fc2, ln_out
    t = Tally()
    t.has_kv = False
    t.add("other", n)
    return t


def granite_docling(c: Cfg, head: str) -> Tally:
    """GraniteDocling: vision model with connector + Granite text model (+ density router, + lm_head)."""
    tc = sub_config(c, "text_config", GRANITE_DOCLING_TEXT)
    vc = sub_config(c, "vision_config", GRANITE_DOCLING_VISION)
    if vc.int("out_hidden_size") != tc.int("hidden_size"):
        raise ConfigProblem("vision_config.out_hidden_size must equal text_config.hidden_size")
    t = granite(tc, "model")
    t.merge(granite_docling_vision(vc, "model"))
    router = c.int("density_router_hidden_size", default=None)
    if router is not None:
        vh = vc.int("hidden_size")
        t.add("other", linear(vh, 1) + 2 * vh + linear(vh, router) + linear(router, 1))
    return lm_head_of(t, c, tc, head, tie=c.bool("tie_word_embeddings", default=True))


register_own("granite_docling_vision", granite_docling_vision, "GraniteDoclingVision", stem="GraniteDocling")
register_own("granite_docling", granite_docling, "GraniteDocling")


GLM_IMAGE_VQ = {"embed_dim": 2048, "num_embeddings": 16384, "latent_channels": 1536}


def glm_image_vqmodel(c: Cfg, head: str) -> Tally:
    """GlmImageVQVAE: codebook + 1x1 quant_conv / post_quant_conv (no encoder/decoder stacks are built)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for glm_image_vqmodel")
    q = with_defaults(c, GLM_IMAGE_VQ)
    e, n, lat = q.int("embed_dim"), q.int("num_embeddings"), q.int("latent_channels")
    t = Tally()
    t.has_kv = False
    t.add("embeddings", n * e)
    t.add("other", linear(lat, e) + linear(e, lat))
    return t


register_own(
    "glm_image_vqmodel", glm_image_vqmodel, "GlmImageVQ", stem="GlmImage", classes={"GlmImageVQVAE": "model"}
)
