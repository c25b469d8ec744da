"""Contrastive dual encoders: a text tower and a vision tower, each projected (bias-free) into a shared space,
plus a learned logit scale: Chinese-CLIP, AltCLIP, OWL-ViT / OWLv2 and CLIPSeg base models, X-CLIP, and the
generic VisionTextDualEncoder. The towers reuse the CLIP (vision.py) and BERT (encoders.py) formulas.

Sub-configs that omit keys get the defaults of their own transformers configuration class (transformers 5.x),
recorded below per model type.
"""

from __future__ import annotations

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.encoders import BertShape, bert_like
from hubscan.estimate.families.multimodal import _with_defaults
from hubscan.estimate.families.registry import FAMILIES, register
from hubscan.estimate.families.vision import CLIP_TEXT, CLIP_VISION, clip_text, clip_vision
from hubscan.estimate.families.vl_composites import _qformer

_BERT_TEXT = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
}
_XLMR_TEXT = {
    "vocab_size": 250002,
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "project_dim": 768,
}
_OWL_TEXT = {**CLIP_TEXT, "max_position_embeddings": 16}
_OWL_VISION = {**CLIP_VISION, "image_size": 768}
_NO_POOLER = BertShape(pooler="never")


def sub(c: Cfg, key: str, defaults: dict) -> Cfg:
    """The sub-config ``key`` with its configuration class's defaults under it."""
    raw = c.data.get(key)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigProblem(f"{key} is not an object")
    return Cfg(_with_defaults(raw, defaults), f"config.{key}")


def _contrastive(t: Tally, text_dim: int, vision_dim: int, proj: int) -> Tally:
    """visual_projection and text_projection (bias-free) and the logit scale."""
    t.add("heads", vision_dim * proj + text_dim * proj + 1)
    return t


def clip_like(c: Cfg, head: str, *, text: dict, vision: dict, proj_default: int = 512) -> Tally:
    """CLIP's module tree under another name and other defaults (OWL-ViT, OWLv2, CLIPSeg base models)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for this dual encoder")
    tc, vc = sub(c, "text_config", text), sub(c, "vision_config", vision)
    t = clip_text(tc)
    t.merge(clip_vision(vc))
    return _contrastive(
        t, tc.int("hidden_size"), vc.int("hidden_size"), c.int("projection_dim", default=proj_default)
    )


def chinese_clip(c: Cfg, head: str) -> Tally:
    """BERT text tower (no pooler) + CLIP vision tower."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for chinese_clip")
    tc, vc = sub(c, "text_config", _BERT_TEXT), sub(c, "vision_config", CLIP_VISION)
    t = bert_like(tc, "model", style="bert", shape=_NO_POOLER)
    t.merge(clip_vision(vc))
    return _contrastive(t, tc.int("hidden_size"), vc.int("hidden_size"), c.int("projection_dim", default=512))


def altclip(c: Cfg, head: str) -> Tally:
    """XLM-R text tower (no pooler) + transformation Linear + pre_LN LayerNorm, CLIP vision tower."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for altclip")
    tc, vc = sub(c, "text_config", _XLMR_TEXT), sub(c, "vision_config", CLIP_VISION)
    t = bert_like(tc, "model", style="roberta", shape=_NO_POOLER)
    th, pd = tc.int("hidden_size"), tc.int("project_dim")
    t.add("other", linear(th, pd) + 2 * th)
    t.merge(clip_vision(vc))
    return _contrastive(t, pd, vc.int("hidden_size"), c.int("projection_dim", default=768))


register("chinese_clip", chinese_clip, "ChineseCLIP")
register("altclip", altclip, "AltCLIP")
register("owlvit", lambda c, h: clip_like(c, h, text=_OWL_TEXT, vision=_OWL_VISION), "OwlViT", name="owlvit")
register(
    "owlv2",
    lambda c, h: clip_like(c, h, text=_OWL_TEXT, vision={**_OWL_VISION, "patch_size": 16}),
    "Owlv2",
    name="owlv2",
)
register(
    "clipseg", lambda c, h: clip_like(c, h, text=CLIP_TEXT, vision=CLIP_VISION), "CLIPSeg", name="clipseg"
)


_VTDE_VISION = {
    "vit": "vit",
    "clip_vision_model": None,
}  # vision model_type -> family (None: CLIP vision tower)


def vision_text_dual_encoder(c: Cfg, head: str) -> Tally:
    """Any text model (AutoModel, so with its pooler) + a ViT or CLIP vision tower, projected and scaled."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for vision-text-dual-encoder")
    traw, vraw = c.data.get("text_config"), c.data.get("vision_config")
    if not isinstance(traw, dict) or not isinstance(vraw, dict):
        raise NotExact(
            "vision-text-dual-encoder without explicit text_config and vision_config is not modelled"
        )
    vmt, tmt = vraw.get("model_type", "vit"), traw.get("model_type", "bert")
    if vmt not in _VTDE_VISION:
        raise NotExact(f"vision tower model_type {vmt!r} is not modelled for vision-text-dual-encoder")
    if tmt not in FAMILIES or (tmt != "bert" and traw.get("hidden_size") is None):
        raise NotExact(f"text tower model_type {tmt!r} is not modelled for vision-text-dual-encoder")
    tc, vc = Cfg(traw, "config.text_config"), Cfg(vraw, "config.vision_config")
    t = FAMILIES[tmt].formula(tc, "model")
    if vmt == "vit":
        t.merge(FAMILIES["vit"].formula(vc, "model"))
    else:
        t.merge(clip_vision(sub(c, "vision_config", CLIP_VISION)))
    th, vh = tc.int("hidden_size", default=768), vc.int("hidden_size", default=768)
    return _contrastive(t, th, vh, c.int("projection_dim", default=512))


