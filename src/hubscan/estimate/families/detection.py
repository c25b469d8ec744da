"""DETR-style object detectors: RT-DETR (v1, v2), D-FINE and DEIMv2 (a CNN backbone, the hybrid encoder of AIFI
attention + FPN/PAN conv blocks, a deformable-attention decoder), LW-DETR / RF-DETR (a windowed ViT backbone,
a C2f projector, a two-stage deformable decoder) and Grounding DINO / MM-Grounding-DINO (Swin + BERT, text-image
fusion encoder, deformable decoder).

Each formula follows the module tree transformers 5 builds. Backbone BatchNorms replaced by frozen BatchNorms
(``freeze_backbone_batch_norms``) hold buffers, not parameters. Heads not claimed in a registration raise NotExact.
"""

from __future__ import annotations

from collections.abc import Callable

from hubscan.estimate.families.common import Cfg, ConfigProblem, NotExact, Tally, linear, positive
from hubscan.estimate.families.encoders import BertShape, bert_like
from hubscan.estimate.families.hierarchical import _backbone_channels, swin
from hubscan.estimate.families.registry import Formula
from hubscan.estimate.families.vision_cnn import HGNET_V2, hgnet_v2
from hubscan.estimate.families.vision_more import DINOV3_VIT, dinov3_vit, register_own, with_defaults

OBJ_DET = "obj_det"
INST_SEG = "inst_seg"


def conv_bn(cin: int, cout: int, k: int, *, groups: int = 1, bn: bool = True) -> int:
    """A bias-free k x k conv and (unless frozen) a BatchNorm of cout channels."""
    if groups <= 0 or cin % groups:
        raise ConfigProblem(f"{cin} input channels are not divisible into {groups} groups")
    return cin // groups * cout * k * k + (2 * cout if bn else 0)


def mlp_head(i: int, hidden: int, o: int, layers: int) -> int:
    """``...MLPPredictionHead``: ``layers`` biased linears i -> hidden -> ... -> o."""
    dims = [i] + [hidden] * (layers - 1) + [o]
    return sum(linear(a, b) for a, b in zip(dims, dims[1:], strict=False))


def detector_tally() -> Tally:
    t = Tally()
    t.has_kv = False  # no autoregressive cache
    return t


def with_head(t: Tally, head: str, family: str, **heads: Callable[[], int]) -> Tally:
    """Add the parameters of a claimed output head (``heads``: head kind -> count); any other head but the base
    model is NotExact."""
    if head in heads:
        t.add("heads", heads[head]())
    elif head != "model":
        raise NotExact(f"output head '{head}' is not modelled for {family}")
    if any(v < 0 for v in t.parts.values()):
        raise ConfigProblem(f"the {family} config gives a module a negative size")
    return t


def _widths(c: Cfg, key: str) -> list[int]:
    """A non-empty list of positive channel counts."""
    v = c.ints(key)
    if not v or min(v) <= 0:
        raise ConfigProblem(f"{key} must be a non-empty list of positive channel counts")
    return v


def _ratio(c: Cfg, key: str) -> float:
    v = c.num(key)
    if v <= 0:
        raise ConfigProblem(f"{key} must be positive, got {v}")
    return v


def _stage_names(n: int) -> list[str]:
    return ["stem"] + [f"stage{i}" for i in range(1, n + 1)]


def _backbone_cfg(c: Cfg, default_type: str, default: dict | None = None) -> Cfg:
    """The backbone sub-config as the model sees it. Absent, the detector builds ``default`` (a backbone of
    ``default_type`` with out_indices [2, 3, 4] unless given); keys a present one omits take the backbone
    config class's defaults (applied by the backbone formula)."""
    if c.bool("use_timm_backbone", default=False) or (c.raw("backbone") and not c.has("backbone_config")):
        raise NotExact("a timm / named backbone is loaded by name; its size is not in the config")
    return c.sub("backbone_config", default=default or {"model_type": default_type, "out_indices": [2, 3, 4]})


# ----------------------------------------------------------------------------- CNN backbones

RT_RESNET = {"num_channels": 3, "embedding_size": 64, "hidden_sizes": [256, 512, 1024, 2048]}
RT_RESNET.update(depths=[3, 4, 6, 3], layer_type="bottleneck", downsample_in_first_stage=False)


def _rt_resnet_layer(kind: str, cin: int, cout: int, stride: int, first: bool, bn: bool) -> int:
    """RTDetrResNetBottleNeckLayer / BasicLayer (ResNet-D: an avg-pool before a 1x1 shortcut conv when strided)."""
    if kind == "bottleneck":
        r = cout // 4
        n = conv_bn(cin, r, 1, bn=bn) + conv_bn(r, r, 3, bn=bn) + conv_bn(r, cout, 1, bn=bn)
        shortcut = cin != cout or stride != 1
    else:
        n = conv_bn(cin, cout, 3, bn=bn) + conv_bn(cout, cout, 3, bn=bn)
        shortcut = first  # the first basic layer of a stage always projects
    return n + (conv_bn(cin, cout, 1, bn=bn) if shortcut else 0)


