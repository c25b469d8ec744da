"""Dense text decoders with a layout of their own: ModernBERT-decoder."""

from __future__ import annotations

from hubscan.estimate._cfg import KVLayer
from hubscan.estimate.families.common import Cfg, ConfigProblem, Tally, claim_heads, linear, tied
from hubscan.estimate.families.registry import register


def modernbert_decoder(c: Cfg, head: str) -> Tally:
    """ModernBERT-decoder: embeddings with a LayerNorm, layers with (except the first) an attention norm, full
    q/k/v/o attention and a GLU MLP (Wi: hidden -> 2 x intermediate), a final norm; the causal-LM and
    classification heads share a dense + norm prediction head."""
    claim_heads(head, "causal_lm", "seq_cls")
    h = c.int("hidden_size")
    L = c.int("num_hidden_layers")
    V = c.int("vocab_size")
    nh = c.int("num_attention_heads")
    if h <= 0 or nh <= 0 or h % nh:
        raise ConfigProblem("hidden_size must be a positive multiple of num_attention_heads")
    inter = c.int("intermediate_size")
    ln = h * (2 if c.bool("norm_bias", default=False) else 1)
    ab = c.bool("attention_bias", default=False)
    mb = c.bool("mlp_bias", default=False)
    t = Tally()
    t.embed(V * h)
    t.add("norms", ln + max(L - 1, 0) * ln + L * ln + ln)  # embedding norm, attention / MLP norms, final norm
    t.add("attention", L * 4 * linear(h, h, ab))
    t.add("mlp", L * (linear(h, 2 * inter, mb) + linear(inter, h, mb)))
    window = c.int("sliding_window", default=None)
    for kind in c.list("layer_types", default=["full_attention"] * L):
        t.kv_layers.append(KVLayer(2 * h, window if kind == "sliding_attention" else None, h))
    if head == "model":
        return t
    cb = c.bool("classifier_bias", default=False)
    t.add("heads", linear(h, h, cb) + ln)  # prediction head: dense + norm
    if head == "causal_lm":
        t.add("heads", (0 if tied(c, True) else V * h) + (V if c.bool("decoder_bias", default=True) else 0))
    else:
        t.add("heads", linear(h, c.num_labels(), cb))
    return t


register("modernbert-decoder", modernbert_decoder, "ModernBertDecoder")
