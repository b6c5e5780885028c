"""CLIP: an image tower and a text tower trained to agree, by symmetric InfoNCE.

Paper: Alec Radford, Jong Wook Kim, Chris Hallacy, Aditya Ramesh, Gabriel Goh, Sandhini Agarwal, Girish
Sastry, Amanda Askell, Pamela Mishkin, Jack Clark, Gretchen Krueger, Ilya Sutskever (2021), "Learning
Transferable Visual Models From Natural Language Supervision", arXiv:2103.00020.
Each tower maps its input to one vector; a batch of B matching (image, caption) pairs gives a B x B
matrix of cosine similarities whose diagonal should win, row-wise and column-wise (Figure 3's code).

    I_e = normalize(ViT(image) W_i),  T_e = normalize(Transformer(text)[EOS] W_t)
    logits = exp(t) * I_e T_e^T,       L = (CE(logits, diag) + CE(logits^T, diag)) / 2

The towers are the Transformers book's ViT encoder block and GPT block, laid out as Hugging Face's
``CLIPModel`` does (pre-LN before the vision encoder, [class] token pooled for images, EOS for text),
so weights load across. Shapes: B batch, N patches, T text length, C tower width, F joint width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.architectures.contrastive import cosine_logits, symmetric_info_nce
from mlatlas.transformers.gpt import Block, GPTConfig
from mlatlas.transformers.vit import EncoderBlock, load_digits_tensors, patchify


@dataclass
class CLIPConfig:
    vocab_size: int = 32
    context_length: int = 8  # T, caption length including EOS and padding
    eos_token_id: int = 1  # the text is pooled at the first EOS
    image_size: int = 8
    patch_size: int = 2
    num_channels: int = 1
    vision_width: int = 32
    vision_layers: int = 2
    vision_heads: int = 4
    text_width: int = 32
    text_layers: int = 2
    text_heads: int = 4
    embed_dim: int = 16  # F, the joint embedding
    layer_norm_eps: float = 1e-5
    logit_scale_init: float = math.log(1 / 0.07)  # t, the learned log inverse temperature (paper sec. 2.5)

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise ValueError(
                f"image_size={self.image_size} must be a multiple of patch_size={self.patch_size}"
            )


class ImageTower(nn.Module):
    """Patches -> [class] + positions -> LN -> ViT encoder blocks -> LN([class]) -> W_i: (B, F)."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        self.cfg = cfg
        c, p = cfg.vision_width, cfg.patch_size
        num_patches = (cfg.image_size // p) ** 2
        self.patch_embedding = nn.Linear(cfg.num_channels * p * p, c, bias=False)  # CLIP's conv has no bias
        self.class_embedding = nn.Parameter(torch.randn(c) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn(num_patches + 1, c) * 0.02)
        self.pre_norm = nn.LayerNorm(c, eps=cfg.layer_norm_eps)  # CLIP's addition to ViT
        self.blocks = nn.ModuleList(
            EncoderBlock(c, cfg.vision_heads, 4.0, cfg.layer_norm_eps) for _ in range(cfg.vision_layers)
        )
        self.post_norm = nn.LayerNorm(c, eps=cfg.layer_norm_eps)
        self.projection = nn.Linear(c, cfg.embed_dim, bias=False)  # W_i

    def hidden_states(self, images: Tensor) -> list[Tensor]:
        """The encoder's input and the output of every block: L + 1 tensors (B, N + 1, C)."""
        tokens = self.patch_embedding(patchify(images, self.cfg.patch_size))  # (B, N, C)
        cls = self.class_embedding.expand(images.shape[0], 1, -1)  # (B, 1, C)
        states = [self.pre_norm(torch.cat([cls, tokens], dim=1) + self.position_embedding)]  # (B, N + 1, C)
        for block in self.blocks:
            states.append(block(states[-1]))  # (B, N + 1, C), bidirectional
        return states

    def forward(self, images: Tensor) -> Tensor:
        """images (B, C_in, S, S) -> image embeddings (B, F), not yet normalised."""
        z = self.hidden_states(images)[-1]  # (B, N + 1, C)
        return self.projection(self.post_norm(z[:, 0]))  # pooled [class] token -> (B, F)


class TextTower(nn.Module):
    """Tokens + positions -> causal GPT blocks -> LN -> the state at EOS -> W_t: (B, F)."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.text_width
        self.token_embedding = nn.Embedding(cfg.vocab_size, c)
        self.position_embedding = nn.Embedding(cfg.context_length, c)
        gpt = GPTConfig(
            cfg.vocab_size,
            cfg.context_length,
            cfg.text_layers,
            cfg.text_heads,
            c,
            layer_norm_eps=cfg.layer_norm_eps,
        )
        self.blocks = nn.ModuleList(Block(gpt) for _ in range(cfg.text_layers))  # masked self-attention
        self.final_norm = nn.LayerNorm(c, eps=cfg.layer_norm_eps)
        self.projection = nn.Linear(c, cfg.embed_dim, bias=False)  # W_t

    def forward(self, ids: Tensor) -> Tensor:
        """ids (B, T) with an EOS in every row -> text embeddings (B, F), not yet normalised."""
        b, t = ids.shape
        if t > self.cfg.context_length:
            raise ValueError(f"captions of length {t} exceed context_length={self.cfg.context_length}")
        is_eos = ids == self.cfg.eos_token_id  # (B, T)
        if not bool(is_eos.any(dim=1).all()):
            raise ValueError(
                f"every caption needs an EOS token (id {self.cfg.eos_token_id}); end each row with it"
            )
        x = self.token_embedding(ids) + self.position_embedding(
            torch.arange(t, device=ids.device)
        )  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C), token t sees only <= t, so EOS has read the whole caption
        x = self.final_norm(x)
        eos = is_eos.int().argmax(dim=1)  # first EOS of each row, (B,)
        return self.projection(x[torch.arange(b), eos])  # (B, F)


class CLIP(nn.Module):
    """Two towers and a learned temperature; forward returns logits (B_img, B_txt) and the loss."""

    def __init__(self, cfg: CLIPConfig):
        super().__init__()
        self.cfg = cfg
        self.image_tower = ImageTower(cfg)
        self.text_tower = TextTower(cfg)
        self.logit_scale = nn.Parameter(torch.tensor(cfg.logit_scale_init))  # t; exp(t) = 1 / tau

    def logits(self, images: Tensor, ids: Tensor) -> Tensor:
        """exp(t) cos(I_e, T_e): (B_img, B_txt); the paper clips exp(t) at 100 (sec. 2.5)."""
        scale = self.logit_scale.clamp(max=math.log(100.0)).exp()
        return cosine_logits(self.image_tower(images), self.text_tower(ids), scale)

    def forward(self, images: Tensor, ids: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.logits(images, ids)  # (B, B), pair i is (images[i], ids[i])
        return logits, symmetric_info_nce(logits)


# ---------------------------------------------------------------------------------------------------
# Digits with generated captions, and zero-shot classification

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TRAIN_TEMPLATES = ["a handwritten {}", "the digit {}", "a picture of a {}", "this is a {}"]
ZERO_SHOT_TEMPLATE = "a picture of the digit {}"  # a word order never seen in training
SPECIAL = ["<pad>", "<eos>"]  # ids 0 and 1


def caption_vocabulary() -> list[str]:
    words = {w for t in TRAIN_TEMPLATES + [ZERO_SHOT_TEMPLATE] for w in t.replace("{}", "").split()}
    return SPECIAL + sorted(words) + NUMBER_WORDS


def tokenize(captions: list[str], context_length: int = 8) -> Tensor:
    """Word-level ids, EOS appended, padded with 0: (B, T)."""
    index = {w: i for i, w in enumerate(caption_vocabulary())}
    rows = []
    for caption in captions:
        words = caption.split()
        unknown = [w for w in words if w not in index]
        if unknown:
            raise ValueError(f"unknown words {unknown}; the vocabulary is caption_vocabulary()")
        ids = [index[w] for w in words] + [1]
        if len(ids) > context_length:
            raise ValueError(
                f"caption {caption!r} needs {len(ids)} tokens; context_length is {context_length}"
            )
        rows.append(ids + [0] * (context_length - len(ids)))
    return torch.tensor(rows)


def caption_digits(labels: Tensor, generator: torch.Generator) -> list[str]:
    """One caption per label, from a template drawn at random."""
    picks = torch.randint(len(TRAIN_TEMPLATES), (len(labels),), generator=generator).tolist()
    return [TRAIN_TEMPLATES[p].format(NUMBER_WORDS[int(y)]) for p, y in zip(picks, labels.tolist())]


@torch.no_grad()
def zero_shot_predict(model: CLIP, images: Tensor, template: str = ZERO_SHOT_TEMPLATE) -> Tensor:
    """Class = argmax_k cos(image, text("... k")): (B,) predictions with no classifier trained."""
    model.eval()
    prompts = tokenize([template.format(w) for w in NUMBER_WORDS], model.cfg.context_length)  # (10, T)
    return model.logits(images, prompts).argmax(dim=1)  # (B,)


@dataclass(frozen=True)
class CLIPRun:
    model: CLIP
    zero_shot_accuracy: list[float]  # on the held-out digits, after each epoch
    chance: float


def train_tiny_clip(epochs: int = 12, batch_size: int = 32, seed: int = 0) -> CLIPRun:
    """Train a tiny CLIP on scikit-learn's 8x8 digits paired with generated captions (seeded)."""
    x_train, y_train, x_test, y_test = load_digits_tensors(seed)
    cfg = CLIPConfig(vocab_size=len(caption_vocabulary()))
    torch.manual_seed(seed)
    model = CLIP(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    accuracies = []
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(y_train), generator=g).split(batch_size):
            ids = tokenize(caption_digits(y_train[batch], g), cfg.context_length)  # (B, T)
            _, loss = model(x_train[batch], ids)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accuracies.append((zero_shot_predict(model, x_test) == y_test).float().mean().item())
    return CLIPRun(model, accuracies, 1 / len(NUMBER_WORDS))


def demo() -> None:
    """`mlatlas run clip`: train the tiny CLIP and print zero-shot accuracy on held-out digits."""
    run = train_tiny_clip()
    for epoch, a in enumerate(run.zero_shot_accuracy, 1):
        print(f"epoch {epoch:2d}  zero-shot accuracy {a:.3f}  (chance {run.chance:.3f})")
