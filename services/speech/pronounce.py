"""Pronunciations for words the recogniser's dictionary lacks (names, made-up song words).

pocketsphinx 5 ships the CMU dictionary but no grapheme-to-phoneme model. A missing word is
first split into known words ("macdonald" → "mac" + "donald", "dickory" → "dick" + "ory"?
only when both parts are known), else spelled with the letter-to-sound rules below: greedy,
longest grapheme first, CMU/ARPAbet phones. Approximate, but names are short and the language
model around them carries most of the weight; a word that cannot be spelled at all is left out.
"""

# Longest graphemes first; a crude but serviceable English letter-to-sound table.
GRAPHEMES = (
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("ough", "AO"), ("augh", "AO"),
    ("eigh", "EY"), ("tion", "SH AH N"), ("sion", "ZH AH N"), ("ture", "CH ER"),
    ("ck", "K"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("wh", "W"),
    ("qu", "K W"), ("ng", "NG"), ("kn", "N"), ("wr", "R"), ("gh", "G"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("oi", "OY"),
    ("oy", "OY"), ("ai", "EY"), ("ay", "EY"), ("au", "AO"), ("aw", "AO"), ("ie", "IY"),
    ("ey", "IY"), ("ei", "EY"), ("oa", "OW"), ("ue", "UW"), ("ew", "UW"),
    ("ar", "AA R"), ("er", "ER"), ("ir", "ER"), ("ur", "ER"), ("or", "AO R"),
    ("ll", "L"), ("ss", "S"), ("tt", "T"), ("pp", "P"), ("bb", "B"), ("dd", "D"),
    ("ff", "F"), ("gg", "G"), ("mm", "M"), ("nn", "N"), ("rr", "R"), ("zz", "Z"),
    ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"),
    ("h", "HH"), ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"),
    ("o", "AA"), ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"),
    ("v", "V"), ("w", "W"), ("x", "K S"), ("y", "IY"), ("z", "Z"),
    ("0", ""), ("1", ""), ("2", ""), ("3", ""), ("4", ""), ("5", ""), ("6", ""), ("7", ""),
    ("8", ""), ("9", ""),
)
_SOFT_C = "eiy"


def letter_to_sound(word):
    """ARPAbet phones for ``word`` by the greedy rules above ("" if nothing can be said)."""
    word = word.lower()
    phones, i = [], 0
    while i < len(word):
        for graph, sound in GRAPHEMES:
            if word.startswith(graph, i):
                if graph == "c" and word[i + 1:i + 2] in tuple(_SOFT_C):
                    sound = "S"
                if graph == "e" and i == len(word) - 1 and i > 1:
                    sound = ""  # silent final e ("bake")
                if graph == "y" and i == 0:
                    sound = "Y"
                phones.extend(sound.split())
                i += len(graph)
                break
        else:
            i += 1  # a character with no rule is skipped
    return " ".join(_dedupe(phones))


def _dedupe(phones):
    """Collapse immediate repeats ("K K" from "ck" + "k")."""
    out = []
    for phone in phones:
        if not out or out[-1] != phone:
            out.append(phone)
    return out


def compound(word, lookup, shortest=2):
    """Phones of ``word`` as two dictionary words joined, or None (``lookup``: word → phones)."""
    for cut in range(len(word) - shortest, shortest - 1, -1):
        head, tail = lookup(word[:cut]), lookup(word[cut:])
        if head and tail:
            return f"{head} {tail}"
    return None


def pronounce(word, lookup):
    """Phones for ``word``: the dictionary's, a compound of known words, or letter-to-sound
    rules; ``None`` when nothing sayable is left."""
    return lookup(word) or compound(word, lookup) or letter_to_sound(word) or None
