"""Whisper: a log-mel spectrogram front end and an encoder-decoder transformer that writes the transcript.

Paper: Alec Radford, Jong Wook Kim, Tao Xu, Greg Brockman, Christine McLeavey, Ilya Sutskever (2022),
"Robust Speech Recognition via Large-Scale Weak Supervision", arXiv:2212.04356.
30 s of 16 kHz audio -> 80 log-mel channels every 10 ms (3000 frames) -> two convolutions (the second
with stride 2) and sinusoidal positions -> a pre-LN encoder; a pre-LN decoder with learned positions
predicts text tokens, attending to the encoder's states through cross-attention (paper sec. 2.2-2.3).

Front end (sec. 2.2): |STFT|^2 with a 25 ms Hann window (400 samples) and 10 ms hop (160), an
80-filter Slaney mel bank up to 8 kHz, log10, clamped to 8 below the maximum, then (x + 4) / 4.
Shapes: B batch, F mel channels, T_a audio frames, T text tokens, C width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig
from mlatlas.transformers.vit import EncoderBlock

SAMPLE_RATE, N_FFT, HOP, CHUNK_SECONDS = 16_000, 400, 160, 30


def hz_to_mel(f: Tensor) -> Tensor:
    """Slaney's mel scale: linear (3 f / 200) below 1 kHz, logarithmic above."""
    log_step = math.log(6.4) / 27.0  # 27 mel steps per factor of 6.4 in frequency
    return torch.where(f < 1000.0, 3.0 * f / 200.0, 15.0 + torch.log(f.clamp(min=1e-10) / 1000.0) / log_step)


def mel_to_hz(m: Tensor) -> Tensor:
    log_step = math.log(6.4) / 27.0
    return torch.where(m < 15.0, 200.0 * m / 3.0, 1000.0 * torch.exp(log_step * (m - 15.0)))


def mel_filter_bank(
    n_mels: int = 80, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE, f_max: float = 8000.0
) -> Tensor:
    """Triangular filters evenly spaced on the mel scale, each scaled to unit area (Slaney): (F_fft, F)."""
    fft_freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # (F_fft,)
    mel_points = torch.linspace(
        0.0, float(hz_to_mel(torch.tensor(f_max, dtype=torch.float64))), n_mels + 2, dtype=torch.float64
    )
    edges = mel_to_hz(mel_points)  # (F + 2,) left, centre, right of every triangle
    width = edges.diff()  # (F + 1,)
    slopes = edges[None, :] - fft_freqs[:, None]  # (F_fft, F + 2)
    rising = -slopes[:, :-2] / width[:-1]  # (F_fft, F)
    falling = slopes[:, 2:] / width[1:]
    filters = torch.clamp(torch.minimum(rising, falling), min=0.0)  # triangles
    return filters * (2.0 / (edges[2:] - edges[:-2]))  # Slaney normalisation: equal area


def log_mel_spectrogram(audio: Tensor, n_mels: int = 80, dtype: torch.dtype = torch.float64) -> Tensor:
    """audio (B, samples) at 16 kHz, padded or cut to 30 s -> Whisper's input features (B, F, 3000).

    Computed in ``dtype`` (float64 by default; float32 reproduces the rounding of Whisper's own code).
    """
    if audio.dim() != 2:
        raise ValueError(f"audio must be (B, samples); got shape {tuple(audio.shape)}")
    n = SAMPLE_RATE * CHUNK_SECONDS
    audio = F.pad(audio, (0, max(0, n - audio.shape[1])))[:, :n].to(dtype)  # exactly 30 s
    window = torch.hann_window(N_FFT, dtype=dtype)  # periodic Hann, 25 ms
    stft = torch.stft(audio, N_FFT, HOP, window=window, center=True, pad_mode="reflect", return_complex=True)
    power = stft.abs() ** 2  # |X(t, f)|^2, (B, F_fft, 3001)
    mel = mel_filter_bank(n_mels).to(dtype).T @ power[..., :-1]  # drop the last frame: (B, F, 3000)
    log_spec = torch.log10(mel.clamp(min=1e-10))
    peak = log_spec.amax(dim=(1, 2), keepdim=True)  # per clip
    log_spec = torch.maximum(log_spec, peak - 8.0)  # an 80 dB dynamic range
    return ((log_spec + 4.0) / 4.0).to(torch.float32)  # roughly in [-1, 1]