register("vision-text-dual-encoder", vision_text_dual_encoder, "VisionTextDualEncoder")


_XCLIP_VISION = {
    **CLIP_VISION,
    "num_attention_heads": 12,
    "mit_hidden_size": 512,
    "mit_intermediate_size": 2048,
    "mit_num_hidden_layers": 1,
    "num_frames": 8,
}


def _clip_layers(L: int, h: int, inter: int) -> int:
    """L pre-LN CLIP encoder layers (biased q/k/v/o, two LayerNorms, two-Linear MLP)."""
    return L * (4 * linear(h, h) + 4 * h + linear(h, inter) + linear(inter, h))


def xclip(c: Cfg, head: str) -> Tally:
    """X-CLIP: CLIP text tower; CLIP vision tower whose layers add a message token (Linear, LayerNorm, attention);
    the multiframe integration transformer (frame positions + CLIP layers) and the video-specific prompt generator
    (bias-free q/k/v cross-attention at the projection width, 4x MLP, LayerNorms, alpha)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for xclip")
    tc, vc = sub(c, "text_config", CLIP_TEXT), sub(c, "vision_config", _XCLIP_VISION)
    t = clip_text(tc)
    t.merge(clip_vision(vc))
    vh, vL, proj = vc.int("hidden_size"), vc.int("num_hidden_layers"), c.int("projection_dim", default=512)
    t.add("attention", vL * (linear(vh, vh) + 2 * vh + 4 * linear(vh, vh)))  # message_fc, _ln, _attn
    mh = vc.int("mit_hidden_size")
    mit = vc.int("num_frames") * mh + _clip_layers(
        vc.int("mit_num_hidden_layers"), mh, vc.int("mit_intermediate_size")
    )
    t.add("other", mit)
    prompt_layer = (
        3 * proj * proj + linear(proj, proj) + 4 * proj + linear(proj, 4 * proj) + linear(4 * proj, proj)
    )
    t.add("other", 2 * proj + c.int("prompt_layers", default=2) * prompt_layer + proj)
    t.add("other", 2 * vh + vh * proj)  # prompts_visual_layernorm, prompts_visual_projection
    return _contrastive(t, tc.int("hidden_size"), vh, proj)


register("xclip", xclip, "XCLIP")


def blip2_qformer(c: Cfg, head: str) -> Tally:
    """The standalone BLIP-2 Q-Former (Blip2QFormerModel): LayerNorm + BERT layers cross-attending to features of
    width ``encoder_hidden_size`` (the same body as inside BLIP-2)."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for blip_2_qformer")
    t = Tally()
    t.has_kv = False
    t.add("other", _qformer(c, c.int("encoder_hidden_size", default=1408), instruct=False))
    return t


register("blip_2_qformer", blip2_qformer, "Blip2QFormer")


