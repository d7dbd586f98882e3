"""Generated 16 kHz audio for silero-vad, with known segments (no recordings can be fetched here).

Segments, in a seeded random order, separated by quiet background noise:
  "voiced": a crude vowel synthesiser: harmonics of a wandering F0 (100-220 Hz) shaped by
            formant envelopes (a, e, i, o, u, changing every 120-250 ms) and a 4-6 Hz syllable
            envelope; labelled speech-like (1)
  "tone":   a steady sine (300-1500 Hz); labelled not speech (0)
  "noise":  white noise burst; labelled not speech (0)
  silence:  background noise at -60 dBFS; labelled 0
"""
import numpy as np

SR = 16000
VOWELS = {  # F1, F2, F3 (Hz), adult male-ish
    "a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010),
    "o": (570, 840, 2410), "u": (300, 870, 2240),
}


def _formant_gain(f, formants, bw=(90, 110, 170)):
    g = np.zeros_like(f)
    for fc, b in zip(formants, bw):
        g += 1.0 / (1.0 + ((f - fc) / b) ** 2)
    return g * np.exp(-f / 4000.0)


def voiced(rng, seconds):
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(110, 180) + 30 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t) \
        + np.cumsum(rng.normal(0, 0.05, n))
    f0 = np.clip(f0, 90, 240)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    # vowel per stretch
    edges, pos = [], 0
    while pos < n:
        edges.append((pos, rng.choice(list(VOWELS))))
        pos += int(rng.uniform(0.12, 0.25) * SR)
    sig = np.zeros(n)
    for i, (start, v) in enumerate(edges):
        end = edges[i + 1][0] if i + 1 < len(edges) else n
        sl = slice(start, end)
        for k in range(1, 40):
            fk = k * f0[sl]
            sig[sl] += _formant_gain(fk, VOWELS[v]) * np.sin(k * phase[sl]) * (fk < 7500)
    rate = rng.uniform(4, 6)
    env = 0.55 + 0.45 * np.sin(2 * np.pi * rate * t + rng.uniform(0, 6.3))
    ramp = np.minimum(1, np.minimum(t, t[::-1]) / 0.03)
    sig *= env * ramp
    return 0.3 * sig / (np.abs(sig).max() + 1e-9)


def tone(rng, seconds):
    t = np.arange(int(seconds * SR)) / SR
    ramp = np.minimum(1, np.minimum(t, t[::-1]) / 0.02)
    return 0.3 * np.sin(2 * np.pi * rng.uniform(300, 1500) * t) * ramp


def noise(rng, seconds):
    return 0.1 * rng.normal(0, 1, int(seconds * SR))


def make_audio(seed=20261129, n_segments=12, with_kinds=False):
    """Returns (float32 audio, per-sample label array of 0/1[, per-sample kind]); deterministic."""
    rng = np.random.default_rng(seed)
    kinds = ["voiced"] * (n_segments // 2) + ["tone"] * (n_segments // 4) + ["noise"] * (n_segments - n_segments // 2 - n_segments // 4)
    rng.shuffle(kinds)
    parts, labels, kinds_out = [], [], []
    gap = lambda: rng.normal(0, 0.001, int(rng.uniform(0.8, 1.6) * SR))
    parts.append(gap()); labels.append(np.zeros(len(parts[-1]))); kinds_out.append(np.full(len(parts[-1]), "quiet"))
    for k in kinds:
        s = {"voiced": voiced, "tone": tone, "noise": noise}[k](rng, rng.uniform(1.0, 2.0))
        parts.append(s); labels.append(np.full(len(s), 1.0 if k == "voiced" else 0.0)); kinds_out.append(np.full(len(s), k))
        parts.append(gap()); labels.append(np.zeros(len(parts[-1]))); kinds_out.append(np.full(len(parts[-1]), "quiet"))
    audio, lab = np.concatenate(parts).astype(np.float32), np.concatenate(labels)
    return (audio, lab, np.concatenate(kinds_out)) if with_kinds else (audio, lab)
