#!/usr/bin/env bash
# Download the three agent-router models from the Hugging Face Hub (or any server speaking its API).
#
#   scripts/download_model.sh --gpu            # full HF repos (safetensors) for MAX Serve on GPUs
#   scripts/download_model.sh --cpu            # one GGUF Q4_K_M file per model, for CPU hosts
#   scripts/download_model.sh --only llama --dest /srv/models
#
# Files are fetched in parallel (--jobs), files already complete are skipped, partial ones
# (<file>.part) are resumed with an HTTP Range request, and every file is checked against the size
# (and, for LFS files, the sha256) the Hub lists for it. HF_TOKEN is sent when set (Llama 3.1 is
# gated). A summary table ends the run; any failure makes the exit status 1, and running the same
# command again resumes where it stopped.
#
# Environment: HF_TOKEN, HF_ENDPOINT (default https://huggingface.co; tests point it at a local
# server), HF_REVISION (default main). Needs bash >= 4.3, curl and python3 (to read the Hub's JSON).
set -euo pipefail

# name | GPU repo (safetensors) | CPU repo (GGUF) -- names match litellm_config.yaml's model groups.
MODELS=(
  "llama|meta-llama/Llama-3.1-8B-Instruct|bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
  "qwen-coder|Qwen/Qwen2.5-Coder-7B-Instruct|bartowski/Qwen2.5-Coder-7B-Instruct-GGUF"
  "deepseek-r1|deepseek-ai/DeepSeek-R1-Distill-Qwen-7B|bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF"
)
ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}"
ENDPOINT="${ENDPOINT%/}"
REVISION="${HF_REVISION:-main}"
MODE=""
DEST="./models"
JOBS=4
ONLY=""
VERIFY="sha256"
RETRIES=3
PROGRESS_EVERY=5

usage() {
  cat <<'EOF'
usage: scripts/download_model.sh [--gpu | --cpu] [options]
  --gpu             full Hugging Face repos (safetensors + config + tokenizer), for MAX Serve on GPUs
  --cpu             the GGUF Q4_K_M file of each model, for CPU hosts
                    (default: --gpu when nvidia-smi lists a GPU, else --cpu)
  --dest DIR        where to put the files: DIR/<org>/<repo>/... (default ./models)
  --only NAMES      comma-separated subset of: llama, qwen-coder, deepseek-r1
  --jobs N          parallel downloads (default 4)
  --retries N       attempts per file for network errors (default 3)
  --verify MODE     sha256 (default: size, plus sha256 where the Hub lists one) or size
  -h, --help        this help
environment: HF_TOKEN, HF_ENDPOINT (default https://huggingface.co), HF_REVISION (default main)
EOF
}

die() { echo "error: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --gpu) MODE=gpu ;;
    --cpu) MODE=cpu ;;
    --dest) DEST="${2:?--dest needs a directory}"; shift ;;
    --only) ONLY="${2:?--only needs names}"; shift ;;
    --jobs) JOBS="${2:?--jobs needs a number}"; shift ;;
    --retries) RETRIES="${2:?--retries needs a number}"; shift ;;
    --verify) VERIFY="${2:?--verify needs sha256 or size}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer"
[[ "$RETRIES" =~ ^[1-9][0-9]*$ ]] || die "--retries must be a positive integer"
[[ "$VERIFY" == sha256 || "$VERIFY" == size ]] || die "--verify must be sha256 or size"
for tool in curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
if [[ -z "$MODE" ]]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then MODE=gpu; else MODE=cpu; fi
  echo "mode: $MODE (detected; pass --gpu or --cpu to choose)"
fi