_FLAVA_TEXT = {
    "vocab_size": 30522,
    "type_vocab_size": 2,
    "max_position_embeddings": 512,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
}
_FLAVA_IMAGE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "intermediate_size": 3072,
    "image_size": 224,
    "patch_size": 16,
    "num_channels": 3,
    "mask_token": True,
}
_FLAVA_MM = {"hidden_size": 768, "num_hidden_layers": 6, "intermediate_size": 3072, "use_cls_token": True}


def _flava_encoder(s: Cfg) -> int:
    """Pre-LN ViT layers (q/k/v with qkv_bias, output, two-Linear MLP, two LayerNorms), final LayerNorm, pooler."""
    h, L, inter = s.int("hidden_size"), s.int("num_hidden_layers"), s.int("intermediate_size")
    layer = (
        3 * linear(h, h, s.bool("qkv_bias", default=True))
        + linear(h, h)
        + linear(h, inter)
        + linear(inter, h)
    )
    return L * (layer + 4 * h) + 2 * h + linear(h, h)


def flava(c: Cfg, head: str) -> Tally:
    """FlavaModel: BERT-embedded text, ViT image (class and optional mask token) and multimodal encoders, each with
    pooler; biased contrastive projections, logit scale and the two projections into the multimodal width."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for flava")
    tc, ic = sub(c, "text_config", _FLAVA_TEXT), sub(c, "image_config", _FLAVA_IMAGE)
    mc = sub(c, "multimodal_config", _FLAVA_MM)
    th, ih, mh = tc.int("hidden_size"), ic.int("hidden_size"), mc.int("hidden_size")
    image, patch = positive("image_size", ic.int("image_size")), positive("patch_size", ic.int("patch_size"))
    t = Tally()
    t.has_kv = False
    t.embed(tc.int("vocab_size") * th)
    t.add("embeddings", (tc.int("max_position_embeddings") + tc.int("type_vocab_size")) * th + 2 * th)
    t.add("other", _flava_encoder(tc))
    tokens = 2 if ic.bool("mask_token") else 1  # class token (+ mask token)
    n = (image // patch) ** 2 + 1
    t.add("embeddings", tokens * ih + linear(ic.int("num_channels") * patch * patch, ih) + n * ih)
    t.add("vision", _flava_encoder(ic))
    t.add("other", (mh if mc.bool("use_cls_token") else 0) + _flava_encoder(mc))
    proj = c.int("projection_dim", default=768)
    t.add("heads", linear(ih, proj) + linear(th, proj) + 1 + linear(ih, mh) + linear(th, mh))
    return t


register("flava", flava, "Flava")


_BT_TEXT = {
    "vocab_size": 50265,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
}
_BT_VISION = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_channels": 3,
    "patch_size": 16,
    "image_size": 288,
}


def _bridgetower_vision(v: Cfg) -> int:
    """CLIP-style ViT with torch MultiheadAttention blocks (4x MLP), ln_pre/ln_post and per-layer LayerNorms unless
    share_layernorm; remove_last_layer drops one block."""
    h, L = v.int("hidden_size"), v.int("num_hidden_layers")
    image, patch = positive("image_size", v.int("image_size")), positive("patch_size", v.int("patch_size"))
    n = h + v.int("num_channels") * patch * patch * h + ((image // patch) ** 2 + 1) * h + 2 * h
    blocks = L - 1 if v.bool("remove_last_layer", default=False) else L
    n += blocks * (linear(h, 3 * h) + linear(h, h) + 4 * h + linear(h, 4 * h) + linear(4 * h, h))
    return n + 2 * h + (0 if v.bool("share_layernorm", default=True) else L * 2 * h)


def bridgetower(c: Cfg, head: str) -> Tally:
    """BridgeTowerModel: RoBERTa text model (with pooler), CLIP-style vision tower, per-layer (or shared) transforms
    into the cross-modal width, two stacks of BERT cross layers, link towers, poolers and LayerNorms."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for bridgetower")
    tc, vc = sub(c, "text_config", _BT_TEXT), sub(c, "vision_config", _BT_VISION)
    if tc.bool("add_cross_attention", default=False) or tc.bool("is_decoder", default=False):
        raise NotExact("bridgetower text model as a decoder is not modelled")
    h, L, th, vh = (
        c.int("hidden_size", default=768),
        c.int("num_hidden_layers", default=6),
        tc.int("hidden_size"),
        vc.int("hidden_size"),
    )
    if h != th:
        raise NotExact("bridgetower with hidden_size differing from text_config.hidden_size is not modelled")
    link = c.str("link_tower_type", default="add")
    if link not in ("add", "scaled_add", "interpolate"):
        raise ConfigProblem(f"bridgetower link_tower_type {link!r} is not one transformers implements")
    t = bert_like(tc, "model", style="roberta")
    t.add("vision", _bridgetower_vision(vc))
    n_transform = 1 if c.bool("share_cross_modal_transformer_layers", default=True) else L
    t.add("other", n_transform * (linear(th, h) + linear(vh, h)) + 2 * h)
    ti = tc.int("intermediate_size")
    cross_layer = 2 * (4 * linear(th, th) + 2 * th) + linear(th, ti) + linear(ti, th) + 2 * th
    t.add("other", 2 * L * cross_layer + 2 * linear(h, h) + 2 * 2 * h)
    n_link = 1 if c.bool("share_link_tower_layers", default=False) else L - 1
    t.add("other", 2 * n_link * (2 * h + (0 if link == "add" else 1)))
    return t


