"""Text normalization shared by the intent matcher, the responder and the recogniser's model.

Recognisers and people write the same request differently ("Let's", "lets", "Mummy's"); every
module compares text only after ``normalize``.
"""

import re
import unicodedata

from services.speech.numbers import say_number

# Contractions are expanded so request frames need one spelling each.
CONTRACTIONS = {
    "let's": "lets", "i'd": "i would", "i'm": "i am", "i've": "i have", "i'll": "i will",
    "what's": "what is", "it's": "it is", "that's": "that is", "there's": "there is",
    "who's": "who is", "where's": "where is", "how's": "how is", "he's": "he is",
    "she's": "she is", "you're": "you are", "we're": "we are", "they're": "they are",
    "don't": "do not", "doesn't": "does not", "can't": "can not", "cannot": "can not",
    "won't": "will not", "isn't": "is not", "aren't": "are not", "didn't": "did not",
    "wanna": "want to", "gonna": "going to", "gotta": "got to", "gimme": "give me",
    "lemme": "let me", "what're": "what are", "y'all": "you all",
}
# Two-word spellings recognisers produce for one family word.
JOINED = {"grand ma": "grandma", "grand mom": "grandmom", "grand pa": "grandpa",
          "grand dad": "granddad", "mom my": "mommy", "dad dy": "daddy"}
# Family words and their homophones folded to one name (remarks are often "Dad", "Mum").
FAMILY_ALIASES = {
    **dict.fromkeys(("mom", "mommy", "mummy", "mum", "mama", "momma", "mamma", "mother", "ma",
                     "mam", "mammy", "mommie", "mumma", "mamma", "mum's", "moms", "mums"), "mom"),
    **dict.fromkeys(("dad", "daddy", "dada", "papa", "father", "pa", "pop", "pops", "dead",
                     "daddie", "dads", "dat"), "dad"),
    **dict.fromkeys(("grandma", "granny", "grandmother", "nana", "nanna", "gran", "grandmom",
                     "gramma", "grandmama", "grammy", "nan", "granma"), "grandma"),
    **dict.fromkeys(("grandpa", "grandad", "granddad", "grandfather", "gramps", "grandpop",
                     "grandpapa", "grampa", "granpa"), "grandpa"),
}
# Words before a name that do not identify anyone by themselves.
NAME_TITLES = frozenset({"uncle", "aunt", "auntie", "aunty", "mr", "mrs", "miss", "ms", "dr",
                         "cousin", "little", "big", "baby", "my", "the"})
STOPWORDS = frozenset({
    "a", "an", "the", "to", "of", "on", "in", "at", "my", "your", "our", "is", "are", "was",
    "am", "and", "or", "me", "you", "i", "it", "its", "please", "song", "songs", "music",
    "had", "has", "have", "with", "for", "some", "that", "this", "be", "do", "does", "by",
})
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?!\d)")


def normalize(text):
    """Lower-case ASCII words separated by single spaces, contractions expanded, possessive
    ``'s`` and punctuation removed, accents dropped, small numbers spelled:
    "Play Lily's song 2, please!" → "play lily song two please"."""
    text = str(text or "").replace("\u2019", "'")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("-", " ")
    text = _NUMBER.sub(lambda m: f" {say_number(int(m.group()))} ", text)
    text = _NOT_WORD.sub(" ", text)
    words = [CONTRACTIONS.get(w, w) for w in text.split()]
    text = _POSSESSIVE.sub("", " ".join(words)).replace("'", "")
    text = " ".join(text.split())
    for pair, joined in JOINED.items():
        text = re.sub(rf"\b{pair}\b", joined, text)
    return text


def tokens(text):
    """The words of ``normalize(text)``."""
    return normalize(text).split()
