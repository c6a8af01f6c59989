"""Intent matching tables: play, message, chat, near misses, pronouns and homophones."""

import pytest

from services.speech.intents import (
    Chat,
    Context,
    Friend,
    Message,
    Play,
    Song,
    Unknown,
    best_title,
    canonical_name,
    match_intent,
)
from services.speech.words import normalize

TITLES = ["Twinkle Twinkle Little Star", "Baa Baa Black Sheep", "Old MacDonald Had a Farm",
          "The Wheels on the Bus", "Happy Birthday", "Mary Had a Little Lamb",
          "Five Little Monkeys", "You Are My Sunshine", "Humpty Dumpty", "Baby Shark",
          "Row Row Row Your Boat", "Itsy Bitsy Spider"]
SONGS = tuple(Song(t, f"{t.lower().replace(' ', '_')}.mp3") for t in TITLES)
DAD = Friend("u-dad", remark="Dad", nickname="Robert", friend_type="app")
MUM = Friend("u-mum", remark="Mummy", nickname="Alice", friend_type="app")
GRANDMA = Friend("u-gran", remark="Granny", nickname="Jane", friend_type="app")
BEAR = Friend("t-bear", remark="Lily's bear", nickname="Lily", friend_type="toy")
UNCLE = Friend("u-bob", remark="Uncle Bob", nickname="Bobby", friend_type="app")
CONTEXT = Context(songs=SONGS, friends=(DAD, MUM, GRANDMA, BEAR, UNCLE))


def music(title):
    return f"{title.lower().replace(' ', '_')}.mp3"


@pytest.mark.parametrize("said, title", [
    ("play twinkle twinkle little star", "Twinkle Twinkle Little Star"),
    ("play little star", "Twinkle Twinkle Little Star"),
    ("Play Twinkle Twinkle, please!", "Twinkle Twinkle Little Star"),
    ("I want to hear baby shark", "Baby Shark"),
    ("i wanna listen to the wheels on the bus", "The Wheels on the Bus"),
    ("sing happy birthday", "Happy Birthday"),
    ("sing me humpty dumpty", "Humpty Dumpty"),
    ("put on baa baa black sheep", "Baa Baa Black Sheep"),
    ("can you play old macdonald", "Old MacDonald Had a Farm"),
    ("could you please sing you are my sunshine", "You Are My Sunshine"),
    ("play the song five little monkeys", "Five Little Monkeys"),
    ("play the sunshine song", "You Are My Sunshine"),
    ("let's hear row row row your boat", "Row Row Row Your Boat"),
    ("i would like to hear the itsy bitsy spider", "Itsy Bitsy Spider"),
    # recognition slips: a wrong word, a merged word, a dropped word
    ("play twinkle twinkle lily star", "Twinkle Twinkle Little Star"),
    ("play old mcdonald had a farm", "Old MacDonald Had a Farm"),
    ("play baby sharks", "Baby Shark"),
    ("play itsy bitsy", "Itsy Bitsy Spider"),
    # a title said alone
    ("humpty dumpty", "Humpty Dumpty"),
    ("little star", "Twinkle Twinkle Little Star"),
    ("baa baa black sheep", "Baa Baa Black Sheep"),
    ("the wheels on the bus", "The Wheels on the Bus"),
])
def test_play_finds_the_title(said, title):
    assert match_intent(said, CONTEXT) == Play(music(title), title,
                                               match_intent(said, CONTEXT).score)


@pytest.mark.parametrize("said", [
    "play a game", "let's play a game", "play with me", "play little", "play",
    "sing", "play the piano", "play hide and seek", "i want to hear a dinosaur roar",
    "little", "you are my friend", "good night", "what is your name", "happy",
    "i love you", "tell me a story", "play football",
])
def test_near_misses_do_not_pick_a_song(said):
    assert not isinstance(match_intent(said, CONTEXT), Play)


@pytest.mark.parametrize("said", ["play a song", "sing a song", "sing me a song please",
                                  "play some music", "put on some music"])
def test_any_song_plays_the_newest(said):
    assert match_intent(said, CONTEXT) == Play(SONGS[0].music, SONGS[0].title, 100.0)


def test_no_songs_means_chat():
    empty = Context(friends=(DAD,))
    assert match_intent("play a song", empty) == Chat("play a song")
    assert match_intent("play baby shark", empty) == Chat("play baby shark")


