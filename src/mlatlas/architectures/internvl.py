"""InternVL's dynamic high-resolution tiling: how many 448-pixel tiles, and so how many tokens, an image gets.

Paper: Zhe Chen, Weiyun Wang, Hao Tian, Shenglong Ye, Zhangwei Gao, Erfei Cui, et al. (2024), "How Far
Are We to GPT-4V? Closing the Gap to Commercial Multimodal Models with Open-Source Suites" (InternVL 1.5),
arXiv:2404.16821.
Pick the grid of (columns, rows) tiles, 1 to 12 of them, whose aspect ratio is closest to the image's,
resize the image to that grid and cut it into 448 x 448 tiles, plus one thumbnail of the whole image
when there is more than one tile.
Each tile is 32 x 32 patches of 14 pixels; a pixel shuffle merges 2 x 2 patches, leaving 256 tokens.
"""

from __future__ import annotations

from dataclasses import dataclass


def candidate_grids(min_tiles: int = 1, max_tiles: int = 12) -> list[tuple[int, int]]:
    """Every (columns, rows) with min_tiles <= columns * rows <= max_tiles, fewest tiles first."""
    grids = {
        (i, j)
        for i in range(1, max_tiles + 1)
        for j in range(1, max_tiles + 1)
        if min_tiles <= i * j <= max_tiles
    }
    return sorted(grids, key=lambda g: (g[0] * g[1], g))


def closest_grid(
    width: int, height: int, *, min_tiles: int = 1, max_tiles: int = 12, tile: int = 448
) -> tuple[int, int]:
    """The grid whose aspect ratio is closest to width / height; on a tie, the larger grid wins if the
    image has more than half the pixels that grid would hold (the InternVL rule)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive; got {width} x {height}")
    aspect = width / height
    best, best_diff = (1, 1), float("inf")
    for cols, rows in candidate_grids(min_tiles, max_tiles):
        diff = abs(aspect - cols / rows)
        if diff < best_diff:
            best, best_diff = (cols, rows), diff
        elif diff == best_diff and width * height > 0.5 * tile * tile * cols * rows:
            best = (cols, rows)  # same shape, more tiles: worth it only for a large enough image
    return best


@dataclass(frozen=True)
class Tiling:
    grid: tuple[int, int]  # (columns, rows)
    tiles: int  # columns * rows, plus the thumbnail when there is more than one tile
    tokens: int  # tokens handed to the language model


def tile_image(
    width: int,
    height: int,
    *,
    max_tiles: int = 12,
    tile: int = 448,
    patch: int = 14,
    shuffle: int = 2,
    thumbnail: bool = True,
) -> Tiling:
    """Grid, tile count and visual tokens for one image: tiles * (tile / patch / shuffle)^2."""
    cols, rows = closest_grid(width, height, max_tiles=max_tiles, tile=tile)
    tiles = cols * rows + (1 if thumbnail and cols * rows > 1 else 0)
    per_tile = (tile // patch // shuffle) ** 2  # 448 / 14 = 32 patches a side, / 2 = 16: 256 tokens
    return Tiling((cols, rows), tiles, tiles * per_tile)