WORK="$(mktemp -d)"
TICKER=""
cleanup() {
  if [[ -n "$TICKER" ]]; then kill "$TICKER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The token goes to curl through a file, never on its command line (visible in `ps`).
AUTH_ARGS=()
if [[ -n "${HF_TOKEN:-}" ]]; then
  (umask 077 && printf 'Authorization: Bearer %s\n' "$HF_TOKEN" > "$WORK/auth.header")
  AUTH_ARGS=(-H "@$WORK/auth.header")
fi

human() {  # bytes -> "1.2 GiB"
  python3 -c 'import sys
n = float(sys.argv[1])
for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
    if n < 1024 or unit == "TiB":
        print(f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}")
        break
    n /= 1024' "$1"
}

# --- 1. list the files of each selected repo ---------------------------------------------------
# One task per line: model<TAB>repo<TAB>path<TAB>size<TAB>sha256 ("-" when the Hub lists none: non-LFS
# files carry a git blob id, not a sha256).
list_repo() {
  local name="$1" repo="$2" out="$WORK/tree-$1.json" code
  code=$(curl -sS -L "${AUTH_ARGS[@]}" -o "$out" -w '%{http_code}' --retry 2 --connect-timeout 20 \
    "$ENDPOINT/api/models/$repo/tree/$REVISION?recursive=true") || code="000"
  if [[ "$code" != 200 ]]; then
    # The caller records the last stderr line as this model's FAILED row.
    echo "listing answered HTTP $code$( [[ "$code" == 401 || "$code" == 403 ]] && echo ': set HF_TOKEN / accept the licence')" >&2
    return 1
  fi
  python3 - "$name" "$repo" "$MODE" "$out" <<'PY'
import fnmatch, json, sys
name, repo, mode, path = sys.argv[1:5]
entries = json.load(open(path))
if mode == "cpu":
    wanted = lambda p: fnmatch.fnmatch(p.lower(), "*q4_k_m*.gguf")
else:
    # Weights, config and tokenizer; not the original/ checkpoints, .pth/.bin duplicates or GGUFs.
    keep = ("*.safetensors", "*.json", "tokenizer.model", "*.tiktoken", "*.txt", "*.jinja")
    wanted = lambda p: not p.startswith("original/") and any(fnmatch.fnmatch(p.split("/")[-1], k) for k in keep)
rows = 0
for e in entries:
    if e.get("type") != "file" or not wanted(e["path"]):
        continue
    lfs = e.get("lfs") or {}
    size = lfs.get("size", e.get("size"))
    print(f"{name}\t{repo}\t{e['path']}\t{size}\t{lfs.get('oid') or '-'}")
    rows += 1
if rows == 0:
    sys.exit(f"{repo}: no {mode} files found at this revision")
PY
}

selected=()
for entry in "${MODELS[@]}"; do
  IFS='|' read -r name gpu_repo cpu_repo <<<"$entry"
  if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* ]]; then continue; fi
  selected+=("$name|$([[ $MODE == gpu ]] && echo "$gpu_repo" || echo "$cpu_repo")")
done
[[ ${#selected[@]} -gt 0 ]] || die "--only matched no model (choose from llama, qwen-coder, deepseek-r1)"

: > "$WORK/results.tsv"
: > "$WORK/tasks.tsv"
for item in "${selected[@]}"; do
  IFS='|' read -r name repo <<<"$item"
  if ! list_repo "$name" "$repo" >> "$WORK/tasks.tsv" 2> "$WORK/list-$name.err"; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$repo" "(file list)" "-" "FAILED" \
      "$(tail -n 1 "$WORK/list-$name.err")" >> "$WORK/results.tsv"
  fi
done

total_files=$(wc -l < "$WORK/tasks.tsv")
total_bytes=$(awk -F'\t' '{s += $4} END {printf "%d", s}' "$WORK/tasks.tsv")
echo "$total_files files, $(human "$total_bytes") from $ENDPOINT ($MODE) into $DEST, $JOBS at a time"

# --- 2. download one file ----------------------------------------------------------------------
# Appends one result row: model repo path size status detail.
fetch() {
  local name="$1" repo="$2" path="$3" size="$4" sha="$5"
  local dest="$DEST/$repo/$path" part="$DEST/$repo/$path.part" started=$SECONDS
  local detail="" attempt code have resumed="" errors="$WORK/curl.$BASHPID"
  mkdir -p "$(dirname "$dest")"
  report() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$repo" "$path" "$size" "$1" "$2" >> "$WORK/results.tsv"; }

  if [[ -f "$dest" ]] && [[ $(stat -c %s "$dest") == "$size" ]]; then
    echo "  skip      $repo/$path (complete)"
    report skipped "already complete"
    return 0
  fi
  if [[ -f "$part" ]] && [[ $(stat -c %s "$part") -gt "$size" ]]; then
    rm -f "$part"  # longer than the file can be: not a prefix of it
  fi
  for (( attempt = 1; attempt <= RETRIES; attempt++ )); do
    have=$(stat -c %s "$part" 2>/dev/null || echo 0)
    if [[ "$have" -ge "$size" ]]; then code=206; break; fi
    [[ "$have" -gt 0 ]] && resumed=" (resumed at $(human "$have"))"
    echo "  get       $repo/$path$resumed"
    # -C - sends "Range: bytes=<have>-" and appends; -f turns HTTP errors into a failure.
    code=$(curl -sS -L -f "${AUTH_ARGS[@]}" -C - --connect-timeout 20 --speed-time 60 --speed-limit 1024 \
      -o "$part" -w '%{http_code}' "$ENDPOINT/$repo/resolve/$REVISION/$path" 2> "$errors") \
      && break
    detail="$(tail -n 1 "$errors" 2>/dev/null | sed 's/^curl: //')" || detail=""
    case "$code" in
      401|403) detail="HTTP $code: set HF_TOKEN / accept the model licence on the Hub"; attempt=$RETRIES ;;
      404) detail="HTTP 404: not on the server (repo, revision or file name)"; attempt=$RETRIES ;;
      416) rm -f "$part"; detail="HTTP 416: partial file did not match; restarted" ;;
    esac
    code=""
    (( attempt < RETRIES )) && sleep $(( attempt ))
  done
  if [[ -z "$code" ]]; then
    report FAILED "${detail:-download failed}"
    echo "  FAILED    $repo/$path: ${detail:-download failed}"
    return 0
  fi
  have=$(stat -c %s "$part")
  if [[ "$have" != "$size" ]]; then
    report FAILED "size $have != expected $size (partial file kept; re-run to resume)"
    return 0
  fi
  if [[ "$VERIFY" == sha256 && "$sha" != "-" ]]; then
    if [[ "$(sha256sum "$part" | cut -d' ' -f1)" != "$sha" ]]; then
      rm -f "$part"
      report FAILED "sha256 mismatch (file deleted; re-run to download again)"
      echo "  FAILED    $repo/$path: sha256 mismatch"
      return 0
    fi
  fi
  mv -f "$part" "$dest"
  echo "  done      $repo/$path ($(human "$size") in $(( SECONDS - started ))s)"
  report "downloaded" "$([[ -n "$resumed" ]] && echo "resumed" || echo "new")$([[ "$VERIFY" == sha256 && "$sha" != "-" ]] && echo ", sha256 ok" || echo ", size ok")"
}

