"""Melodies synthesised from note names in pure Python: a soft music-box tone, no samples.

A melody is text such as ``"C4 C4 G4 G4 A4 A4 G4:2"``: a note name (``C``..``B``, optional
``#`` or ``b``, octave) or ``R`` for a rest, with an optional ``:beats`` (default 1).
"""

import functools
import math
import struct

RATE = 22050
_SEMITONES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}
_PARTIALS = ((1, 1.0), (2, 0.35), (3, 0.12), (4, 0.05))  # harmonic, relative amplitude


def frequency(note):
    """Frequency in Hz of a note name such as ``A4`` (440), ``C#5`` or ``Bb3``."""
    name, accidental, octave = note[0].upper(), note[1:-1], int(note[-1])
    if name not in _SEMITONES or accidental not in ("", "#", "b"):
        raise ValueError(f"bad note {note!r}")
    shift = _SEMITONES[name] + {"": 0, "#": 1, "b": -1}[accidental] + 12 * (octave - 4)
    return 440.0 * 2 ** (shift / 12)


def parse(melody):
    """``[(frequency or None for a rest, beats)]`` from melody text."""
    notes = []
    for token in melody.split():
        name, _, beats = token.partition(":")
        notes.append((None if name.upper() == "R" else frequency(name), float(beats or 1)))
    return notes


def render(melody, bpm=100, rate=RATE, volume=0.3):
    """Signed 16-bit little-endian mono PCM bytes of ``melody`` at ``bpm`` beats per minute."""
    beat = 60.0 / bpm
    frames = bytearray()
    for freq, beats in parse(melody):
        count = int(beats * beat * rate)
        if freq is None:
            frames += bytes(2 * count)
            continue
        frames += _tone(freq, count, rate, volume)
    frames += bytes(2 * int(rate * 0.5))  # let the last note ring out into silence
    return bytes(frames)


@functools.lru_cache(maxsize=256)  # tunes repeat their notes: each is computed once
def _tone(freq, count, rate, volume):
    """One note's PCM bytes: harmonics under a 10 ms attack, an exponential decay and a 30 ms
    release."""
    attack, release = int(0.01 * rate), int(0.03 * rate)
    steps = [(2 * math.pi * freq * k / rate, amp) for k, amp in _PARTIALS if freq * k < rate / 2]
    norm = volume * 32767 / sum(amp for _, amp in steps)
    samples = []
    for i in range(count):
        envelope = math.exp(-3.0 * i / rate) * min(1.0, i / attack, (count - i) / release)
        value = sum(amp * math.sin(step * i) for step, amp in steps)
        samples.append(int(norm * envelope * value))
    return struct.pack(f"<{count}h", *samples)
