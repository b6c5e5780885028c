"""Interleaved multimodal token streams: text, image patches and audio frames in one sequence.

Papers: Gemini Team, Google (2023), "Gemini: A Family of Highly Capable Multimodal Models",
arXiv:2312.11805 (a decoder-only transformer trained on interleaved text, image, audio and video);
OpenAI (2023), "GPT-4 Technical Report", arXiv:2303.08774 (image and text input; no architecture details).
Every modality is turned into vectors of the model's width by its own front end — a token embedding, a
patch projection, an audio-frame projection — and the vectors are laid end to end in the order they
occur, with markers around each non-text span. A causal transformer then reads one sequence.

Shapes: T total tokens, C model width, P patch features, F audio features per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.transformers.vit import patchify

TEXT, IMAGE, AUDIO = 0, 1, 2  # modality ids


@dataclass(frozen=True)
class Stream:
    embeddings: Tensor  # (T, C) what the transformer reads
    modality: Tensor  # (T,) TEXT, IMAGE or AUDIO for every position (markers count as text)
    spans: list[tuple[str, int, int]]  # (kind, start, end) of every segment, markers included


class MultimodalEmbedder(nn.Module):
    """Front ends for three modalities and the markers <img> </img> <audio> </audio> (extra text ids)."""

    def __init__(self, vocab_size: int, width: int, patch_size: int, channels: int, audio_features: int):
        super().__init__()
        self.vocab_size, self.patch_size = vocab_size, patch_size
        self.markers = {
            "<img>": vocab_size,
            "</img>": vocab_size + 1,
            "<audio>": vocab_size + 2,
            "</audio>": vocab_size + 3,
        }
        self.token_embedding = nn.Embedding(vocab_size + len(self.markers), width)
        self.patch_projection = nn.Linear(channels * patch_size * patch_size, width)  # as in ViT
        self.audio_projection = nn.Linear(audio_features, width)  # one vector per audio frame

    def _marker(self, name: str) -> Tensor:
        return self.token_embedding(torch.tensor([self.markers[name]]))  # (1, C)

    def forward(self, segments: list[tuple[str, Tensor]]) -> Stream:
        """segments: ("text", ids (T_i,)), ("image", (C_in, S, S)), ("audio", frames (T_a, F)), in order."""
        pieces, modality, spans, t = [], [], [], 0
        for kind, value in segments:
            if kind == "text":
                if int(value.max()) >= self.vocab_size:
                    raise ValueError(
                        f"text ids must be < vocab_size={self.vocab_size}; markers are added here"
                    )
                block, mod = [self.token_embedding(value)], [TEXT] * len(value)
            elif kind == "image":
                patches = self.patch_projection(patchify(value[None], self.patch_size)[0])  # (N, C)
                block = [self._marker("<img>"), patches, self._marker("</img>")]
                mod = [TEXT] + [IMAGE] * len(patches) + [TEXT]
            elif kind == "audio":
                frames = self.audio_projection(value)  # (T_a, C)
                block = [self._marker("<audio>"), frames, self._marker("</audio>")]
                mod = [TEXT] + [AUDIO] * len(frames) + [TEXT]
            else:
                raise ValueError(f"unknown segment kind {kind!r}; use 'text', 'image' or 'audio'")
            pieces += block
            modality += mod
            spans.append((kind, t, t + len(mod)))
            t += len(mod)
        return Stream(torch.cat(pieces), torch.tensor(modality), spans)
