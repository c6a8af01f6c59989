"""Demo catalogue: public-domain nursery tunes synthesised locally, each with a drawn cover.

Used by ``flask --app app content demo`` so a new server has songs in one command. The melodies
are traditional (public domain); the audio is made by ``services.audio.synth`` and the covers by
Pillow, so nothing is downloaded and no third-party recording is shipped.
"""

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

COVER_SIZE = 320


@dataclass(frozen=True)
class Tune:
    """A demo song: ``title``, ``melody`` (see ``services.audio.synth``), tempo, cover colour."""

    title: str
    melody: str
    bpm: int
    colour: tuple


_TWINKLE_A = "C4 C4 G4 G4 A4 A4 G4:2 F4 F4 E4 E4 D4 D4 C4:2"
_TWINKLE_B = "G4 G4 F4 F4 E4 E4 D4:2"
_JACQUES = ("C4 D4 E4 C4 " * 2 + "E4 F4 G4:2 " * 2
            + "G4:0.5 A4:0.5 G4:0.5 F4:0.5 E4 C4 " * 2 + "C4 G3 C4:2 " * 2)
_LONDON = "G4:1.5 A4:0.5 G4 F4 E4 F4 G4:2 D4 E4 F4:2 E4 F4 G4:2"

TUNES = (
    Tune("Twinkle Twinkle Little Star",
         f"{_TWINKLE_A} {_TWINKLE_B} {_TWINKLE_B} {_TWINKLE_A}", 110, (38, 52, 120)),
    Tune("Mary Had a Little Lamb",
         "E4 D4 C4 D4 E4 E4 E4:2 D4 D4 D4:2 E4 G4 G4:2 "
         "E4 D4 C4 D4 E4 E4 E4 E4 D4 D4 E4 D4 C4:4", 120, (196, 84, 120)),
    Tune("Frere Jacques", _JACQUES, 120, (46, 139, 87)),
    Tune("Row Row Row Your Boat",  # 6/8, counted in eighth notes
         "C4:3 C4:3 C4:2 D4:1 E4:3 E4:2 D4:1 E4:2 F4:1 G4:6 "
         "C5 C5 C5 G4 G4 G4 E4 E4 E4 C4 C4 C4 G4:2 F4:1 E4:2 D4:1 C4:6", 300, (30, 120, 170)),
    Tune("London Bridge", f"{_LONDON} {_LONDON.rsplit(' ', 6)[0]} D4:2 G4:2 E4 C4:3", 120,
         (210, 120, 40)),
)


def draw_cover(tune, path):
    """Write a square PNG cover for ``tune`` to ``path`` (or a binary stream): a colour field,
    a star or notes, the title."""
    size = COVER_SIZE
    image = Image.new("RGB", (size, size), tune.colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 70) for c in tune.colour)
    for ring in range(3):  # soft concentric circles behind the symbol
        radius = size * (0.42 - ring * 0.1)
        centre = size / 2, size * 0.4
        draw.ellipse([centre[0] - radius, centre[1] - radius, centre[0] + radius,
                      centre[1] + radius], outline=light, width=3)
    if "Star" in tune.title:
        draw.polygon(_star(size / 2, size * 0.4, size * 0.2, size * 0.08), fill=(255, 221, 87))
    else:
        _notes(draw, size)
    font = _font(24)
    lines = _wrap(draw, tune.title, font, size - 30)
    top = size * 0.74
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((size - width) / 2, top), line, font=font, fill="white")
        top += 30
    image.save(path, "PNG")


def _star(cx, cy, outer, inner, points=5):
    vertices = []
    for i in range(points * 2):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / points * i - math.pi / 2
        vertices.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return vertices


def _notes(draw, size):
    """Two beamed eighth notes."""
    white = (255, 255, 255)
    for x, y in ((size * 0.38, size * 0.5), (size * 0.6, size * 0.46)):
        draw.ellipse([x - 22, y - 15, x + 22, y + 15], fill=white)
        draw.rectangle([x + 16, y - 95, x + 22, y], fill=white)
    draw.polygon([(size * 0.38 + 16, size * 0.5 - 95), (size * 0.6 + 22, size * 0.46 - 95),
                  (size * 0.6 + 22, size * 0.46 - 75), (size * 0.38 + 16, size * 0.5 - 75)],
                 fill=white)


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without scalable default font
        return ImageFont.load_default()


def _wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line]
