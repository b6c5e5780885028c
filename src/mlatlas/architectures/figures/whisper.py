"""Figures for the whisper page."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.whisper import SAMPLE_RATE, Whisper, WhisperConfig, log_mel_spectrogram
from mlatlas.plotting import new_figure


def chirp(seconds: float = 3.0, f0: float = 100.0, f1: float = 6000.0) -> torch.Tensor:
    """A linear sweep from f0 to f1 Hz at 16 kHz: (1, samples)."""
    t = torch.arange(int(SAMPLE_RATE * seconds), dtype=torch.float64) / SAMPLE_RATE
    return (0.5 * torch.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds))))[None]


def chirp_log_mel():
    """The log-mel features of a 3 s chirp: the first 300 of 3000 frames (the rest is padding)."""
    mel = log_mel_spectrogram(chirp())[0, :, :300].numpy()  # (80, 300)
    fig, ax = new_figure(width=7.0, height=3.0)
    im = ax.imshow(mel, origin="lower", aspect="auto", cmap="magma", extent=(0, 3.0, 0, 80))
    ax.set_xlabel("time (s), 10 ms per frame")
    ax.set_ylabel("mel channel")
    fig.colorbar(im, ax=ax, label="(log10 power + 4) / 4")
    return fig


@torch.no_grad()
def data_flow():
    """Audio to transcript logits with Whisper tiny's widths (one layer each, random weights)."""
    torch.manual_seed(0)
    cfg = WhisperConfig(encoder_layers=1, decoder_layers=1)  # tiny's widths; depth does not change shapes
    model = Whisper(cfg).eval()
    audio = chirp()
    mel = log_mel_spectrogram(audio).to(torch.float32)
    conv = model.conv2(torch.nn.functional.gelu(model.conv1(mel)))
    states = model.encode(mel)
    tokens = torch.tensor([[50258, 50259, 50359, 50363]])  # start, language, task, no-timestamps ids
    logits = model.decode(tokens, states) @ model.token_embedding.weight.T  # model(mel, tokens), one encode
    nodes = [
        Node("wav", 1.9, 4.6, f"16 kHz audio {s(audio)}\npadded to 30 s", 7),
        Node("mel", 1.9, 3.5, f"log-mel {s(mel)}\n80 channels × 10 ms frames", 0),
        Node("conv", 1.9, 2.4, f"2 convs, stride 2 {s(conv)}\n+ sinusoidal positions", 0),
        Node("enc", 1.9, 1.2, f"encoder blocks {s(states)}", 0),
        Node("tok", 5.5, 4.6, f"prompt tokens {s(tokens)}", 7),
        Node("dec", 5.5, 2.4, "decoder blocks: causal\nself-attention, then\ncross-attention to audio", 1),
        Node("out", 5.5, 1.2, f"next-token logits {s(logits)}", 2),
    ]
    edges = [("wav", "mel"), ("mel", "conv"), ("conv", "enc"), ("enc", "dec"), ("tok", "dec"), ("dec", "out")]
    return flow_diagram(nodes, edges, width=7.4, height=5.2)
