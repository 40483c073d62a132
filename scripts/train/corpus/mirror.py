"""Reads files out of fetched git snapshots by commit and path, checking the blob id so a run is reproducible."""

from __future__ import annotations

import gzip
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Blob:
    #: owner/name on GitHub
    repo: str
    #: the commit the file was read at
    commit: str
    path: str
    #: git blob id: the bytes read are exactly these
    blob: str

    def read_bytes(self, mirrors: Path) -> bytes:
        """The file's bytes, after checking that the path at that commit is exactly this blob."""
        git_dir = snapshot(mirrors, self.repo)
        found = subprocess.run(
            ["git", "-C", str(git_dir), "rev-parse", f"{self.commit}:{self.path}"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if found != self.blob:
            raise ValueError(f"{self.repo}@{self.commit}:{self.path} is blob {found}, expected {self.blob}")
        return subprocess.run(
            ["git", "-C", str(git_dir), "cat-file", "blob", self.blob], check=True, capture_output=True
        ).stdout

    def read(self, mirrors: Path, encoding: str = "utf-8") -> str:
        """The file as text (a `.gz` file decompressed first)."""
        data = self.read_bytes(mirrors)
        if self.path.endswith(".gz"):
            data = gzip.decompress(data)
        return data.decode(encoding)


def snapshot(mirrors: Path, repo: str) -> Path:
    """The git directory of `repo`'s fetched snapshot; a clear error naming the repository when it is absent."""
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if not git_dir.exists():
        raise SystemExit(f"no snapshot of {repo} in {mirrors}: fetch github:{repo} first (data/SOURCES.md)")
    return git_dir


def list_tree(mirrors: Path, repo: str, commit: str, path: str, tree: str) -> dict[str, str]:
    """{file path: blob id} under `path`, after checking that the folder is exactly tree `tree`."""
    git_dir = snapshot(mirrors, repo)
    found = subprocess.run(
        ["git", "-C", str(git_dir), "rev-parse", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if found != tree:
        raise ValueError(f"{repo}@{commit}:{path} is tree {found}, expected {tree}")
    listing = subprocess.run(
        ["git", "-C", str(git_dir), "ls-tree", "-r", commit, "--", path], check=True, capture_output=True, text=True
    ).stdout
    out = {}
    for line in listing.splitlines():
        meta, name = line.split("\t", 1)
        out[name] = meta.split()[2]
    return out