def sinusoids(length: int, channels: int) -> Tensor:
    """Whisper's encoder positions: [sin(t w_i), cos(t w_i)], w_i = 10000^(-i / (C/2 - 1)): (T_a, C)."""
    step = math.log(10_000) / (channels // 2 - 1)
    inv_timescales = torch.exp(-step * torch.arange(channels // 2, dtype=torch.float64))
    t = torch.arange(length, dtype=torch.float64)[:, None] * inv_timescales[None, :]  # (T_a, C/2)
    return torch.cat([t.sin(), t.cos()], dim=1).float()  # halves, not interleaved


@dataclass
class WhisperConfig:
    n_mels: int = 80  # F
    n_audio_ctx: int = 1500  # encoder positions = 3000 frames / 2
    n_text_ctx: int = 448
    vocab_size: int = 51865
    width: int = 384  # C (Whisper tiny)
    num_heads: int = 6
    encoder_layers: int = 4
    decoder_layers: int = 4


class DecoderBlock(nn.Module):
    """Pre-LN: x += SelfAttn(LN x) (causal); x += CrossAttn(LN x, audio); x += MLP(LN x)."""

    def __init__(self, width: int, num_heads: int):
        super().__init__()
        mha = MultiHeadAttentionConfig(width, num_heads)
        self.self_attn_norm, self.self_attn = nn.LayerNorm(width), MultiHeadAttention(mha)
        self.cross_attn_norm, self.cross_attn = nn.LayerNorm(width), MultiHeadAttention(mha)
        self.mlp_norm = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: Tensor, audio: Tensor) -> Tensor:
        x = x + self.self_attn(self.self_attn_norm(x), is_causal=True)  # (B, T, C) reads earlier tokens
        h = self.cross_attn_norm(x)
        x = x + self.cross_attn(h, audio, audio)  # reads the encoded audio (B, T_a, C)
        return x + self.mlp(self.mlp_norm(x))


class Whisper(nn.Module):
    def __init__(self, cfg: WhisperConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.width
        self.conv1 = nn.Conv1d(cfg.n_mels, c, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(c, c, kernel_size=3, stride=2, padding=1)  # halves the frame rate: 20 ms
        self.register_buffer("audio_positions", sinusoids(cfg.n_audio_ctx, c), persistent=False)
        self.encoder_blocks = nn.ModuleList(
            EncoderBlock(c, cfg.num_heads, 4.0, 1e-5) for _ in range(cfg.encoder_layers)
        )  # the ViT chapter's pre-LN block
        self.encoder_norm = nn.LayerNorm(c)
        self.token_embedding = nn.Embedding(cfg.vocab_size, c)
        self.text_positions = nn.Parameter(torch.zeros(cfg.n_text_ctx, c))  # learned
        self.decoder_blocks = nn.ModuleList(DecoderBlock(c, cfg.num_heads) for _ in range(cfg.decoder_layers))
        self.decoder_norm = nn.LayerNorm(c)

    def encode(self, mel: Tensor) -> Tensor:
        """mel (B, F, 2 T_a) -> audio states (B, T_a, C)."""
        if mel.shape[1:] != (self.cfg.n_mels, 2 * self.cfg.n_audio_ctx):
            raise ValueError(
                f"expected features (B, {self.cfg.n_mels}, {2 * self.cfg.n_audio_ctx}); "
                f"got {tuple(mel.shape)}: pad or cut the audio to the full window (log_mel_spectrogram does)"
            )
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel))))  # (B, C, T_a)
        x = x.transpose(1, 2) + self.audio_positions.to(x.dtype)  # (B, T_a, C)
        for block in self.encoder_blocks:
            x = block(x)
        return self.encoder_norm(x)

    def decode(self, tokens: Tensor, audio: Tensor) -> Tensor:
        """tokens (B, T), audio states (B, T_a, C) -> decoder states (B, T, C)."""
        x = self.token_embedding(tokens) + self.text_positions[: tokens.shape[1]]  # (B, T, C)
        for block in self.decoder_blocks:
            x = block(x, audio)
        return self.decoder_norm(x)

    def forward(self, mel: Tensor, tokens: Tensor) -> Tensor:
        """Next-token logits (B, T, V); the output head is the token embedding, transposed."""
        h = self.decode(tokens, self.encode(mel))
        return h @ self.token_embedding.weight.T  # (B, T, V)