def rt_detr_resnet(b: Cfg, bn: bool = True) -> tuple[int, list[int]]:
    """RTDetrResNetBackbone: a three-conv 3x3 stem and ResNet stages; (parameters, output channels)."""
    b = with_defaults(b, RT_RESNET)
    C, E = b.int("num_channels"), b.int("embedding_size")
    hs, depths = b.ints("hidden_sizes"), b.ints("depths")
    kind = b.str("layer_type")
    if kind not in ("basic", "bottleneck") or not hs or not depths:
        raise ConfigProblem(
            "rt_detr_resnet needs layer_type basic/bottleneck and non-empty hidden_sizes/depths"
        )
    n = conv_bn(C, E // 2, 3, bn=bn) + conv_bn(E // 2, E // 2, 3, bn=bn) + conv_bn(E // 2, E, 3, bn=bn)
    stages = [(E, hs[0], 2 if b.bool("downsample_in_first_stage") else 1, depths[0])]
    stages += [(a, o, 2, d) for (a, o), d in zip(zip(hs, hs[1:], strict=False), depths[1:], strict=False)]
    for cin, cout, stride, depth in stages:
        n += _rt_resnet_layer(kind, cin, cout, stride, True, bn)
        n += max(depth - 1, 0) * _rt_resnet_layer(kind, cout, cout, 1, False, bn)
    return n, _backbone_channels(b, _stage_names(len(depths)), [E, *hs])


def _hgnet_bn_params(b: Cfg) -> int:
    """BatchNorm weights + biases of an HGNetV2 backbone (one BatchNorm per conv), to drop when they are frozen."""
    s1, s2 = b.ints("stem_channels")[1:3]
    n = s1 + s1 // 2 + s1 + s1 + s2
    keys = ("stage_in_channels", "stage_mid_channels", "stage_out_channels", "stage_num_blocks")
    for cin, mid, out, nb, nl, down, light in zip(
        *(b.ints(k) for k in keys),
        b.ints("stage_numb_of_layers"),
        b.list("stage_downsample"),
        b.list("stage_light_block"),
        strict=False,
    ):
        n += (cin if down else 0) + nb * (nl * mid * (2 if light else 1) + out // 2 + out)
    return 2 * n


HGNET_BACKBONE = dict(HGNET_V2, embedding_size=64, hidden_sizes=[256, 512, 1024, 2048], depths=[3, 4, 6, 3])


def hgnet_backbone(b: Cfg, bn: bool = True) -> tuple[int, list[int]]:
    """HGNetV2Backbone (vision_cnn's formula), minus its BatchNorm affines when they are frozen."""
    b = with_defaults(b, HGNET_BACKBONE)
    n = hgnet_v2(b, "backbone").total - (0 if bn else _hgnet_bn_params(b))
    E, hs = b.int("embedding_size"), b.ints("hidden_sizes")
    return n, _backbone_channels(b, _stage_names(len(b.ints("depths"))), [E, *hs])


CNN_BACKBONES = {"rt_detr_resnet": rt_detr_resnet, "hgnet_v2": hgnet_backbone}


def cnn_backbone(c: Cfg, default_type: str) -> tuple[int, list[int]]:
    b = _backbone_cfg(c, default_type)
    mt = b.str("model_type", default=default_type)
    if mt not in CNN_BACKBONES:
        raise NotExact(f"backbone_config model_type {mt!r} is not modelled for this detector")
    return CNN_BACKBONES[mt](b, not c.bool("freeze_backbone_batch_norms", default=True))


# ----------------------------------------------------------------------------- RT-DETR hybrid encoder

RT_DETR = {"encoder_hidden_dim": 256, "encoder_in_channels": [512, 1024, 2048], "encoder_layers": 1}
RT_DETR.update(encoder_ffn_dim=1024, encode_proj_layers=[2], hidden_expansion=1.0, d_model=256)
RT_DETR.update(
    num_queries=300, decoder_in_channels=[256, 256, 256], decoder_ffn_dim=1024, num_feature_levels=3
)
RT_DETR.update(decoder_n_points=4, decoder_layers=6, decoder_attention_heads=8, num_denoising=100)
RT_DETR.update(learn_initial_query=False, freeze_backbone_batch_norms=True, decoder_n_levels=3)
D_FINE = dict(RT_DETR, eval_idx=-1, layer_scale=1.0, max_num_bins=32, depth_mult=1.0, top_prob_values=4)
D_FINE.update(lqe_hidden_dim=64, lqe_layers=2)


def csp_rep(cin: int, cout: int, blocks: int, expansion: float = 1.0) -> int:
    """CSPRepLayer: two 1x1 conv-BN branches, ``blocks`` RepVGG blocks (3x3 + 1x1 conv-BN), a 1x1 conv to cout if
    the hidden width differs."""
    hid = int(cout * expansion)
    n = 2 * conv_bn(cin, hid, 1) + blocks * (conv_bn(hid, hid, 3) + conv_bn(hid, hid, 1))
    return n + (conv_bn(hid, cout, 1) if hid != cout else 0)


def attn_layer(h: int, ffn: int) -> int:
    """A post-norm transformer layer: biased q/k/v/o, two LayerNorms, a biased two-layer MLP."""
    return 4 * linear(h, h) + 4 * h + linear(h, ffn) + linear(ffn, h)


def aifi(c: Cfg) -> int:
    ehd = c.int("encoder_hidden_dim")
    per = c.int("encoder_layers") * attn_layer(ehd, c.int("encoder_ffn_dim"))
    return len(c.list("encode_proj_layers")) * per


def rt_hybrid_encoder(c: Cfg) -> int:
    """RTDetrHybridEncoder: AIFI, then per FPN/PAN stage a 1x1 lateral (3x3 stride-2 downsample) conv-BN and a
    CSPRepLayer of three RepVGG blocks."""
    ehd = c.int("encoder_hidden_dim")
    stages = len(_widths(c, "encoder_in_channels")) - 1
    csp = csp_rep(2 * ehd, ehd, 3, _ratio(c, "hidden_expansion"))
    return aifi(c) + stages * (conv_bn(ehd, ehd, 1) + conv_bn(ehd, ehd, 3) + 2 * csp)


def d_fine_encoder(c: Cfg) -> int:
    """DFineHybridEncoder: AIFI, then per stage a 1x1 lateral conv-BN, an SCDown (1x1 + depthwise 3x3) and two
    RepNCSPELAN4 blocks."""
    ehd = c.int("encoder_hidden_dim")
    stages = len(_widths(c, "encoder_in_channels")) - 1
    nb = round(3 * _ratio(c, "depth_mult"))
    c3, c4 = 2 * ehd, round(_ratio(c, "hidden_expansion") * ehd // 2)
    elan = conv_bn(2 * ehd, c3, 1) + csp_rep(c3 // 2, c4, nb) + 2 * conv_bn(c4, c4, 3) + csp_rep(c4, c4, nb)
    elan += conv_bn(c3 + 2 * c4, ehd, 1)
    scdown = conv_bn(ehd, ehd, 1) + conv_bn(ehd, ehd, 3, groups=ehd)
    return aifi(c) + stages * (conv_bn(ehd, ehd, 1) + scdown + 2 * elan)


# ----------------------------------------------------------------------------- RT-DETR / D-FINE decoder side


def query_heads(c: Cfg, d: int) -> int:
    """Denoising class embedding, learnt queries, and the encoder's output projection, score and box heads."""
    nl = c.num_labels()
    n = linear(d, d) + 2 * d + linear(d, nl) + mlp_head(d, d, 4, 3)
    n += (nl + 1) * d if c.int("num_denoising") > 0 else 0
    return n + (c.int("num_queries") * d if c.bool("learn_initial_query") else 0)


def rt_decoder_input_proj(c: Cfg, d: int) -> int:
    chans = _widths(c, "decoder_in_channels")
    n = sum(conv_bn(ch, d, 1) for ch in chans)
    cin = chans[-1]
    for _ in range(c.int("num_feature_levels") - len(chans)):
        n, cin = n + conv_bn(cin, d, 3), d
    return n


def deformable(d: int, points: int, *, value_out: bool = True) -> int:
    """Multi-scale deformable attention: sampling offsets and weights for ``points`` (heads x levels x points)
    sampling points, plus value and output projections unless D-FINE style."""
    n = linear(d, 2 * points) + linear(d, points)
    return n + (2 * linear(d, d) if value_out else 0)


def rt_detr(c: Cfg, head: str, *, v2: bool = False) -> Tally:
    """RTDetrModel / RTDetrV2Model (+ ForObjectDetection: per decoder layer a class and a box head)."""
    c = with_defaults(c, RT_DETR)
    d, L = c.int("d_model"), c.int("decoder_layers")
    nh = positive("decoder_attention_heads", c.int("decoder_attention_heads"))
    t = detector_tally()
    backbone, chans = cnn_backbone(c, "rt_detr_resnet")
    t.add("vision", backbone)
    t.add("other", sum(conv_bn(ch, c.int("encoder_hidden_dim"), 1) for ch in chans))
    t.add("encoder", rt_hybrid_encoder(c))
    t.add("other", query_heads(c, d) + rt_decoder_input_proj(c, d))
    levels = c.int("decoder_n_levels" if v2 else "num_feature_levels")
    cross = deformable(d, nh * levels * c.int("decoder_n_points"))
    t.add("decoder", L * (attn_layer(d, c.int("decoder_ffn_dim")) + cross + 2 * d) + mlp_head(4, 2 * d, d, 2))
    # v2 keeps a copy of the heads outside the decoder unless tie_word_embeddings
    copies = 2 if v2 and not c.bool("tie_word_embeddings", default=True) else 1
    heads = copies * L * (linear(d, c.num_labels()) + mlp_head(d, d, 4, 3))
    return with_head(t, head, "rt_detr", obj_det=lambda: heads)


def _points(c: Cfg, nh: int) -> int:
    """heads x the sum of the per-level sampling points (``decoder_n_points``: one int, or a list per level)."""
    p = c.raw("decoder_n_points")
    if isinstance(p, list):
        return nh * sum(c.ints("decoder_n_points"))
    return nh * c.int("decoder_n_points") * c.int("num_feature_levels")


def d_fine_decoder(c: Cfg, d: int, *, deim: bool = False) -> int:
    """DFineDecoder: layers (+ the extra layers after eval_idx) with a value-free deformable attention and a gate,
    the query position head, the pre-box head, two fixed scalars and one LQE MLP per layer. DEIMv2 (``deim``):
    RMSNorms, a SwiGLU MLP of width decoder_ffn_dim / 2, an optional gate, a three-layer query position head."""
    L, ffn = c.int("decoder_layers"), c.int("decoder_ffn_dim")
    nh = positive("decoder_attention_heads", c.int("decoder_attention_heads"))
    eval_idx = _eval_idx(c, L)
    layer = 4 * linear(d, d) + deformable(d, _points(c, nh), value_out=False)
    if deim:
        layer += 2 * d + 2 * linear(d, ffn // 2) + linear(ffn // 2, d)
        layer += linear(2 * d, 2 * d) + d if c.bool("use_gateway", default=True) else d
        query_pos = mlp_head(4, d, d, 3)
    else:
        layer += 4 * d + linear(d, ffn) + linear(ffn, d) + linear(2 * d, 2 * d) + 2 * d
        query_pos = mlp_head(4, 2 * d, d, 2)
    n = (L + max(L - eval_idx - 1, 0)) * layer + query_pos + mlp_head(d, d, 4, 3) + 2
    lqe = mlp_head(4 * (c.int("top_prob_values") + 1), c.int("lqe_hidden_dim"), 1, c.int("lqe_layers"))
    return n + L * lqe


def d_fine_input_proj(c: Cfg, d: int) -> int:
    """DFineModel's decoder input projections: identities when the last decoder input width is d_model."""
    chans = _widths(c, "decoder_in_channels")
    if d == chans[-1]:
        return 0
    extra = max(c.int("num_feature_levels") - len(chans), 0)
    return len(chans) * conv_bn(chans[-1], d, 1) + extra * conv_bn(chans[-1], d, 3)


def _eval_idx(c: Cfg, L: int) -> int:
    e = c.raw("eval_idx")
    if isinstance(e, bool) or not isinstance(e, int) or not -L <= e < L:
        raise ConfigProblem(f"eval_idx = {e!r} does not name one of the {L} decoder layers")
    return e if e >= 0 else L + e


def d_fine_heads(c: Cfg, d: int) -> int:
    """DFineForObjectDetection: per layer a class head and a distribution box head (4 x (max_num_bins + 1)
    outputs; layers after eval_idx at layer_scale width), copied into the decoder unless tie_word_embeddings."""
    L = c.int("decoder_layers")
    e = _eval_idx(c, L)
    bins, scaled = 4 * (c.int("max_num_bins") + 1), round(_ratio(c, "layer_scale") * d)
    n = L * linear(d, c.num_labels())
    if c.bool("share_bbox_head", default=False):  # DEIMv2: one box head module in every slot
        n += mlp_head(d, d, bins, 3)
    else:
        n += (e + 1) * mlp_head(d, d, bins, 3) + max(L - e - 1, 0) * mlp_head(scaled, scaled, bins, 3)
    return n * (1 if c.bool("tie_word_embeddings", default=True) else 2)


def d_fine(c: Cfg, head: str) -> Tally:
    """DFineModel: HGNetV2 backbone, D-FINE hybrid encoder and decoder."""
    c = with_defaults(c, D_FINE)
    d = c.int("d_model")
    t = detector_tally()
    backbone, chans = cnn_backbone(c, "hgnet_v2")
    n_in = len(_widths(c, "decoder_in_channels"))
    if len(chans) < n_in:
        raise ConfigProblem("the backbone outputs fewer feature maps than decoder_in_channels lists")
    t.add("vision", backbone)
    t.add("other", sum(conv_bn(ch, c.int("encoder_hidden_dim"), 1) for ch in chans[:n_in]))
    t.add("encoder", d_fine_encoder(c))
    t.add("other", query_heads(c, d) + d_fine_input_proj(c, d))
    t.add("decoder", d_fine_decoder(c, d))
    return with_head(t, head, "d_fine", obj_det=lambda: d_fine_heads(c, d))


# ----------------------------------------------------------------------------- DEIMv2

DEIMV2 = dict(D_FINE, use_gateway=True, share_bbox_head=False, encoder_has_trailing_conv=True)
DEIMV2.update(encoder_type="hybrid", spatial_tuning_adapter_inplanes=16)


def deim_csp(c: Cfg, cin: int, cout: int, blocks: int) -> int:
    """Deimv2CSPRepLayer: one 1x1 conv-BN to two hidden halves, RepVGG blocks, an optional trailing 3x3 conv-BN."""
    n = conv_bn(cin, 2 * cout, 1) + blocks * (conv_bn(cout, cout, 3) + conv_bn(cout, cout, 1))
    return n + (conv_bn(cout, cout, 3) if c.bool("encoder_has_trailing_conv") else 0)


def deim_encoder(c: Cfg) -> int:
    """Deimv2HybridEncoder (AIFI, lateral convs, SCDown, RepNCSPELAN5 blocks) or Deimv2LiteEncoder (input
    projections, two pooled 1x1 downsamplers, a fusion conv, one FPN and one PAN block)."""
    ehd = c.int("encoder_hidden_dim")
    nb = round(3 * _ratio(c, "depth_mult"))
    c4 = round(_ratio(c, "hidden_expansion") * ehd // 2)
    elan = conv_bn(ehd, 2 * ehd, 1) + deim_csp(c, ehd, c4, nb) + deim_csp(c, c4, c4, nb)
    elan += conv_bn(2 * ehd + 2 * c4, ehd, 1)
    if c.str("encoder_type") == "lite":
        proj = sum(conv_bn(ch, ehd, 1) for ch in _widths(c, "encoder_in_channels"))
        return proj + 3 * conv_bn(ehd, ehd, 1) + 2 * elan
    stages = len(_widths(c, "encoder_in_channels")) - 1
    scdown = conv_bn(ehd, ehd, 1) + conv_bn(ehd, ehd, 3, groups=ehd)
    return aifi(c) + stages * (conv_bn(ehd, ehd, 1) + scdown + 2 * elan)


def deim_conv_encoder(c: Cfg) -> int:
    """Deimv2ConvEncoder (a CNN backbone + 1x1 conv-BN input projections, none for the lite encoder) or, for a
    DINOv3 ViT backbone, the ViT, the spatial tuning adapter (four strided 3x3 conv-BNs) and three fusion convs."""
    ehd = c.int("encoder_hidden_dim")
    b = _backbone_cfg(c, "hgnet_v2")
    if b.str("model_type", default="hgnet_v2") != "dinov3_vit":
        n, chans = cnn_backbone(c, "hgnet_v2")
        return n + (0 if c.str("encoder_type") == "lite" else sum(conv_bn(ch, ehd, 1) for ch in chans))
    p = c.int("spatial_tuning_adapter_inplanes")
    E = with_defaults(b, DINOV3_VIT).int("hidden_size")
    sta = conv_bn(3, p, 3) + conv_bn(p, 2 * p, 3) + conv_bn(2 * p, 4 * p, 3) + conv_bn(4 * p, 4 * p, 3)
    fusion = conv_bn(E + 2 * p, ehd, 1) + 2 * conv_bn(E + 4 * p, ehd, 1)
    return dinov3_vit(b, "backbone").total + sta + fusion


def deimv2(c: Cfg, head: str) -> Tally:
    """Deimv2Model: the conv encoder, hybrid or lite encoder, D-FINE style decoder with DEIMv2 layers."""
    c = with_defaults(c, DEIMV2)
    d = c.int("d_model")
    t = detector_tally()
    t.add("vision", deim_conv_encoder(c))
    t.add("encoder", deim_encoder(c))
    t.add("other", query_heads(c, d) + d_fine_input_proj(c, d))
    t.add("decoder", d_fine_decoder(c, d, deim=True))
    return with_head(t, head, "deimv2", obj_det=lambda: d_fine_heads(c, d))


# ----------------------------------------------------------------------------- Grounding DINO

GROUNDING_DINO = {
    "num_queries": 900,
    "encoder_layers": 6,
    "encoder_ffn_dim": 2048,
    "encoder_attention_heads": 8,
}
GROUNDING_DINO.update(decoder_layers=6, decoder_ffn_dim=2048, decoder_attention_heads=8, d_model=256)
GROUNDING_DINO.update(num_feature_levels=4, encoder_n_points=4, decoder_n_points=4, two_stage=True)
GROUNDING_DINO.update(embedding_init_target=True, query_dim=4, decoder_bbox_embed_share=True)
GROUNDING_DINO.update(decoder_cls_embed_share=True)
_TEXT_NO_POOLER = BertShape(pooler="never")


def _swin_and_text(c: Cfg, d: int) -> tuple[int, int, list[int]]:
    """The Swin backbone (frozen BatchNorms: none) and the BERT text backbone without pooler, with the width of
    the text projection: (vision, text + projection, backbone channels)."""
    b = _backbone_cfg(c, "swin")
    if b.str("model_type", default="swin") != "swin":
        raise NotExact("only a Swin backbone_config is modelled for Grounding DINO")
    names = _stage_names(len(b.ints("depths", default=[2, 2, 6, 2])))
    E = b.int("embed_dim", default=96)
    chans = _backbone_channels(b, names, [E] + [E * 2**i for i in range(len(names) - 1)])
    tc = c.sub("text_config", default={"model_type": "bert"})
    if tc.str("model_type", default="bert") != "bert":
        raise NotExact("only a BERT text_config is modelled for Grounding DINO")
    text = bert_like(tc, "model", style="bert", shape=_TEXT_NO_POOLER).total
    return swin(b, "backbone").total, text + linear(tc.int("hidden_size", default=768), d), chans


def grounding_encoder_layer(c: Cfg, d: int) -> int:
    """Text enhancer (half the heads, half-width MLP), bi-directional image-text fusion (ffn / 2 wide, two layer
    scales) and a deformable image layer."""
    ffn, nh = c.int("encoder_ffn_dim"), c.int("encoder_attention_heads")
    levels, e = c.int("num_feature_levels"), ffn // 2
    text = 4 * linear(d, d) + linear(d, e) + linear(e, d) + 4 * d
    fusion = 4 * d + 4 * linear(d, e) + 2 * linear(e, d) + 2 * d
    image = deformable(d, nh * levels * c.int("encoder_n_points")) + 4 * d + linear(d, ffn) + linear(ffn, d)
    return text + fusion + image


def grounding_decoder(c: Cfg, d: int) -> int:
    """Decoder layers (self-attention, text cross-attention, deformable image cross-attention, MLP, four
    LayerNorms), the final LayerNorm and the reference-point MLP."""
    nh, levels = c.int("decoder_attention_heads"), c.int("num_feature_levels")
    layer = attn_layer(d, c.int("decoder_ffn_dim")) + 4 * linear(d, d) + 4 * d
    layer += deformable(d, nh * levels * c.int("decoder_n_points"))
    return c.int("decoder_layers") * layer + 2 * d + mlp_head(c.int("query_dim") // 2 * d, d, d, 2)


def grounding_dino(c: Cfg, head: str, *, mm: bool = False) -> Tally:
    """GroundingDinoModel / MMGroundingDinoModel (+ ForObjectDetection: per-layer box heads shared by the decoder
    unless decoder_bbox_embed_share is off; MM's contrastive class heads each hold one bias)."""
    c = with_defaults(c, GROUNDING_DINO)
    d, levels = c.int("d_model"), c.int("num_feature_levels")
    t = detector_tally()
    vision, text, chans = _swin_and_text(c, d)
    t.add("vision", vision)
    t.add("text", text)
    if levels > 1 or mm:
        proj = sum(linear(ch, d) + 2 * d for ch in chans)
        cin = chans[-1]
        for _ in range(levels - len(chans)):
            proj, cin = proj + linear(9 * cin, d) + 2 * d, d
    else:
        proj = linear(chans[-1], d) + 2 * d
    t.add("other", proj + levels * d)
    two_stage = c.bool("two_stage")
    if c.bool("embedding_init_target") or not two_stage:
        t.add("other", c.int("num_queries") * d)
    if two_stage or mm:
        t.add("other", linear(d, d) + 2 * d + mlp_head(d, d, 4, 3) + (1 if mm else 0))
    else:
        t.add("other", c.int("num_queries") * 4)
    t.add("encoder", c.int("encoder_layers") * grounding_encoder_layer(c, d))
    t.add("decoder", grounding_decoder(c, d))
    # a shared head is one module tied across the layers and into the decoder
    L = c.int("decoder_layers")
    heads = (1 if c.bool("decoder_bbox_embed_share") else L) * mlp_head(d, d, 4, 3)
    heads += (1 if c.bool("decoder_cls_embed_share") else L) if mm else 0
    return with_head(t, head, "grounding-dino", obj_det=lambda: heads)


# ----------------------------------------------------------------------------- LW-DETR / RF-DETR

LW_DETR = {"hidden_expansion": 0.5, "c2f_num_blocks": 3, "decoder_ffn_dim": 2048, "decoder_n_points": 4}
LW_DETR.update(decoder_layers=3, decoder_self_attention_heads=8, decoder_cross_attention_heads=16)
LW_DETR.update(num_queries=300, attention_bias=True, group_detr=13, d_model=256, projector_scale_factors=[])
LW_DETR.update(num_feature_levels=0)
RF_DETR = dict(LW_DETR, num_feature_levels=1, intermediate_size=1024)
# the backbone config classes' defaults, and the backbones LW-DETR / RF-DETR build when backbone_config is absent
LW_VIT = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "mlp_ratio": 4}
LW_VIT.update(pretrain_image_size=224, patch_size=16, num_channels=3, qkv_bias=True)
LW_VIT.update(use_absolute_position_embeddings=True)
RF_DINOV2 = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "mlp_ratio": 4}
RF_DINOV2.update(image_size=224, patch_size=14, num_channels=3, qkv_bias=True, use_swiglu_ffn=False)
RF_DINOV2.update(use_mask_token=True)
LW_DEFAULT_BACKBONE = {"model_type": "lw_detr_vit", "hidden_size": 192, "num_hidden_layers": 10}
LW_DEFAULT_BACKBONE.update(out_indices=[2, 4, 5, 9])
RF_DEFAULT_BACKBONE = {"model_type": "rf_detr_dinov2", "hidden_size": 384, "num_attention_heads": 6}
RF_DEFAULT_BACKBONE.update(image_size=518, out_indices=[2, 5, 8, 11])


def _vit_out(b: Cfg, h: int) -> int:
    """How many feature maps a ViT backbone outputs (all of width h)."""
    L = b.int("num_hidden_layers")
    return len(_backbone_channels(b, _stage_names(L), [h] * (L + 1)))


def _patch(b: Cfg, h: int, image_key: str) -> tuple[int, int]:
    """(patch conv parameters, number of patches) of a square-patch ViT embedding."""
    p = positive("patch_size", b.int("patch_size"))
    side = b.int(image_key) // p
    return linear(b.int("num_channels") * p * p, h), side * side


def lw_detr_vit(b: Cfg) -> tuple[int, int, int]:
    """LwDetrViTBackbone: biased patch conv, optional absolute positions (patches + 1), layers of q/k/v/o (k
    without bias), two LayerNorms, two layer scales and an MLP; (parameters, width, feature maps)."""
    b = with_defaults(b, LW_VIT)
    h, L = b.int("hidden_size"), b.int("num_hidden_layers")
    w = positive("num_attention_heads", b.int("num_attention_heads")) * (h // b.int("num_attention_heads"))
    conv, patches = _patch(b, h, "pretrain_image_size")
    n = conv + ((patches + 1) * h if b.bool("use_absolute_position_embeddings") else 0)
    qb, inter = b.bool("qkv_bias"), int(h * b.num("mlp_ratio"))
    layer = (
        2 * linear(h, w, qb)
        + linear(h, w, False)
        + linear(w, h)
        + 6 * h
        + linear(h, inter)
        + linear(inter, h)
    )
    return n + L * layer, h, _vit_out(b, h)


def rf_detr_dinov2(b: Cfg) -> tuple[int, int, int]:
    """RfDetrDinov2Backbone: [CLS] and mask tokens, biased patch conv, positions (patches + 1), DINOv2 layers
    (plain or SwiGLU MLP, two layer scales), a final LayerNorm; (parameters, width, feature maps)."""
    b = with_defaults(b, RF_DINOV2)
    h, L = b.int("hidden_size"), b.int("num_hidden_layers")
    w = positive("num_attention_heads", b.int("num_attention_heads")) * (h // b.int("num_attention_heads"))
    conv, patches = _patch(b, h, "image_size")
    n = h + (h if b.bool("use_mask_token") else 0) + conv + (patches + 1) * h + 2 * h
    inter = int(h * b.num("mlp_ratio"))
    if b.bool("use_swiglu_ffn"):
        inter = (int(inter * 2 / 3) + 7) // 8 * 8
        mlp = 2 * linear(h, inter) + linear(inter, h)
    else:
        mlp = linear(h, inter) + linear(inter, h)
    layer = 3 * linear(h, w, b.bool("qkv_bias")) + linear(w, h) + 6 * h + mlp
    return n + L * layer, h, _vit_out(b, h)


def c2f(c: Cfg, cin: int) -> int:
    """C2FLayer: 1x1 conv-norm to two hidden halves, RepVGG blocks of two 3x3 conv-norms, a 1x1 conv-norm to
    d_model (BatchNorm or channels-first LayerNorm: the same two vectors)."""
    d, nb = c.int("d_model"), c.int("c2f_num_blocks")
    hid = int(d * _ratio(c, "hidden_expansion"))
    return conv_bn(cin, 2 * hid, 1) + nb * 2 * conv_bn(hid, hid, 3) + conv_bn((2 + nb) * hid, d, 1)


def lw_projector(c: Cfg, h: int, outs: int) -> int:
    """LwDetrMultiScaleProjector: per scale factor, per backbone map a sampling layer (x2: transposed conv, after a
    halving 1x1 conv-BN above 512 channels; x0.5: a strided 3x3 conv-BN), then a C2F layer and a LayerNorm."""
    n = 0
    for scale in c.list("projector_scale_factors"):
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ConfigProblem(f"projector_scale_factors holds {scale!r}, not a positive number")
        width = h
        if scale == 2.0:
            sample = (
                conv_bn(h, h // 2, 1) + linear(4 * (h // 2), h // 4) if h > 512 else linear(4 * h, h // 2)
            )
            width = h // 4 if h > 512 else h // 2
        else:
            sample = conv_bn(h, h, 3) if scale == 0.5 else 0
        n += outs * sample + c2f(c, width * outs) + 2 * c.int("d_model")
    return n


def detr_queries_decoder(c: Cfg, d: int) -> int:
    """LW-DETR / RF-DETR: reference points and query features per group, decoder layers (self-attention,
    deformable cross-attention, MLP, three LayerNorms), the final LayerNorm, the reference-point MLP and per
    group the two-stage output projection, norm, box and class heads."""
    g, q, nl = c.int("group_detr"), c.int("num_queries"), c.num_labels()
    sh, ch = (
        positive(k, c.int(k)) for k in ("decoder_self_attention_heads", "decoder_cross_attention_heads")
    )
    w, ab, ffn = sh * (d // sh), c.bool("attention_bias"), c.int("decoder_ffn_dim")
    layer = 3 * linear(d, w, ab) + linear(w, d, ab) + 6 * d + linear(d, ffn) + linear(ffn, d)
    layer += deformable(d, ch * c.int("num_feature_levels") * c.int("decoder_n_points"))
    n = c.int("decoder_layers") * layer + 2 * d + mlp_head(2 * d, d, d, 2)
    return n + q * g * (4 + d) + g * (linear(d, d) + 2 * d + mlp_head(d, d, 4, 3) + linear(d, nl))


def rf_segmentation(c: Cfg, d: int) -> int:
    """RfDetrForInstanceSegmentation's own modules: per decoder layer a LayerNorm, depthwise 3x3 and pointwise
    projection; the spatial and query feature projections, a LayerNorm + MLP block and a scalar bias."""
    inter = c.int("intermediate_size")
    blocks = c.int("decoder_layers") * (2 * d + linear(9, d) + linear(d, d))
    return blocks + 2 * linear(d, d) + 2 * d + linear(d, inter) + linear(inter, d) + 1


def lw_rf_detr(c: Cfg, head: str, *, rf: bool = False) -> Tally:
    """LwDetrModel / RfDetrModel (+ ForObjectDetection: one class and one box head; RF-DETR's instance
    segmentation adds its mask modules)."""
    c = with_defaults(c, RF_DETR if rf else LW_DETR)
    d = c.int("d_model")
    want = "rf_detr_dinov2" if rf else "lw_detr_vit"
    b = _backbone_cfg(c, want, RF_DEFAULT_BACKBONE if rf else LW_DEFAULT_BACKBONE)
    if b.str("model_type", default=want) != want:
        raise NotExact(f"backbone_config model_type other than {want} is not modelled")
    backbone, h, outs = rf_detr_dinov2(b) if rf else lw_detr_vit(b)
    t = detector_tally()
    t.add("vision", backbone)
    t.add("other", c2f(c, h * outs) + 2 * d if rf else lw_projector(c, h, outs))
    t.add("decoder", detr_queries_decoder(c, d))
    det = linear(d, c.num_labels()) + mlp_head(d, d, 4, 3)
    if rf:
        return with_head(
            t, head, "rf_detr", obj_det=lambda: det, inst_seg=lambda: det + rf_segmentation(c, d)
        )
    return with_head(t, head, "lw_detr", obj_det=lambda: det)


# ----------------------------------------------------------------------------- the backbones on their own


def _backbone_alone(count) -> Formula:
    """A detector backbone built by itself (``...Backbone``, BatchNorms trainable): its own count."""

    def formula(c: Cfg, head: str) -> Tally:
        if head != "backbone":
            raise NotExact(f"output head '{head}' is not modelled for this detector backbone")
        t = detector_tally()
        t.add("vision", count(c)[0])
        return t

    return formula


register_own("rt_detr", rt_detr, "RTDetr", classes={"RTDetrForObjectDetection": OBJ_DET})
register_own(
    "rt_detr_v2",
    lambda c, h: rt_detr(c, h, v2=True),
    "RTDetrV2",
    classes={"RTDetrV2ForObjectDetection": OBJ_DET},
)
register_own("d_fine", d_fine, "DFine", classes={"DFineForObjectDetection": OBJ_DET})
register_own("deimv2", deimv2, "Deimv2", classes={"Deimv2ForObjectDetection": OBJ_DET})
register_own("lw_detr", lw_rf_detr, "LwDetr", classes={"LwDetrForObjectDetection": OBJ_DET})
register_own(
    "rf_detr",
    lambda c, h: lw_rf_detr(c, h, rf=True),
    "RfDetr",
    classes={"RfDetrForObjectDetection": OBJ_DET, "RfDetrForInstanceSegmentation": INST_SEG},
)
register_own("rt_detr_resnet", _backbone_alone(rt_detr_resnet), "RTDetrResNet")
register_own("lw_detr_vit", _backbone_alone(lw_detr_vit), "LwDetrViT")
register_own("rf_detr_dinov2", _backbone_alone(rf_detr_dinov2), "RfDetrDinov2")
register_own(
    "grounding-dino", grounding_dino, "GroundingDino", classes={"GroundingDinoForObjectDetection": OBJ_DET}
)
register_own(
    "mm-grounding-dino",
    lambda c, h: grounding_dino(c, h, mm=True),
    "MMGroundingDino",
    classes={"MMGroundingDinoForObjectDetection": OBJ_DET},
)
