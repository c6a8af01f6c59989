"""The offline responder's table: intents, the phrasings that trigger them, and the answers.

Patterns are regular expressions searched in ``words.normalize``-d text, tried in order (more
specific first). Answers are plain sentences a text-to-speech engine reads well; ``{toy}`` is
the toy's name. Dynamic answers (time, date, sums, animal sounds) are computed in
``responder.py``; their rows have ``answers=()`` and a ``kind``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SmallTalk:
    """One intent: ``name``, trigger ``patterns``, answers (rotated), or a dynamic ``kind``."""

    name: str
    patterns: tuple
    answers: tuple = ()
    kind: str = ""


ANIMAL_SOUNDS = {
    "cow": "moo", "dog": "woof woof", "puppy": "woof woof", "cat": "meow", "kitty": "meow",
    "kitten": "meow", "duck": "quack quack", "pig": "oink oink", "sheep": "baa baa",
    "lamb": "baa baa", "horse": "neigh", "lion": "roar", "tiger": "roar", "owl": "hoo hoo",
    "frog": "ribbit", "bird": "tweet tweet", "chicken": "cluck cluck", "hen": "cluck cluck",
    "rooster": "cock a doodle doo", "mouse": "squeak squeak", "snake": "hiss",
    "bee": "buzz buzz", "elephant": "a big trumpet, pawoo", "monkey": "ooh ooh ah ah",
    "goat": "maa", "donkey": "hee haw", "wolf": "awoo", "bear": "grr", "turkey": "gobble gobble",
}

TABLE = (
    SmallTalk("animal_sound", (r"\b(say|sound|sounds|noise|go|goes)\b",), kind="animal"),
    SmallTalk("arithmetic", (r"\b(plus|minus|times|add|take away)\b",), kind="sum"),
    SmallTalk("time", (r"\bwhat time\b", r"\bthe time\b", r"\btime is it\b"), kind="time"),
    SmallTalk("date", (r"\bwhat day\b", r"\bthe date\b", r"\bwhat is today\b",
                       r"\bwhat month\b", r"\bwhat year\b"), kind="date"),
    SmallTalk("count", (r"\bcount\b",), (
        "One, two, three, four, five, six, seven, eight, nine, ten! I did it!",)),
    SmallTalk("alphabet", (r"\balphabet\b", r"\ba b c\b", r"\babc\b"), (
        "A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X, Y and Z!",)),
    SmallTalk("joke", (r"\bjoke\b", r"\bsomething funny\b", r"\bmake me laugh\b"), (
        "Why did the teddy bear say no to dessert? Because it was already stuffed!",
        "What do you call a sleeping dinosaur? A dino snore!",
        "Why do cows wear bells? Because their horns do not work!",
        "What do elephants use to talk to each other? Elephones!",
        "Why was the little strawberry crying? Because it was in a jam!",
        "What is a cat's favourite colour? Purrple!",
    )),
    SmallTalk("story", (r"\bstory\b", r"\bstories\b", r"\bfairy tale\b"), (
        "Once upon a time, a little star was afraid of the dark. Every night the moon said: "
        "you are the light! So the little star shone bright, and all the children slept "
        "happily. The end.",
        "Once upon a time, a tiny turtle wanted to see the sea. He walked and walked, slowly "
        "but bravely, and his friends the crabs cheered him on. At last he swam in the big blue "
        "waves. The end.",
        "Once upon a time, a sleepy bear could not find his pillow. He asked the owl, the rabbit "
        "and the fox. The fox laughed: it is on your head! And the bear slept all winter. "
        "The end.",
    )),
    SmallTalk("game", (r"\bgame\b", r"\bplay with me\b", r"\bplay together\b"), (
        "Let's play! I am thinking of an animal that says moo. Can you guess what it is?",
        "Let's play Simon says! Simon says: touch your nose!",
        "Let's play a game! Clap your hands three times. One, two, three!",
    )),
    SmallTalk("unknown_song", (r"^(play|sing|put on)\b", r"\b(sing|song|songs|music)\b"), (
        "I don't know that song yet. Ask a grown-up to add it, or try another one!",)),
    SmallTalk("riddle", (r"\briddle\b", r"\bquestion for me\b"), (
        "What has four legs and says woof? A dog!",
        "What is yellow and shines in the sky? The sun!",
    )),
    SmallTalk("fact", (r"\bfact\b", r"\bsomething new\b", r"\bteach me\b"), (
        "Did you know? An octopus has three hearts!",
        "Did you know? Butterflies taste with their feet!",
        "Did you know? A group of flamingos is called a flamboyance!",
    )),
    SmallTalk("love", (r"\bi love you\b", r"\blove you\b"), (
        "I love you too! You are my best friend.",)),
    SmallTalk("like_me", (r"\bdo you like me\b", r"\bare we friends\b", r"\bbest friend\b"), (
        "Of course! You are my very best friend.",)),
    SmallTalk("goodnight", (r"\bgood ?night\b", r"\bbed ?time\b", r"\bgo(ing)? to (bed|sleep)\b",
                            r"\bsleepy\b", r"\bnight night\b"), (
        "Good night! Sleep tight and sweet dreams.",)),
    SmallTalk("morning", (r"\bgood morning\b",), ("Good morning, sunshine! Did you sleep well?",)),
    SmallTalk("bye", (r"\b(good ?)?bye\b", r"\bsee you\b", r"\bbye bye\b"), (
        "Bye bye! See you soon.",)),
    SmallTalk("thanks", (r"\bthank(s| you)\b",), ("You are welcome!",)),
    SmallTalk("sorry", (r"\bsorry\b",), ("That is okay. I am not upset.",)),
    SmallTalk("weather", (r"\bweather\b", r"\b(rain|raining|sunny|snow|snowing|cold|hot)\b"), (
        "I can not see outside from here. Can you look out of the window and tell me?",)),
    SmallTalk("how_are_you", (r"\bhow are you\b", r"\bhow do you feel\b", r"\bare you ok\b"), (
        "I am very happy, thank you! How are you?",)),
    SmallTalk("my_name", (r"\bmy name is (?P<name>\w+)",), kind="my_name"),
    SmallTalk("name", (r"\byour name\b", r"\bwho are you\b", r"\bwhat are you called\b"),
              kind="name"),
    SmallTalk("age", (r"\bhow old\b", r"\byour age\b"), (
        "I am a young toy, just a little bit old. How old are you?",)),
    SmallTalk("where_live", (r"\bwhere do you live\b", r"\bwhere are you from\b"), (
        "I live right here with you!",)),
    SmallTalk("robot", (r"\bare you (a )?(robot|real|alive|toy|human)\b",), (
        "I am a talking toy, and I am really happy to be yours.",)),
    SmallTalk("favourite_colour", (r"\bfavou?rite colou?r\b", r"\bwhat colou?r\b"), (
        "My favourite colour is blue, like the sky. What is yours?",)),
    SmallTalk("favourite_food", (r"\bfavou?rite food\b", r"\bhungry\b"), (
        "I love pretend pancakes with honey! Yummy.",)),
    SmallTalk("favourite_animal", (r"\bfavou?rite animal\b",), (
        "I like elephants, they have such big ears!",)),
    SmallTalk("favourite_song", (r"\bfavou?rite song\b",), (
        "I like all the songs you like! Ask me to play one.",)),
    SmallTalk("rainbow", (r"\brainbow\b",), (
        "Red, orange, yellow, green, blue, indigo and violet!",)),
    SmallTalk("sad", (r"\bi am (sad|unhappy|crying)\b", r"\bi feel sad\b"), (
        "Oh no. I am here for you. Do you want a hug, or a happy song?",)),
    SmallTalk("scared", (r"\b(scared|afraid)\b",), (
        "Do not worry, I am right here with you. You are very brave.",)),
    SmallTalk("bored", (r"\bbored\b",), ("Let's sing a song or hear a story! Which one?",)),
    SmallTalk("happy", (r"\bi am happy\b", r"\bi feel (good|great|happy)\b"), (
        "Yay! That makes me happy too!",)),
    SmallTalk("compliment", (r"\byou are (funny|smart|nice|cool|good|clever|cute)\b",
                             r"\bgood (job|toy)\b"), ("Thank you! You are awesome too!",)),
    SmallTalk("help", (r"\bwhat can you do\b", r"\bhelp\b"), (
        "I can play songs, tell jokes and stories, and send messages to your family. "
        "Just ask!",)),
    SmallTalk("greeting", (r"^(hi|hello|hey|hiya|howdy|yo)\b", r"\bhello\b",
                           r"\bgood (afternoon|evening)\b"), ("Hello! I am happy to hear you.",)),
    SmallTalk("yes_no", (r"^(yes|yeah|no|nope|okay|ok)$",), ("Okay!",)),
)

UNKNOWN = ("I don't know that yet. You can ask me to play a song, tell a joke, "
           "or send a message.")
SAY_AGAIN = "Sorry, can you say that again?"
