"""Where poppler finds the words of a PDF: for tests that a wrapped block overlaps nothing."""

import re
import subprocess
from pathlib import Path


def word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, float, str]]:
    """Every word poppler finds on the last page, with its box (x0, y0, x1, y1)."""
    path = tmp_path / "boxes.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True)
    html = out.stdout.decode()
    last = html.rsplit("<page ", 1)[1]
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)'
    return [
        (float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(pattern, last)
    ]


def overlapping(boxes) -> list[tuple[str, str]]:
    pairs = []
    for i, (ax0, ay0, ax1, ay1, aw) in enumerate(boxes):
        for bx0, by0, bx1, by1, bw in boxes[i + 1 :]:
            # A hair of tolerance: neighbouring glyph boxes of one line may touch.
            if ax0 < bx1 - 0.5 and bx0 < ax1 - 0.5 and ay0 < by1 - 0.5 and by0 < ay1 - 0.5:
                pairs.append((aw, bw))
    return pairs
