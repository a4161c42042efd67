"""Draw the brand images in custom_components/order_tracker/brand/ (Pillow, simple shapes).

    .venv/bin/python docs/brand.py

A parcel on a dashed route, with a green check: an order followed until it is done. Home
Assistant (>= 2026.3) serves these files itself; HACS checks that brand/icon.png exists.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "order_tracker" / "brand"
SCALE = 4  # drawn this much larger, then scaled down: smooth edges

BOX_TOP = (246, 193, 119)
BOX_LEFT = (224, 154, 62)
BOX_RIGHT = (201, 127, 42)
TAPE = (255, 226, 173)
EDGE = (120, 72, 20)
ROUTE = (3, 169, 244)  # Home Assistant's blue
CHECK_GREEN = (46, 158, 91)
WHITE = (255, 255, 255)
TEXT_LIGHT_BG = (33, 33, 33)
TEXT_DARK_BG = (241, 241, 241)

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def _mark(size: int) -> Image.Image:
    """The square mark at `size` px: route, parcel, check badge; transparent background."""
    s = size * SCALE
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def p(x: float, y: float) -> tuple[float, float]:
        return (x * s, y * s)

    # The route: a dashed path from the lower left up to the parcel, with a start dot.
    route = [p(0.08, 0.86), p(0.2, 0.78), p(0.26, 0.66), p(0.36, 0.6)]
    dash = max(1, round(0.028 * s))
    for start, end in itertools.pairwise(route):
        steps = 3
        for i in range(steps):
            a = i / steps
            b = a + 0.55 / steps
            draw.line(
                [
                    (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a),
                    (start[0] + (end[0] - start[0]) * b, start[1] + (end[1] - start[1]) * b),
                ],
                fill=ROUTE,
                width=dash,
            )
    r = 0.045 * s
    x, y = p(0.08, 0.86)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=ROUTE)

    # The parcel, drawn as three faces of a cube seen from above.
    top = [p(0.56, 0.1), p(0.92, 0.26), p(0.56, 0.42), p(0.2, 0.26)]
    left = [p(0.2, 0.26), p(0.56, 0.42), p(0.56, 0.86), p(0.2, 0.7)]
    right = [p(0.56, 0.42), p(0.92, 0.26), p(0.92, 0.7), p(0.56, 0.86)]
    width = max(1, round(0.016 * s))
    for face, colour in ((left, BOX_LEFT), (right, BOX_RIGHT), (top, BOX_TOP)):
        draw.polygon(face, fill=colour, outline=EDGE, width=width)
    # Packing tape across the lid and down the front.
    tape = [p(0.36, 0.17), p(0.42, 0.145), p(0.78, 0.305), p(0.72, 0.33)]
    draw.polygon(tape, fill=TAPE)
    draw.polygon([p(0.72, 0.33), p(0.78, 0.305), p(0.78, 0.49), p(0.72, 0.515)], fill=TAPE)

    # The check badge, over the parcel's lower right corner.
    cx, cy, radius = 0.76 * s, 0.76 * s, 0.2 * s
    ring = 0.035 * s
    draw.ellipse(
        (cx - radius - ring, cy - radius - ring, cx + radius + ring, cy + radius + ring),
        fill=WHITE,
    )
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=CHECK_GREEN)
    check = [
        (cx - 0.5 * radius, cy + 0.02 * radius),
        (cx - 0.12 * radius, cy + 0.4 * radius),
        (cx + 0.55 * radius, cy - 0.38 * radius),
    ]
    draw.line(check, fill=WHITE, width=round(0.2 * radius), joint="curve")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, px)
    return ImageFont.load_default(px)


def _logo(height: int, text_colour: tuple[int, int, int]) -> Image.Image:
    """The mark and the words "Order Tracker", `height` px high, trimmed to its content."""
    mark = _mark(height)
    font = _font(round(height * 0.36))
    text = "Order Tracker"
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    gap = round(height * 0.12)
    width = height + gap + (right - left)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.alpha_composite(mark, (0, 0))
    draw = ImageDraw.Draw(image)
    y = (height - (bottom - top)) / 2 - top
    draw.text((height + gap - left, y), text, font=font, fill=text_colour)
    return image


def main() -> None:
    """Write icon, logo and their @2x and dark variants."""
    BRAND.mkdir(parents=True, exist_ok=True)
    _mark(256).save(BRAND / "icon.png", optimize=True)
    _mark(512).save(BRAND / "icon@2x.png", optimize=True)
    _logo(128, TEXT_LIGHT_BG).save(BRAND / "logo.png", optimize=True)
    _logo(256, TEXT_LIGHT_BG).save(BRAND / "logo@2x.png", optimize=True)
    _logo(128, TEXT_DARK_BG).save(BRAND / "dark_logo.png", optimize=True)
    _logo(256, TEXT_DARK_BG).save(BRAND / "dark_logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
