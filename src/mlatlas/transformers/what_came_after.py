"""What came after 2017: the transformer's lineage as data.

Paper: Ashish Vaswani et al. (2017), "Attention Is All You Need", arXiv:1706.03762, and the works
listed in ``LINEAGE`` (each entry carries its own arXiv id).

Each milestone records its year, family (encoder, decoder, encoder–decoder, vision, "inside the
block" for changes to attention, positions, feed-forward layers or depth, and alignment), the idea it
added and the milestones it built on, so the chapter's timeline figure and any other view of the
lineage come from one checked table rather than from prose.
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("encoder–decoder", "encoder", "decoder", "vision", "inside the block", "alignment")


@dataclass(frozen=True)
class Milestone:
    id: str
    name: str
    year: int
    family: str
    idea: str
    arxiv: str
    builds_on: tuple[str, ...] = ()
    page: str | None = None  # the atlas page about it, if any


LINEAGE: tuple[Milestone, ...] = (
    Milestone(
        "transformer",
        "Transformer",
        2017,
        "encoder–decoder",
        "attention-only encoder–decoder for translation",
        "1706.03762",
        (),
        "attention-is-all-you-need",
    ),
    Milestone(
        "gpt1",
        "GPT",
        2018,
        "decoder",
        "generative pretraining, then fine-tuning",
        "",
        ("transformer",),
        "gpt",
    ),
    Milestone(
        "bert",
        "BERT",
        2018,
        "encoder",
        "masked-LM pretraining of a bidirectional encoder",
        "1810.04805",
        ("transformer",),
        "bert",
    ),
    Milestone("gpt2", "GPT-2", 2019, "decoder", "scale + zero-shot task transfer", "", ("gpt1",), "gpt"),
    Milestone(
        "t5",
        "T5",
        2019,
        "encoder–decoder",
        "every task as text-to-text",
        "1910.10683",
        ("transformer", "bert"),
        "t5",
    ),
    Milestone(
        "universal",
        "Universal Transformer",
        2018,
        "inside the block",
        "one block applied recurrently",
        "1807.03819",
        ("transformer",),
        "looped-transformers",
    ),
    Milestone(
        "scaling",
        "Scaling laws",
        2020,
        "decoder",
        "loss falls as a power law in compute",
        "2001.08361",
        ("gpt2",),
    ),
    Milestone(
        "gpt3",
        "GPT-3",
        2020,
        "decoder",
        "few-shot in-context learning at 175B parameters",
        "2005.14165",
        ("gpt2", "scaling"),
        "gpt-and-in-context-learning",
    ),
    Milestone(
        "vit",
        "ViT",
        2020,
        "vision",
        "an image as a sequence of 16×16 patches",
        "2010.11929",
        ("transformer", "bert"),
        "vit",
    ),
    Milestone(
        "swin",
        "Swin",
        2021,
        "vision",
        "shifted local windows, a hierarchy of scales",
        "2103.14030",
        ("vit",),
        "swin",
    ),
    Milestone(
        "rope",
        "RoPE",
        2021,
        "inside the block",
        "rotary position embeddings",
        "2104.09864",
        ("transformer",),
        "rope",
    ),
    Milestone(
        "switch",
        "Switch Transformer",
        2021,
        "inside the block",
        "sparse mixture-of-experts layers",
        "2101.03961",
        ("t5",),
        "mixture-of-experts",
    ),
    Milestone(
        "flash",
        "FlashAttention",
        2022,
        "inside the block",
        "exact attention in tiles, IO-aware",
        "2205.14135",
        ("transformer",),
        "flash-attention",
    ),
    Milestone(
        "chinchilla",
        "Chinchilla",
        2022,
        "decoder",
        "compute-optimal: more tokens per parameter",
        "2203.15556",
        ("gpt3", "scaling"),
    ),
    Milestone(
        "instructgpt",
        "InstructGPT",
        2022,
        "alignment",
        "RLHF: reward model + PPO with a KL penalty",
        "2203.02155",
        ("gpt3",),
        "rlhf-and-alignment",
    ),
    Milestone(
        "llama",
        "LLaMA",
        2023,
        "decoder",
        "RMSNorm + SwiGLU + RoPE, open weights",
        "2302.13971",
        ("gpt3", "chinchilla", "rope"),
        "modern-transformer-anatomy",
    ),
    Milestone(
        "dpo",
        "DPO",
        2023,
        "alignment",
        "preference optimisation without a reward model",
        "2305.18290",
        ("instructgpt",),
        "rlhf-and-alignment",
    ),
    Milestone(
        "gqa",
        "GQA",
        2023,
        "inside the block",
        "key/value heads shared by groups of query heads",
        "2305.13245",
        ("transformer",),
        "gqa",
    ),
    Milestone(
        "mixtral",
        "Mixtral",
        2024,
        "decoder",
        "open sparse mixture-of-experts decoder",
        "2401.04088",
        ("llama", "switch"),
        "mixture-of-experts",
    ),
)


def validate_lineage(lineage: tuple[Milestone, ...] = LINEAGE) -> None:
    """Ids are unique, families are known, and everything builds only on earlier (or same-year) work."""
    by_id: dict[str, Milestone] = {}
    for m in lineage:
        if m.id in by_id:
            raise ValueError(f"duplicate milestone id {m.id!r}")
        if m.family not in FAMILIES:
            raise ValueError(f"milestone {m.id!r} has unknown family {m.family!r}; use one of {FAMILIES}")
        by_id[m.id] = m
    for m in lineage:
        for parent in m.builds_on:
            if parent not in by_id:
                raise ValueError(f"milestone {m.id!r} builds on unknown id {parent!r}")
            if by_id[parent].year > m.year:
                raise ValueError(f"milestone {m.id!r} ({m.year}) cannot build on later {parent!r}")


def descendants(root: str, lineage: tuple[Milestone, ...] = LINEAGE) -> set[str]:
    """Every milestone that builds on ``root``, directly or through others."""
    children: dict[str, list[str]] = {}
    for m in lineage:
        for parent in m.builds_on:
            children.setdefault(parent, []).append(m.id)
    seen, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
