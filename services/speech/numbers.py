"""Small whole numbers between words and ints, for spoken sums and times ("twenty one")."""

UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_VALUES = {**{w: i for i, w in enumerate(UNITS)},
           **{w: 10 * i for i, w in enumerate(TENS) if i > 1}}
_HOMOPHONES = {"to": 2, "too": 2, "for": 4, "won": 1, "ate": 8, "tree": 3, "free": 3}


def say_number(n):
    """``n`` (an int) in words for 0-999 ("one hundred and five"); digits beyond that."""
    if n < 0 or n > 999:
        return str(n)
    if n < 20:
        return UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS[tens] + (f" {UNITS[unit]}" if unit else "")
    hundreds, rest = divmod(n, 100)
    return f"{UNITS[hundreds]} hundred" + (f" and {say_number(rest)}" if rest else "")


def parse_number(phrase):
    """The number that ``phrase`` starts with (digits, or words up to 999), or None.

    Recognisers write "two" as "to" or "too", "four" as "for": a lone such word counts.
    """
    words = str(phrase).split()
    if not words:
        return None
    if words[0].isdigit():
        return int(words[0])
    if words[0] in _HOMOPHONES and (len(words) == 1 or words[1] not in _VALUES):
        return _HOMOPHONES[words[0]]
    return _parse_words(words)


def _parse_words(words):
    """Leading number words of ``words`` as an int, or None."""
    total, current, seen = 0, 0, False
    for word in words:
        if word == "hundred" and seen:
            current *= 100
        elif word == "and" and seen:
            continue
        elif word in _VALUES:
            current += _VALUES[word]
            seen = True
        else:
            break
    return total + current if seen else None
