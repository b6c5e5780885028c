"""Stage 4 — write: put the rendered files, assets and search index in place, all or nothing.

The new site is assembled in a staging folder beside the output (hard links to the unchanged files of
the previous build, fresh files for the changed ones), indexed for search there, and only then swapped
in. A build that fails before the swap leaves the previous output exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from .mathrender import katex_dist
from .model import Site

STATIC = Path(__file__).parent / "static"
SEARCH_INDEX_VERSION = "2"  # bump when the indexer's options change


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def asset_files(site: Site, media: set[tuple[Path, str]]) -> dict[str, Path]:
    """Files copied verbatim: {output path: source path}."""
    out: dict[str, Path] = {}
    for f in STATIC.iterdir():
        if f.is_file():
            out[f"assets/{f.name}"] = f
    dist = katex_dist()
    out["assets/katex/katex.min.css"] = dist / "katex.min.css"
    for font in (dist / "fonts").iterdir():
        if font.suffix == ".woff2":  # every browser that runs the site reads woff2
            out[f"assets/katex/fonts/{font.name}"] = font
    labs = site.config.root / "labs"
    if labs.is_dir():
        for f in labs.rglob("*"):
            rel = f.relative_to(labs).as_posix()
            if (
                f.is_file()
                and ".test." not in f.name
                and "node_modules" not in rel
                and not f.name.endswith(".md")
            ):
                out[f"labs/{rel}"] = f
    for src, url in media:
        out[url] = src
    return out


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a tree by hard links (falls back to copies across filesystems)."""

    def link(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=link, dirs_exist_ok=False)


def _put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()  # never write through a hard link shared with the live output
    path.write_bytes(data)


def write_site(
    site: Site,
    files: dict[str, str],
    media: set[tuple[Path, str]],
    out_dir: Path,
    cache_dir: Path | None,
    search: bool = True,
) -> int:
    """Write the site into `out_dir` atomically. Returns the number of files written or changed."""
    out_dir = out_dir.resolve()
    staging = out_dir.with_name(f".{out_dir.name}.staging")
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{time.monotonic_ns()}")
    for leftover in [staging, *out_dir.parent.glob(f".{out_dir.name}.old-*")]:
        if leftover.exists() and (leftover == staging or not _removing(leftover)):
            shutil.rmtree(leftover, ignore_errors=True)
    # What was last written into *this* output folder (one cache may serve several output folders).
    out_key = _digest(str(out_dir).encode())[:12]
    manifest_path = cache_dir / f"manifest-{out_key}.json" if cache_dir else None
    manifest: dict[str, str] = {}
    if out_dir.exists() and manifest_path is not None and manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            manifest = {}
    if out_dir.exists() and manifest:
        _link_tree(out_dir, staging)
    else:
        manifest = {}
        staging.mkdir(parents=True)

    wanted: dict[str, bytes | Path] = {k: v.encode("utf-8") for k, v in files.items()}
    wanted.update(asset_files(site, media))
    new_manifest: dict[str, str] = {}
    changed = 0
    for rel, content in wanted.items():
        if isinstance(content, Path):
            st = content.stat()
            digest = f"{st.st_mtime_ns}:{st.st_size}:{content}"
        else:
            digest = _digest(content)
        new_manifest[rel] = digest
        if manifest.get(rel) == digest and (staging / rel).exists():
            continue
        changed += 1
        if isinstance(content, Path):
            dst = staging / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.exists():
                dst.unlink()
            shutil.copy2(content, dst)
        else:
            _put(staging / rel, content)
    # Remove what the previous build wrote and this one does not (except the search index).
    for rel in set(manifest) - set(new_manifest) - {"__search__"}:
        stale = staging / rel
        if stale.exists():
            stale.unlink()
    # Search index: rebuilt when the set of HTML pages differs from the one last indexed. With
    # search=False (the dev server's fast path) the previous index is kept until an indexed build.
    html_sig = _digest(
        SEARCH_INDEX_VERSION.encode()
        + "".join(f"{k}:{v}\n" for k, v in sorted(new_manifest.items()) if k.endswith(".html")).encode()
    )
    indexed = manifest.get("__search__")
    if search and (indexed != html_sig or not (staging / "pagefind").exists()):
        index_search(staging)
        indexed = html_sig
    if indexed:
        new_manifest["__search__"] = indexed

    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    if old.exists():
        # Deleting the previous tree is slow on some disks and nobody waits for it: a (non-daemon)
        # thread removes it while the caller goes on; leftovers are removed by the next build.
        _REMOVING.add(str(old))
        threading.Thread(target=_remove, args=(old,), name="mlatlas-rm-old").start()
    if manifest_path is not None:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(new_manifest))
    return changed


_REMOVING: set[str] = set()


def _removing(path: Path) -> bool:
    return str(path) in _REMOVING


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    _REMOVING.discard(str(path))


def index_search(site_dir: Path) -> None:
    """Full-text search index by pagefind (its binary ships in the `pagefind[bin]` wheel)."""
    target = site_dir / "pagefind"
    if target.exists():
        shutil.rmtree(target)  # fresh files: never write through links shared with the live output
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(site_dir),
            "--silent",
            # math is indexed once, as the reader sees it (not its TeX source and MathML copy)
            "--exclude-selectors",
            ".katex-mathml",
            "--exclude-selectors",
            ".header-anchor",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed to index the site: {proc.stderr.strip() or proc.stdout.strip()}")
