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

    def read(self, mirrors: Path) -> str:
        git_dir = mirrors / self.repo.replace("/", "+") / "repo"
        found = subprocess.run(
            ["git", "-C", str(git_dir), "rev-parse", f"{self.commit}:{self.path}"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if found != self.blob:
            raise ValueError(f"{self.repo}@{self.commit}:{self.path} is blob {found}, expected {self.blob}")
        data = subprocess.run(
            ["git", "-C", str(git_dir), "cat-file", "blob", self.blob], check=True, capture_output=True
        ).stdout
        if self.path.endswith(".gz"):
            data = gzip.decompress(data)
        return data.decode("utf-8")


def list_tree(mirrors: Path, repo: str, commit: str, path: str, tree: str) -> dict[str, str]:
    """{file path: blob id} under `path`, after checking that the folder is exactly tree `tree`."""
    git_dir = mirrors / repo.replace("/", "+") / "repo"
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
