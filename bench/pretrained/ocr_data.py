"""Rendered-text OCR data set: known strings drawn with Pillow, so accuracy can be checked here.

Seeded: the same images every run. Fonts: DejaVu from the system when present (Debian's
fonts-dejavu-core), else matplotlib's bundled DejaVuSans if importable, else Pillow's own
built-in scalable font (load_default(size)). The font used is recorded in the results.
"""
import os
import random

import numpy as np
import io

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu"]
FONT_FILES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf"]

WORDS = ("invoice total order shipped account balance due date customer number amount paid "
         "north south river street market bridge station office model server latency report "
         "quality release version network storage memory window signal battery engine "
         "coffee paper garden yellow orange purple silver winter summer monday friday").split()


def fonts():
    """List of (label, callable size -> ImageFont)."""
    found = []
    for d in FONT_DIRS:
        for f in FONT_FILES:
            p = os.path.join(d, f)
            if os.path.exists(p):
                found.append((f, lambda s, p=p: ImageFont.truetype(p, s)))
    if not found:
        try:
            import matplotlib  # noqa: F401  (optional)
            p = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data/fonts/ttf/DejaVuSans.ttf")
            if os.path.exists(p):
                found.append(("matplotlib DejaVuSans.ttf", lambda s, p=p: ImageFont.truetype(p, s)))
        except ImportError:
            pass
    if not found:
        found.append(("Pillow load_default", lambda s: ImageFont.load_default(size=s)))
    return found


def random_line(rng):
    kind = rng.randrange(5)
    w = lambda: rng.choice(WORDS)
    if kind == 0:
        return f"{w().capitalize()} {w()} {rng.randrange(10, 9999)}"
    if kind == 1:
        return f"{w().upper()} #{rng.choice('ABCDEFGHJK')}{rng.randrange(1000, 99999)}"
    if kind == 2:
        return f"Total: ${rng.randrange(1, 9999)}.{rng.randrange(0, 100):02d}"
    if kind == 3:
        return f"{rng.randrange(2000, 2030)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {w()}"
    return f"{w().capitalize()} {w()} {w()}"


CANVAS = (640, 320)  # width, height: rapidocr's detector scales the short side to 736


def degrade(img, rng):
    """The "hard" set: low contrast, blur, sensor noise and JPEG artefacts, as a poor scan."""
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    a = np.asarray(img).astype(np.float32)
    a = 90 + a * rng.uniform(0.45, 0.6)  # grey paper, grey ink
    a += np.random.default_rng(rng.randrange(1 << 30)).normal(0, 10, a.shape)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=rng.randrange(25, 45))
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def make_dataset(n_images=30, seed=20261129, hard=False):
    """Returns a list of (PIL RGB image, [line strings], font label). hard: smaller text, degraded."""
    rng = random.Random(seed)
    fl = fonts()
    out = []
    for i in range(n_images):
        label, make = fl[i % len(fl)]
        size = rng.randrange(15, 21) if hard else rng.randrange(24, 38)
        font = make(size)
        n_lines = rng.randrange(1, 4)
        img = Image.new("RGB", CANVAS, (255, 255, 255))
        d = ImageDraw.Draw(img)
        lines = []
        y = rng.randrange(15, 40)
        for _ in range(n_lines):
            for _try in range(20):
                s = random_line(rng)
                if d.textlength(s, font=font) < CANVAS[0] - 40:
                    break
            x = rng.randrange(15, 35)
            shade = rng.randrange(0, 80)
            d.text((x, y), s, font=font, fill=(shade, shade, shade))
            lines.append(s)
            y += int(size * rng.uniform(1.9, 2.4))
        out.append((degrade(img, rng) if hard else img, lines, label))
    return out


def to_bgr(img):
    """rapidocr works on OpenCV-style BGR uint8 arrays."""
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
