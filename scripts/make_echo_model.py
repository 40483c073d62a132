"""Write a tiny Llama-style model directory that MAX Serve's echo mode can load offline.

MAX Serve with MAX_SERVE_DUMMY_MODEL=1 never runs the weights, but it still reads the model's
config.json and tokenizer (see ../shared/notes/MAX_SERVE.md). We train a small word-level
tokenizer here, so nothing is downloaded from a model hub.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

# A chat template in the Llama 3 style, so /v1/chat/completions can render messages.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n"
    "{{ message['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
SPECIAL = ["<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
           "<|end_header_id|>", "<|eot_id|>"]
CORPUS = [
    "write a python function that sorts a list and returns the result",
    "if a train leaves at noon and travels 60 miles per hour how far does it go",
    "tell me about the history of the roman empire and its emperors",
    "user assistant system hello world the a an of to in is it that for on with as",
    "0 1 2 3 4 5 6 7 8 9 + - * / = ( ) [ ] { } < > : ; , . ? ! ' \" # _",
]


def build_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=SPECIAL, min_frequency=1)
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return tokenizer


def write_safetensors(path: Path, name: str, rows: int, cols: int) -> None:
    """One zero float32 tensor: echo mode never reads it, but MAX picks the encoding from it."""
    data = bytes(rows * cols * 4)
    header = {name: {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, len(data)]}}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format wants the data 8-byte aligned
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def write_model(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    tokenizer.save(str(out / "tokenizer.json"))
    vocab = tokenizer.get_vocab_size()
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "num_hidden_layers": 2,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "vocab_size": vocab,
        "bos_token_id": 1,
        "eos_token_id": 5,
        "torch_dtype": "float32",
        "tie_word_embeddings": False,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    write_safetensors(out / "model.safetensors", "model.embed_tokens.weight", vocab, 64)
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "unk_token": "<unk>",
        "model_max_length": 4096,
        "chat_template": CHAT_TEMPLATE,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2))
    (out / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 1, "eos_token_id": 5}, indent=2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="directory to write")
    args = parser.parse_args(argv)
    write_model(args.out)
    print(f"echo model written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
