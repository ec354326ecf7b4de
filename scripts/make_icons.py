"""Draw the installable app's icons (docs/FIELD.md, "Installable and offline"): a white
pediment on three pillars on Pilar's brand blue (pilar.css, --brand). Run once after a change
and commit the PNGs:  .venv/bin/python scripts/make_icons.py"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 93, 122)  # --brand in pilar/static/pilar/pilar.css
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "pilar" / "static" / "pilar" / "icons"


def draw(size: int, *, safe: float, rounded: bool) -> Image.Image:
    """The icon at `size` px; the drawing keeps inside the centre `safe` share of the square
    (a maskable icon's safe zone is the centre 80 % circle)."""
    scale = 4  # drawn large, then reduced: smooth edges without an anti-aliasing library
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if rounded:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=BRAND)
    else:
        d.rectangle((0, 0, s, s), fill=BRAND)
    box = s * safe
    left = (s - box) / 2
    top = (s - box) / 2

    def x(f: float) -> float:
        return left + f * box

    def y(f: float) -> float:
        return top + f * box

    d.polygon([(x(0.08), y(0.32)), (x(0.5), y(0.08)), (x(0.92), y(0.32))], fill=WHITE)
    d.rectangle((x(0.1), y(0.35), x(0.9), y(0.41)), fill=WHITE)
    for start in (0.17, 0.43, 0.69):
        d.rectangle((x(start), y(0.45), x(start + 0.14), y(0.80)), fill=WHITE)
    d.rectangle((x(0.06), y(0.84), x(0.94), y(0.92)), fill=WHITE)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, safe=0.8, rounded=True).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, safe=0.6, rounded=False).save(OUT / "icon-maskable-512.png", optimize=True)
    # iOS draws its own rounded corners and no transparency: a full square.
    draw(180, safe=0.7, rounded=False).convert("RGB").save(
        OUT / "apple-touch-icon.png", optimize=True
    )


if __name__ == "__main__":
    main()
