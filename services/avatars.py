"""Regenerate the shipped default avatars: ``python -m services.avatars [folder]``.

Writes ``mama.jpg`` (gender 1), ``baba.jpg`` (gender 2) and ``toy.jpg`` into ``static/image/``:
simple flat faces drawn with Pillow, small enough to ship in the repository.
"""

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
SIZE = 256
# name: (background, face, hair or ears)
AVATARS = {
    "mama.jpg": ((250, 205, 220), (255, 224, 196), (120, 60, 40)),
    "baba.jpg": ((190, 215, 245), (240, 205, 170), (50, 40, 35)),
    "toy.jpg": ((255, 236, 170), (205, 150, 95), (165, 110, 65)),
}


def draw_avatar(name):
    """Draw the avatar ``name`` (a key of ``AVATARS``) and return it as an RGB image."""
    background, face, accent = AVATARS[name]
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    if name == "toy.jpg":
        for x in (48, 160):  # bear ears
            draw.ellipse((x, 30, x + 48, 78), fill=accent)
    elif name == "mama.jpg":
        draw.ellipse((36, 36, 220, 236), fill=accent)  # long hair behind the face
    else:
        draw.chord((58, 38, 198, 150), 180, 360, fill=accent)  # short hair
    draw.ellipse((64, 56, 192, 184), fill=face)
    for x in (96, 144):
        draw.ellipse((x - 8, 104, x + 8, 120), fill=(40, 30, 30))
    draw.arc((100, 120, 156, 160), 20, 160, fill=(150, 50, 50), width=5)
    if name == "toy.jpg":
        draw.ellipse((118, 128, 138, 142), fill=(60, 40, 30))  # nose
    return image


def make_avatars(folder):
    """Write every default avatar as a small JPEG into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in AVATARS:
        path = folder / name
        draw_avatar(name).save(path, "JPEG", quality=80, optimize=True)
        paths.append(path)
    return paths


def main(argv=None):
    """Command-line entry: optional target folder (default ``static/image``)."""
    args = sys.argv[1:] if argv is None else argv
    for path in make_avatars(Path(args[0]) if args else ROOT / "static" / "image"):
        sys.stdout.write(f"{path} {path.stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
