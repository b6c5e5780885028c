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


IN_PLACE_LIMIT = 50  # an update this small (and needing no new search index) skips the staging tree


def write_site(
    site: Site,
    files: dict[str, str],
    media: set[tuple[Path, str]],
    out_dir: Path,
    cache_dir: Path | None,
    search: bool = True,
) -> int:
    """Write the site into `out_dir` atomically. Returns the number of files written or changed.

    A full write assembles the site in a staging folder and swaps it in. A small update of a site
    already in place (an edit under `serve`) writes each changed file beside its target first and
    then renames them all over the old ones, which is as all-or-nothing and avoids re-linking a
    tree of a thousand folders."""
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

    wanted: dict[str, bytes | Path] = {k: v.encode("utf-8") for k, v in files.items()}
    wanted.update(asset_files(site, media))
    new_manifest: dict[str, str] = {}
    for rel, content in wanted.items():
        if isinstance(content, Path):
            st = content.stat()
            new_manifest[rel] = f"{st.st_mtime_ns}:{st.st_size}:{content}"
        else:
            new_manifest[rel] = _digest(content)
    changed = [
        rel
        for rel, digest in new_manifest.items()
        if manifest.get(rel) != digest or not (out_dir / rel).exists()
    ]
    stale = set(manifest) - set(new_manifest) - {"__search__"}
    # Search index: rebuilt when the set of HTML pages differs from the one last indexed. With
    # search=False (the dev server's fast path) the previous index is kept until an indexed build.
    html_sig = _digest(
        SEARCH_INDEX_VERSION.encode()
        + "".join(f"{k}:{v}\n" for k, v in sorted(new_manifest.items()) if k.endswith(".html")).encode()
    )
    indexed = manifest.get("__search__")
    reindex = search and (indexed != html_sig or not (out_dir / "pagefind").exists())

    if manifest and not reindex and len(changed) + len(stale) <= IN_PLACE_LIMIT:
        _update_in_place(out_dir, {rel: wanted[rel] for rel in changed}, stale)
    else:
        if manifest:
            _link_tree(out_dir, staging)
        else:
            staging.mkdir(parents=True)
        for rel in changed:
            content = wanted[rel]
            if isinstance(content, Path):
                dst = staging / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.exists():
                    dst.unlink()
                shutil.copy2(content, dst)
            else:
                _put(staging / rel, content)
        for rel in stale:  # what the previous build wrote and this one does not
            if (staging / rel).exists():
                (staging / rel).unlink()
        if reindex:
            index_search(staging)
            indexed = html_sig
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
        if old.exists():
            # Deleting the previous tree is slow on some disks and nobody waits for it: a (non-daemon)
            # thread removes it while the caller goes on; leftovers are removed by the next build.
            _REMOVING.add(str(old))
            threading.Thread(target=_remove, args=(old,), name="mlatlas-rm-old").start()
    if indexed:
        new_manifest["__search__"] = indexed
    if manifest_path is not None:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(new_manifest))
    return len(changed)


def _update_in_place(out_dir: Path, changed: dict[str, bytes | Path], stale: set[str]) -> None:
    """Every changed file written beside its target first, then all renamed over the old ones."""
    ready: list[tuple[Path, Path]] = []
    try:
        for rel, content in changed.items():
            dst = out_dir / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
            ready.append((tmp, dst))
            if isinstance(content, Path):
                shutil.copy2(content, tmp)
            else:
                tmp.write_bytes(content)
    except BaseException:
        for tmp, _ in ready:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, dst in ready:
        os.replace(tmp, dst)  # replaces the name only: a hard link to an older build keeps its bytes
    for rel in stale:
        (out_dir / rel).unlink(missing_ok=True)


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