register("bridgetower", bridgetower, "BridgeTower")


_GROUPVIT_TEXT = {**CLIP_TEXT, "hidden_size": 256, "intermediate_size": 1024}
_GROUPVIT_VISION = {
    "hidden_size": 384,
    "intermediate_size": 1536,
    "depths": [6, 3, 3],
    "num_group_tokens": [64, 8, 0],
    "num_output_groups": [64, 8, 8],
    "image_size": 224,
    "patch_size": 16,
    "num_channels": 3,
    "assign_mlp_ratio": [0.5, 4],
}


def _groupvit_stage(h: int, inter: int, depth: int, prev: int, groups: int, out: int, ratios: list) -> int:
    """One grouping stage: group tokens, CLIP layers, token assignment (mixer MLPs, cross-attention layer, assign
    attention, channel MLP, LayerNorms) and, after a grouping stage, the group projector."""
    n = depth * (4 * linear(h, h) + 4 * h + linear(h, inter) + linear(inter, h))
    if groups > 0:
        td, cd = (int(r * h) for r in ratios)
        cross = 4 * linear(h, h) + 2 * h + linear(h, inter) + linear(inter, h) + 2 * h
        n += groups * h + 2 * h + linear(groups, td) + linear(td, out) + 2 * h + 2 * h + cross
        n += 4 * linear(h, h) + 2 * h + linear(h, cd) + linear(cd, h)
        if prev > 0:
            n += 2 * h + linear(prev, h // 2) + linear(h // 2, groups)
    return n


def groupvit(c: Cfg, head: str) -> Tally:
    """GroupViTModel: CLIP text tower; patch embeddings + LayerNorm and grouping stages; two-Linear projections
    with a BatchNorm between them, and the logit scale."""
    if head != "model":
        raise NotExact(f"output head '{head}' is not modelled for groupvit")
    tc, vc = sub(c, "text_config", _GROUPVIT_TEXT), sub(c, "vision_config", _GROUPVIT_VISION)
    h, inter = vc.int("hidden_size"), vc.int("intermediate_size")
    depths, groups, outs = vc.ints("depths"), vc.ints("num_group_tokens"), vc.ints("num_output_groups")
    ratios = vc.raw("assign_mlp_ratio")
    ratios = ratios if isinstance(ratios, list) and len(ratios) == 2 else [ratios, ratios]
    if not all(isinstance(r, (int, float)) and not isinstance(r, bool) for r in ratios):
        raise ConfigProblem("groupvit assign_mlp_ratio must be a number or a pair of numbers")
    if not (len(depths) == len(groups) == len(outs)):
        raise ConfigProblem("groupvit depths, num_group_tokens and num_output_groups differ in length")
    image, patch = positive("image_size", vc.int("image_size")), positive("patch_size", vc.int("patch_size"))
    t = clip_text(tc)
    v = linear(vc.int("num_channels") * patch * patch, h) + (image // patch) ** 2 * h + 2 * h
    for i, depth in enumerate(depths):
        v += _groupvit_stage(h, inter, depth, outs[i - 1] if i else 0, groups[i], outs[i], ratios)
    t.add("vision", v + 2 * h)
    pi, proj = c.int("projection_intermediate_dim", default=4096), c.int("projection_dim", default=256)
    th = tc.int("hidden_size")
    t.add("heads", linear(h, pi) + 2 * pi + linear(pi, proj) + linear(th, pi) + 2 * pi + linear(pi, proj) + 1)
    return t


register("groupvit", groupvit, "GroupViT")
