"""The recogniser's domain language: sentences a child says to the toy, built from the
request frames, the current content titles, the toy's friends and the small-talk phrases.

Generic recognition models do badly on short commands; a model trained on exactly these
sentences (an ARPA trigram built with pocketsphinx's own ``ArpaBoLM``) does well. ``Vocabulary``
is the hashable input; ``corpus`` the sentences; ``arpa`` the model text.
"""

import hashlib
import io
from dataclasses import dataclass

from pocketsphinx.lm import ArpaBoLM

from services.speech.words import FAMILY_ALIASES, tokens

# Short messages a child asks the toy to pass on ("tell mom i love her"): the request is to
# talk to that friend, whatever follows the name.
MESSAGES_SAID = ("i love you", "i love her", "i love him", "i miss you", "i miss her",
                 "i miss him", "good night", "good morning")
PLAY_FRAMES = ("play {}", "play {} please", "please play {}", "can you play {}", "sing {}",
               "sing me {}", "can you sing {}", "i want to hear {}", "i want to listen to {}",
               "put on {}", "play the song {}", "lets sing {}", "{}", "i would like to hear {}",
               "can you put on {}", "lets listen to {}", "play me {}", "could you play {}",
               "i want {}", "i want the {}", "sing {} for me", "can you sing {} for me",
               "could you sing {} for me", "play {} for me", "could you play {} for me",
               "will you sing {}")
MESSAGE_FRAMES = ("send a message to {}", "talk to {}", "tell {}", "call {}", "message {}",
                  "i want to talk to {}", "can i talk to {}", "send {} a message",
                  "i want to send a message to {}", "speak to {}", "i want to call {}",
                  "let me talk to {}", "can you call {}", "say hello to {}", "tell {} hello",
                  *(f"tell {{}} {said}" for said in MESSAGES_SAID))
GENERIC_PLAY = ("play a song", "sing a song", "play some music", "sing me a song",
                "play music", "put on some music")
CHAT_PHRASES = (
    "hello", "hi", "hey there", "good morning", "what is your name", "who are you",
    "how old are you", "what time is it", "what day is it today", "what is the date",
    "tell me a joke", "tell me another joke", "say something funny", "i love you",
    "do you like me", "tell me a story", "tell me a bedtime story", "good night",
    "i am going to bed", "thank you", "thanks", "what is the weather like", "is it raining",
    "how are you", "bye bye", "goodbye", "lets play a game", "play a game", "can we play a game",
    "count to ten", "sing the alphabet", "what is two plus two", "what is three times four",
    "my name is sam", "i am sad", "i am happy", "i am scared", "i am bored", "i am hungry",
    "what is your favorite color", "what is your favorite food", "what is your favorite animal",
    "tell me a fun fact", "tell me a riddle", "are you a robot", "where do you live",
    "what can you do", "you are funny", "sorry", "what colors are in a rainbow", "yes", "no",
    "okay", "help me", "thank you very much", "what is your favorite song", "i am tired",
    "you are my friend", "sing me the alphabet", "tell me something", "where are you",
)
ANIMALS = ("cow", "dog", "cat", "duck", "pig", "sheep", "horse", "lion", "owl", "frog",
           "bird", "chicken", "mouse", "snake", "bee", "elephant", "monkey", "goat")
ANIMAL_FRAMES = ("what does a {} say", "what sound does a {} make", "how does a {} go")
_FAMILY_WORDS = ("mom", "mommy", "mummy", "mum", "dad", "daddy", "grandma", "grandpa",
                 "granny", "nana")


@dataclass(frozen=True)
class Vocabulary:
    """What the recogniser should expect: content ``titles`` and friends' ``names``."""

    titles: tuple = ()
    names: tuple = ()

    @classmethod
    def of(cls, titles, names):
        """A normalized, sorted, de-duplicated vocabulary (so equal inputs hash equally)."""
        clean_titles = sorted({" ".join(tokens(t)) for t in titles} - {""})
        clean_names = sorted({" ".join(tokens(n)) for n in names} - {""})
        return cls(tuple(clean_titles), tuple(clean_names))

    def key(self):
        """A short stable hash naming this vocabulary's model."""
        text = "\n".join(("t:" + "|".join(self.titles), "n:" + "|".join(self.names)))
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def title_spans(title, shortest=2):
    """The title and each run of at least ``shortest`` of its words ("little star")."""
    words = title.split()
    spans = {title}
    for start in range(len(words)):
        for end in range(start + shortest, len(words) + 1):
            spans.add(" ".join(words[start:end]))
    return sorted(spans)


def name_forms(name):
    """How a child names a friend: "dad", "my dad", and family synonyms ("daddy")."""
    forms = {name, f"my {name}"}
    canonical = FAMILY_ALIASES.get(name)
    if canonical:
        forms.update(w for w in _FAMILY_WORDS if FAMILY_ALIASES.get(w) == canonical)
    return sorted(forms)


def corpus(vocabulary):
    """All training sentences for ``vocabulary`` (lower case, one per item)."""
    sentences = list(CHAT_PHRASES) + list(GENERIC_PLAY)
    sentences += [f.format(a) for a in ANIMALS for f in ANIMAL_FRAMES]
    for title in vocabulary.titles:
        sentences += [f.format(title) for f in PLAY_FRAMES]
        sentences += [f"play {span}" for span in title_spans(title) if span != title]
        sentences += [span for span in title_spans(title) if span != title]
    for name in vocabulary.names:
        for form in name_forms(name):
            sentences += [f.format(form) for f in MESSAGE_FRAMES]
    return sentences


# Probability mass kept for word sequences never seen in the corpus. Measured with
# bench/speech_accuracy.py: 0.5 (the builder's default) 74 % intent accuracy, 0.1 77 %,
# 0.02 80 %, lower no better; a little mass stays so unseen phrasings still decode.
DISCOUNT_MASS = 0.02


def arpa(sentences, discount_mass=DISCOUNT_MASS):
    """An ARPA back-off trigram model (text) trained on ``sentences``."""
    model = ArpaBoLM(text="\n".join(sentences), add_start=True, discount_mass=discount_mass)
    model.compute()
    out = io.StringIO()
    model.write(out)
    return out.getvalue()


def words_of(sentences):
    """The distinct words of ``sentences``, sorted."""
    return sorted({w for s in sentences for w in s.split()})