# Progress: bytes on disk (complete + partial files) against the total, every few seconds.
progress() {
  while sleep "$PROGRESS_EVERY"; do
    local have=0 f n
    while IFS=$'\t' read -r _ repo path _ _; do
      for f in "$DEST/$repo/$path" "$DEST/$repo/$path.part"; do
        [[ -f "$f" ]] && { n=$(stat -c %s "$f"); have=$(( have + n )); }
      done
    done < "$WORK/tasks.tsv"
    echo "  progress  $(human "$have") / $(human "$total_bytes")" \
      "($(( total_bytes > 0 ? have * 100 / total_bytes : 100 ))%)"
  done
}

# --- 3. run the downloads, $JOBS at a time -----------------------------------------------------
SECONDS=0
if [[ "$total_files" -gt 0 ]]; then
  progress & TICKER=$!
  pids=()
  while IFS=$'\t' read -r name repo path size sha; do
    # A slot frees when any download ends (the ticker never ends by itself).
    while (( $(jobs -rp | wc -l) > JOBS )); do wait -n || true; done
    fetch "$name" "$repo" "$path" "$size" "$sha" &
    pids+=($!)
  done < "$WORK/tasks.tsv"
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  kill "$TICKER" 2>/dev/null || true
  wait "$TICKER" 2>/dev/null || true
  TICKER=""
fi

# --- 4. summary --------------------------------------------------------------------------------
echo
printf '%-12s %-56s %10s  %-10s %s\n' MODEL FILE SIZE STATUS DETAIL
failed=0
while IFS=$'\t' read -r name repo path size status detail; do
  [[ "$status" == FAILED ]] && failed=$(( failed + 1 ))
  shown="$path"
  (( ${#shown} > 56 )) && shown="...${shown: -53}"
  printf '%-12s %-56s %10s  %-10s %s\n' "$name" "$shown" \
    "$([[ "$size" =~ ^[0-9]+$ ]] && human "$size" || echo "$size")" "$status" "$detail"
done < <(sort -t$'\t' -k1,1 -k3,3 "$WORK/results.tsv")
done_count=$(grep -c $'\t\(downloaded\|skipped\)\t' "$WORK/results.tsv" || true)
# A download that died without writing its row (killed, disk full) still counts as a failure.
file_rows=$(grep -vc $'\t(file list)\t' "$WORK/results.tsv" || true)
if (( file_rows < total_files )); then
  failed=$(( failed + total_files - file_rows ))
  echo "$(( total_files - file_rows )) download(s) ended without a result (see the messages above)"
fi
echo
echo "$done_count ok, $failed failed, $(human "$total_bytes") listed, ${SECONDS}s"
if (( failed > 0 )); then
  echo "Some downloads failed. Run the same command again to retry: complete files are skipped and" \
    "partial ones resume. Gated models (Llama 3.1) need HF_TOKEN and the licence accepted on the Hub." >&2
  exit 1
fi
echo "All files present in $DEST."