@pytest.mark.parametrize("said, friend", [
    ("send a message to dad", DAD),
    ("talk to daddy", DAD),
    ("call my dad", DAD),
    ("tell daddy i love him", DAD),
    ("talk to dead", DAD),  # homophone the recogniser writes
    ("message papa", DAD),
    ("i want to talk to robert", DAD),
    ("send daddy a message", DAD),
    ("send a message daddy", DAD),
    ("call mommy", MUM),
    ("call mom", MUM),
    ("talk to mum", MUM),
    ("send a message to my mummy", MUM),
    ("tell mama goodnight", MUM),
    ("tell mom i love her", MUM),
    ("speak to alice", MUM),
    ("call granny", GRANDMA),
    ("talk to grandma", GRANDMA),
    ("talk to grand ma", GRANDMA),
    ("call nana", GRANDMA),
    ("send a message to lily", BEAR),
    ("talk to lily's bear", BEAR),
    ("call uncle bob", UNCLE),
    ("call bob", UNCLE),
    ("talk to bobby", UNCLE),
    ("can i talk to daddy", DAD),
    ("Let's call Mommy!", MUM),
])
def test_message_finds_the_friend(said, friend):
    intent = match_intent(said, CONTEXT)
    assert isinstance(intent, Message) and intent.friend == friend, intent


@pytest.mark.parametrize("said", [
    "tell me a joke", "tell me a story", "talk to me", "call the dog", "tell you a secret",
    "send a message to the moon", "talk to santa", "call me", "tell me about cats",
    "message", "talk to",
])
def test_message_near_misses_are_chat(said):
    assert isinstance(match_intent(said, CONTEXT), Chat)


def test_grandpa_is_not_grandma_when_both_exist():
    grandpa = Friend("u-gp", remark="Grandpa")
    context = Context(friends=(GRANDMA, grandpa))
    assert match_intent("call grandpa", context).friend == grandpa
    assert match_intent("call grandma", context).friend == GRANDMA


def test_unknown_friend_kinds_and_empty_names_are_ignored():
    nameless = Friend("x", remark="", nickname="")
    assert isinstance(match_intent("call dad", Context(friends=(nameless,))), Chat)


@pytest.mark.parametrize("said", ["", "   ", None, "!!!"])
def test_nothing_heard_is_unknown(said):
    assert isinstance(match_intent(said, CONTEXT), Unknown)


@pytest.mark.parametrize("said", ["hello", "what is your name", "what does a cow say",
                                  "how old are you", "tell me a joke"])
def test_everything_else_is_chat(said):
    assert match_intent(said, CONTEXT) == Chat(normalize(said))


def test_titles_with_numbers_and_accents():
    songs = (Song("Frère Jacques", "fj.mp3"), Song("Song 2", "s2.mp3"), Song("Song 3", "s3.mp3"))
    context = Context(songs=songs)
    assert match_intent("play frere jacques", context).music == "fj.mp3"
    assert match_intent("play song two", context).music == "s2.mp3"
    assert match_intent("play song three", context).music == "s3.mp3"


def test_identical_titles_are_not_ambiguous():
    songs = (Song("Baby Shark", "a.mp3"), Song("baby shark", "b.mp3"))
    assert best_title("baby shark", songs, 70)[0].music == "a.mp3"


def test_ambiguous_titles_pick_nothing():
    songs = (Song("Little Star", "a.mp3"), Song("Little Stars", "b.mp3"))
    assert best_title("little star", songs, 70)[0].music == "a.mp3"
    assert best_title("little", (Song("Little Lamb", "a"), Song("Little Monkey", "b")), 70) \
        is None


@pytest.mark.parametrize("name, canonical", [
    ("My Daddy", "dad"), ("mummy", "mom"), ("Mum", "mom"), ("grand ma", "grandma"),
    ("Granny", "grandma"), ("Grandad", "grandpa"), ("Uncle Bob", "uncle bob"),
    ("Lily's Bear", "lily bear"),
])
def test_canonical_names(name, canonical):
    assert canonical_name(name) == canonical


@pytest.mark.parametrize("text, normal", [
    ("Let's play!", "lets play"), ("I'd like to hear it", "i would like to hear it"),
    ("Mummy’s song", "mummy song"), ("wanna hear", "want to hear"),
    ("  Twinkle-twinkle   ", "twinkle twinkle"), ("Frère Jacques", "frere jacques"),
    ("Song 2", "song two"), ("Track 2024 ✨", "track 2024"),
])
def test_normalize(text, normal):
    assert normalize(text) == normal
