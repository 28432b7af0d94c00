"""Hold possibly abusive card text for the teacher's review. Flagging never deletes anything.

A card is held when it has a slur, strong profanity, or an abusive phrase: an insult aimed at
someone ("you're so stupid", "what a loser"), a threat, incitement to self-harm, or hate aimed
at a group. Words that are only sometimes vulgar ("dick", "fanny", "cock", "bitch") are held
only inside such a phrase, so names, animals and places pass; words that merely contain a listed
word ("Scunthorpe", "cocktail", "assassin") never match, because whole words are compared.
Identity words (gay, trans, Muslim, Black, autistic...) are on no list: a student saying who
they are is never held. Only the slur forms are listed.

Obfuscation is undone only in ways that cannot turn an ordinary word into a listed one:
look-alike letters and accents are folded; digits and symbols are read as letters only inside a
word that also has letters ("sh1t", "b!tch"); a repeated letter matches a single one only where
the listed word has that letter ("fuuuck" is "fuck", "cook" is not "cock", "Niger" is not the
slur); spaced or dotted single letters ("f.u.c.k", "k y s") are joined only when the joined
letters are listed; "*" masks letters only when two real letters remain ("f*ck").

English only: text in other languages passes (the class's approval setting still applies).
Plain Python, no Flask or Socket.IO; 20 to 200 µs per card (docs/PERFORMANCE.md).

Size: about 230 lines of word lists and patterns and 260 of the reading rules that use them.
They stay together: whoever reviews a list must see how it is read, and a rule change must be
checked against every list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

# ---- lexicon ---------------------------------------------------------------------------------
SLUR = "slur"              # always held
VULGAR = "vulgar"          # strong profanity with no ordinary meaning: always held
INSULT = "insult"          # held when aimed: "you (are a) ...", "what a ...", "he is a ..."
AMBIGUOUS = "ambiguous"    # also a name, animal or plain word: held only when aimed
AT_YOU = "at_you"          # held only when said to someone: "you (are a) ..."
ADJECTIVE = "adjective"    # held only when said of someone: "you are so ...", "she is ..."
_ORDER = (SLUR, VULGAR, INSULT, AMBIGUOUS, AT_YOU, ADJECTIVE)
_ALWAYS = frozenset({SLUR, VULGAR})


Trie = dict[str, "Trie"]  # letter -> the rest of the words; "" marks a word's end

def _plurals(*bases: str) -> tuple[str, ...]:
    return tuple(form for base in bases
                 for form in (base, base + ("es" if base.endswith(("s", "sh", "ch")) else "s")))


LEXICON: dict[str, tuple[str, ...]] = {
    SLUR: (
        *_plurals("nigger", "nigga", "niggah", "nigguh", "niggaz", "negroid", "chink", "gook",
                  "spic", "spick", "wetback", "beaner", "kike", "raghead", "towelhead",
                  "sandnigger", "paki", "jap", "wop", "dago", "gyppo", "pikey", "faggot",
                  "fagot", "faggit", "fag", "fagz", "tranny", "trannie", "shemale", "retard",
                  "libtard", "tard", "spaz", "spazz", "spacker", "mongoloid", "golliwog",
                  "darkie", "darky", "halfbreed", "zipperhead"),
        "retarded", "faggy",
    ),
    VULGAR: (
        *_plurals("fuck", "fuk", "fck", "fcuk", "phuck", "fuq", "motherfucker", "mothafucka",
                  "muthafucka", "fucker", "fuckface", "fuckhead", "fuckwit", "fucktard", "cunt",
                  "twat", "wanker", "shit", "shithead", "bullshit", "dipshit", "horseshit",
                  "shitface", "asshole", "arsehole", "dumbass", "jackass", "dickhead",
                  "dickface", "bellend", "knobhead", "cocksucker", "slut", "whore", "skank",
                  "douchebag", "bollock", "thot", "jizz", "dildo", "blowjob", "handjob",
                  "porn", "nude", "fuckoff"),
        "fucking", "fuckin", "fucked", "fking", "fkin", "fuking", "fukin", "fuckyou", "fku",
        "stfu", "gtfo", "wtf", "shitty", "shitting", "shitted", "wank", "wanking", "wanked",
        "slutty", "skanky", "cunty", "pissoff", "porno", "sexting",
    ),
    INSULT: _plurals("idiot", "moron", "loser", "imbecile", "cretin", "weirdo", "jerk",
                     "scumbag", "scum", "creep", "doofus", "numpty", "pillock", "lowlife",
                     "degenerate", "bastard", "tosser", "fatso", "lardass", "dumbo", "halfwit",
                     "nitwit", "dimwit", "airhead", "bimbo"),
    AMBIGUOUS: (
        *_plurals("dick", "cock", "prick", "fanny", "pussy", "ass", "arse", "bitch", "tit",
                  "knob", "willy", "turd", "douche", "butt", "slag", "hoe", "ho"),
        "pussies", "titties",
    ),
    AT_YOU: _plurals("pig", "cow", "dog", "rat", "snake", "donkey", "monkey", "ape", "gorilla",
                     "whale", "hippo", "worm", "cockroach", "roach", "slug", "swine", "beast",
                     "animal", "vermin", "parasite", "leech", "freak", "psycho", "schizo",
                     "failure", "disgrace", "mistake", "trash", "garbage", "rubbish", "clown",
                     "nobody", "reject", "simp", "incel", "midget", "cripple", "spastic", "mong",
                     "homo", "lesbo", "dyke", "nonce", "dummy", "muppet", "joke", "embarrassment"),
    ADJECTIVE: ("stupid", "dumb", "ugly", "fat", "worthless", "useless", "pathetic",
                "disgusting", "gross", "hideous", "brainless", "smelly", "stinky", "filthy",
                "unwanted", "unloved", "hopeless", "repulsive", "revolting", "obese", "braindead",
                "mental", "deformed", "worthless", "unlovable", "ugliest", "dumbest", "stupidest"),
}

# Identity, family, faith, nationality and disability words. None of them is ever flagged on its
# own; a test checks that none is in LEXICON, so a later edit cannot add one by mistake.
IDENTITY_WORDS = (
    "gay", "gays", "lesbian", "bi", "bisexual", "pan", "pansexual", "queer", "trans",
    "transgender", "nonbinary", "enby", "intersex", "asexual", "ace", "aro", "lgbt", "lgbtq",
    "homosexual", "straight", "cis", "black", "white", "brown", "asian", "latina", "latino",
    "latinx", "hispanic", "african", "arab", "indigenous", "native", "jewish", "jew", "jews",
    "muslim", "islam", "christian", "catholic", "hindu", "sikh", "buddhist", "atheist", "mormon",
    "mexican", "chinese", "japanese", "korean", "vietnamese", "indian", "pakistani",
    "nigerian", "niger", "nigeria", "polish", "irish", "roma", "romani", "immigrant",
    "refugee", "disabled", "deaf", "blind", "autistic", "autism", "adhd", "dyslexic",
    "wheelchair", "girl", "boy", "woman", "man", "mom", "dad", "aunt", "uncle", "grandpa",
    "grandma",
)

# Words that may stand between "you" (or "is a") and the insult: "you're such a stupid little".
_MODIFIERS = frozenset({
    "a", "an", "such", "so", "the", "total", "complete", "absolute", "utter", "real", "big",
    "biggest", "fat", "little", "lil", "stupid", "dumb", "ugly", "fucking", "fuckin", "freaking",
    "frickin", "effing", "bloody", "damn", "dirty", "filthy", "useless", "worthless", "pathetic",
    "just", "really", "very", "literally", "actually", "honestly", "truly", "most", "massive",
    "huge", "piece", "of", "sad", "lazy", "disgusting", "gross", "smelly", "brainless", "mega",
    "super", "too", "ugliest", "dumbest", "stupidest", "worst", "still", "always", "being",
})
_YOU = frozenset({"you", "u", "ya", "yu", "yous", "youse", "yall", "ye"})
_YOU_ARE = frozenset({"ur", "youre", "your", "ure"})  # "your stupid": a common misspelling
_LINKS = frozenset({"are", "r", "re", "look", "sound", "smell", "act", "seem", "were", "was",
                    "be", "become", "stay", "is"})
_THIRD_PERSON = frozenset({"is", "s", "are", "was", "were", "r"})
_ARTICLES = frozenset({"a", "an", "such", "the", "total", "complete", "absolute", "utter",
                       "real", "biggest", "massive", "huge"})
_NEGATORS = frozenset({"not", "never", "no", "nobody", "noone", "nothing", "neither", "nor",
                       "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
                       "cant", "cannot", "shouldnt", "wouldnt", "stop", "without", "aint",
                       "hardly", "if"})
# "thank you Dick", "love you Fanny", "did you see the dog": "you" is not the one addressed.
_NOT_ADDRESSED = frozenset({
    "thank", "thanks", "love", "miss", "see", "meet", "hug", "bless", "to", "with", "for",
    "tell", "told", "ask", "asked", "call", "called", "like", "help", "helped", "invite", "met",
    "saw", "visit", "are", "were", "did", "do", "does", "can", "will", "would", "have", "got",
    "congrats", "welcome", "if", "when", "could", "should", "as",
})
# Words that may follow an ambiguous or animal insult at the end of the phrase.
_PHRASE_END = frozenset({"|", "and", "lol", "haha", "lmao", "to", "ever", "you", "u", "like",
                         "too", "face", "head"})

_CONTRACTIONS = {"n't": " not", "'re": " are", "'m": " am", "'ll": " will", "'ve": " have",
                 "'d": " would", "'s": " s"}
_RUN_TOGETHER = {"dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not",
                 "arent": "are not", "wasnt": "was not", "cant": "can not", "wont": "will not",
                 "im": "i am", "ive": "i have", "ill": "i will", "youre": "you are",
                 "thats": "that s", "its": "it s", "hes": "he s", "shes": "she s",
                 "theyre": "they are", "ima": "i am going to", "imma": "i am going to",
                 "gonna": "going to", "wanna": "want to"}

# Groups that hate speech targets: used only inside the patterns below.
_GROUP_WORDS = (
    "gays", "gay people", "gay men", "lesbians", "queers", "homosexuals", "trans people",
    "trans kids", "transgenders", "muslims", "islam", "jews", "jewish people", "christians",
    "hindus", "sikhs", "blacks", "black people", "whites", "white people", "asians",
    "asian people", "mexicans", "immigrants", "refugees", "migrants", "arabs", "africans",
    "indians", "chinese people", "chinese", "latinos", "hispanics", "disabled people",
    "autistic people", "foreigners", "gypsies", "roma", "gay", "trans", "muslim", "jew",
)
_GROUPS = "(?:" + "|".join(sorted(_GROUP_WORDS, key=len, reverse=True)) + ")"
_GROUP_ANCHORS = frozenset(word for group in _GROUP_WORDS for word in group.split()
                           if word != "people")
_YOU_WORDS = "(?:you|u|ya)"

_HATE_PREDICATES = (
    "disgusting animals terrorists trash garbage evil gross subhuman criminals dirty vermin "
    "inferior disease diseased freaks sick unnatural monkeys apes rapists thieves plague "
    "parasites human hell cockroaches")
_MODALS = "should must need deserve ought have gotta"

# (anchors, pattern): a pattern is tried only when the card has a word from each "/"-separated
# group of anchors, so most cards cost a few set look-ups, not a regex scan per pattern.
# Patterns run over the normalised text (lower case, contractions expanded, " | " between
# clauses). A match right after a negator is ignored ("nobody should tell you to kill yourself").
_PATTERNS: tuple[tuple[tuple[frozenset[str], ...], re.Pattern[str]], ...] = tuple(
    (tuple(frozenset(group.split()) for group in anchors.split("/")), re.compile(pattern))
    for anchors, pattern in (
        # incitement to self-harm
        ("yourself urself yourselves yoself self",
         r"\b(?:kill|hang|drown|stab|cut|end|neck|unalive|off|shoot) (?:your ?self|ur ?self|"
         r"yourselves|yoself)\b"),
        ("kys", r"\bkys\b"),
        ("die jump bleach hang rot wrists wrist",
         r"\b(?:go|pls|please|just|plz) (?:die|jump off|drink bleach|hang|rot)\b|"
         r"\bdrink bleach\b|\bslit (?:your|ur) wrists?\b|"
         r"\bjump off a (?:bridge|building|cliff|roof)\b"),
        ("die exist disappear dead rot / you u ya",
         rf"\b{_YOU_WORDS} (?:should|deserve to|need to|ought to|better|must|should just) "
         r"(?:die|not exist|disappear|be dead|rot)\b"),
        ("hope / you u ya", rf"\bhope {_YOU_WORDS} (?:die|get hit|get cancer|get run over|rot|"
                            r"burn|choke|drown|suffer|get hurt|get beaten)\b"),
        ("without / better", rf"\b(?:world|everyone|we) (?:would be|is|will be|are|would all be) "
                             rf"better (?:off )?without {_YOU_WORDS}\b"),
        # threats
        ("kill murder stab shoot hurt punch strangle rape slap bash beat / you u ya",
         r"\b(?:i|we)(?: will| am| are| am going to| are going to| going to| want to| gon| "
         r"finna)? (?:kill|murder|stab|shoot|hurt|punch|strangle|rape|slap|bash) "
         rf"{_YOU_WORDS}\b(?! (?:a|an|the|some|my|our|at|in)\b)|"
         rf"\bbeat {_YOU_WORDS} up\b|\bbeat the \w+ out of {_YOU_WORDS}\b"),
        ("live / where", rf"\b(?:i|we) (?:know|found out|will find|will find out) where "
                         rf"{_YOU_WORDS} live"),
        ("back dead / watch meat school tomorrow",
         r"\bwatch (?:your|ur) back\b|"
         rf"\b{_YOU_WORDS}(?: are| r)? (?:so )?dead (?:meat|after school|tomorrow)\b"),
        ("rape raped raping rapist", r"\b(?:rape|raped|raping|rapist)\b"),
        # exclusion and contempt aimed at a person
        ("nobody no noone everyone everybody all / likes loves cares wants needs hates hate "
         "laughs miss / you u ya",
         r"\b(?:nobody|no one|noone|everyone|everybody|we all|all of us|nobody here) "
         r"(?:likes|loves|cares about|wants|needs|hates|hate|laughs at|would miss|will miss) "
         rf"{_YOU_WORDS}\b"),
        ("waste", rf"\b(?:{_YOU_WORDS}|ur)(?: are| r)? (?:such )?(?:a )?waste of "
                  r"(?:space|air|oxygen|life|skin)\b"),
        ("suck", rf"\b{_YOU_WORDS} suck(?: so much| so bad)?(?= \||$)|\bsuck (?:my|me|his) \w+|"
                 r"\bsuck it\b"),
        ("shut away lost off / you u ya",
         r"\b(?:shut up|shut it|shut your mouth|go away|get lost|piss off|bugger off|sod off) "
         rf"{_YOU_WORDS}(?= \||$)"),  # not "shut up you guys, I'm so excited"
        ("mom mum momma mama mother / fat ugly whore slut hoe bitch stupid dumb",
         r"\b(?:ur|your|yo|you) (?:mom|mum|momma|mama|mother) (?:is|s) (?:a |so )?"
         r"(?:fat|ugly|whore|slut|hoe|bitch|stupid|dumb)\b"),
        ("son kiss / bitch ass arse butt", r"\bson of a bitch\b|\bkiss my (?:ass|arse|butt)\b"),
        ("send show give / nudes noodz nudez tits boobs pussy dick",
         r"\b(?:send|show|give) (?:me )?(?:your |ur |us )?(?:nudes|noodz|nudez|tits|boobs|"
         r"pussy|dick)\b"),
        # hate aimed at a group (the group words alone are never flagged)
        (f"hate kill murder gas shoot burn deport exterminate ban lynch bomb death allowed / "
         f"{' '.join(sorted(_GROUP_ANCHORS))}",
         r"\b(?:hate|kill|murder|gas|shoot|burn|deport|exterminate|ban|lynch|bomb) "
         rf"(?:all |the |those |these |every )?(?:fucking )?{_GROUPS}\b(?! (?:pride|flag))|"
         rf"\bdeath to (?:all |the )?{_GROUPS}\b|\bno {_GROUPS} allowed\b"),
        (f"{' '.join(sorted(_GROUP_ANCHORS))} / {_MODALS}",
         rf"\b{_GROUPS} (?:should|must|need to|deserve to|ought to|have to|gotta) (?:all )?"
         r"(?:die|burn|be killed|be shot|be gassed|be deported|be banned|go back|not exist|"
         r"go to hell|leave|disappear|be locked up)\b"),
        (f"{' '.join(sorted(_GROUP_ANCHORS))} / {_HATE_PREDICATES}",
         rf"\b{_GROUPS} (?:are|is) (?:all |just |so |such |the |a )?(?:disgusting|animals|"
         r"terrorists|trash|garbage|evil|gross|subhuman|criminals|dirty|vermin|inferior|disease|"
         r"diseased|freaks|sick|unnatural|monkeys|apes|rapists|thieves|plague|parasites|"
         r"not human|going to hell|cockroaches)\b"),
        ("being / sin wrong disgusting gross sick unnatural disease evil illness",
         r"\bbeing (?:gay|trans|lesbian|bi|queer|black|muslim|jewish) is (?:a sin|wrong|"
         r"disgusting|gross|sick|unnatural|a disease|evil|a mental illness)\b"),
        ("gay / that this it", r"\b(?:that|this|it) (?:is |s |was )?(?:so |really |totally |"
                               r"super |such |very |too )?gay(?= \||$)"),
        ("homo / no", r"\bno homo\b"),
        ("back / country came", rf"\bgo back to (?:your|ur|where) (?:own )?(?:country|"
                                rf"{_YOU_WORDS} came from)\b"),
        ("heil hitler white kkk / heil hitler power right kkk",
         r"\b(?:heil hitler|sieg heil|white power|hitler was right|kkk)\b"),
    ))


# ---- normalisation ----------------------------------------------------------------------------

# Letters that render like Latin ones (Cyrillic, Greek, small capitals) and typographic quotes.
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "ӏ": "l", "ԛ": "q", "ԝ": "w", "һ": "h", "ո": "n", "ս": "u", "ց": "g", "ѵ": "v",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ɑ": "a", "ı": "i", "ȷ": "j", "ɩ": "i",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ғ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ц": "u", "п": "n", "г": "r",
    "ь": "b", "ʋ": "u", "ß": "ss", "æ": "ae",
    "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'",
})
_LOOKALIKE_CHARS = re.compile("[" + re.escape("".join(map(chr, _LOOKALIKES))) + "]")
# Digits and symbols read as letters, only inside a word that also has letters. "1", "|" and
# "!" may be an i or an l: both readings are tried.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "i", "+": "t", "€": "e", "9": "g", "8": "b",
                       "6": "g", "2": "z"})
_LEET_L = str.maketrans({"1": "l", "|": "l", "!": "l"})
# Combining marks (accents once decomposed) and invisible format characters (zero-width
# spaces and joiners, direction marks, soft hyphens, tag characters).
_MARKS_AND_INVISIBLES = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f"
    "\ufe20-\ufe2f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\U000e0000-\U000e007f]")
_HAS_LEET = re.compile(r"[0-9@$!|+€]")
_REPEATED = re.compile(r"(.)\1")
_CONTRACTION = re.compile(r"(?<=[a-z])(n't|'re|'m|'ll|'ve|'d|'s)(?![a-z])")
# Inside a word: separators between its parts ("mother-fucker", "f.u.c.k", "you,idiot").
_SEPARATORS = re.compile(r"[\s._\-~·•'+,;:?/\\()\[\]{}<>\"…]+")
# A word ending in one of these ends a clause; a lone dash is a clause break.
_CLAUSE_PUNCTUATION = frozenset(".!?;:,…\")]}")
_DASHES = frozenset({"-", "--", "–", "—"})
# Three or more one-letter words in a row: maybe a spelled-out word ("f u c k").
# Cheap scans first (a literal start lets the regex engine skip ahead); the full one is slow.
_MAYBE_SPELLED_OUT = re.compile(r" \S \S[ .,!?;:…]")
_SPELLED_OUT_START = re.compile(r"\S \S ")
_SPELLED_OUT = re.compile(r"(?<!\S)\S(?:[ \t]+\S(?=[\s.,!?;:…]|$)){2,}")
_TRIM = ".,!?;:'\"-_~()[]{}<>…"
_NOT_LETTERS = re.compile(r"[^a-z]")


def _fold(text: str) -> str:
    """Lower case, look-alikes and accents folded, invisible format characters dropped."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    # str.translate walks every character in Python-level steps: only replace what matches.
    text = _LOOKALIKE_CHARS.sub(lambda m: _LOOKALIKES[ord(m.group(0))], text)
    return _MARKS_AND_INVISIBLES.sub("", unicodedata.normalize("NFD", text))


def _squeeze(word: str) -> tuple[str, tuple[int, ...]]:
    """('fuck', (1, 3, 1, 1)) for 'fuuuck': the letters without repeats, and how often each."""
    letters: list[str] = []
    counts: list[int] = []
    for ch in word:
        if letters and letters[-1] == ch:
            counts[-1] += 1
        else:
            letters.append(ch)
            counts.append(1)
    return "".join(letters), tuple(counts)


@cache
def _exact() -> dict[str, str]:
    found: dict[str, str] = {}
    for category in reversed(_ORDER):  # the strongest category wins for a word listed twice
        found.update(dict.fromkeys(LEXICON[category], category))
    return found


@cache
def _by_squeeze() -> dict[str, list[tuple[tuple[int, ...], str, str]]]:
    index: dict[str, list[tuple[tuple[int, ...], str, str]]] = {}
    for category in _ORDER:
        for word in LEXICON[category]:
            letters, counts = _squeeze(word)
            index.setdefault(letters, []).append((counts, word, category))
    return index


def _listed(word: str) -> tuple[str, str | None]:
    """(listed word, category), also with some of its letters repeated ('fuuuck')."""
    category = _exact().get(word)
    if category is not None or not _REPEATED.search(word):
        return word, category  # without repeats only an exact match can be a listed word
    letters, counts = _squeeze(word)
    for listed_counts, listed_word, listed_category in _by_squeeze().get(letters, ()):
        if all(have >= need for have, need in zip(counts, listed_counts, strict=True)):
            return listed_word, listed_category
    return word, None


@cache
def _maskable() -> dict[tuple[str, int], tuple[tuple[str, str], ...]]:
    """Slur, vulgar and ambiguous words by (first letter, length)."""
    buckets: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for category in (SLUR, VULGAR, AMBIGUOUS):
        for word in LEXICON[category]:
            buckets.setdefault((word[0], len(word)), []).append((word, category))
    return {key: tuple(words) for key, words in buckets.items()}


def _fits_mask(parts: list[str], word: str) -> bool:
    """Does `word` fit the mask? Parts are letters or runs of '*', a run of n stars standing
    for one to n letters."""
    ends = {0}
    for part in parts:
        if part[0] == "*":
            ends = {end + n for end in ends for n in range(1, len(part) + 1)
                    if end + n <= len(word)}
        else:
            ends = {end + len(part) for end in ends if word.startswith(part, end)}
        if not ends:
            return False
    return len(word) in ends


def _masked(token: str) -> tuple[str, str | None]:
    """'f*ck', 'sh**', 'f***': a mask over a listed word, with two real letters left or one
    letter and three stars ('A*' is a grade). Masking an ambiguous word ('d*ck') means the
    vulgar sense."""
    letters = sum(ch.isalpha() for ch in token)
    if not token[0].isalpha() or len(token) > 24 or not (
            letters >= 2 or (letters == 1 and token.count("*") >= 3)):
        return token, None
    parts = re.findall(r"\*+|[^*]+", token)
    stars = [len(part) for part in parts if part[0] == "*"]
    for length in range(len(token) - sum(stars) + len(stars), len(token) + 1):
        for word, category in _maskable().get((token[0], length), ()):
            if _fits_mask(parts, word):
                return word, (VULGAR if category == AMBIGUOUS else category)
    return token, None


@cache
def _pattern_words() -> frozenset[str]:
    return frozenset().union(*(group for anchors, _ in _PATTERNS for group in anchors))


def _word_category(token: str) -> tuple[str, str | None]:
    """(word as read, category) for one folded token, trying its look-alike-symbol readings.
    An ambiguous word that had to be decoded ('d1ck', 'b!tch', 'd*ck') means the vulgar sense."""
    word, category = _listed(token)
    if category is not None or not any(ch.isalpha() for ch in token):
        return word, category
    if "*" in token:
        return _masked(token.strip("*") if token[0] == "*" else token)
    if _HAS_LEET.search(token):
        readings = [_NOT_LETTERS.sub("", reading) for reading in
                    (token.translate(_LEET), token.translate(_LEET_L).translate(_LEET))]
        for reading in readings:
            word, category = _listed(reading)
            if category is not None:
                return word, (VULGAR if category == AMBIGUOUS else category)
        for reading in readings:
            if reading in _pattern_words():
                return reading, None  # "ki11 yourself"
    return token, None


@cache
def _always_held() -> re.Pattern[str]:
    """Any slur or vulgar word (or 'kys'), each letter repeatable, as one trie-shaped regex so
    a long run of letters costs one quick scan."""
    trie: Trie = {}
    for word in {_squeeze(w)[0] for category in _ALWAYS for w in LEXICON[category]} | {"kys"}:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: Trie) -> str:
        options = [f"{re.escape(ch)}+{branch(child)}" for ch, child in sorted(node.items()) if ch]
        if not options:
            return ""
        body = options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"
        return f"(?:{body})?" if "" in node else body

    return re.compile(branch(trie))


def _join_letters(letters: list[str]) -> list[tuple[str, str | None]] | None:
    """['f', 'u', 'c', 'k'] -> fuck; ['k', 'y', 's'] -> kys; None when nothing listed is
    spelled out, so 'u r a' and 'a b c' stay as they are."""
    joined = "".join(letters).translate(_LEET)
    match = _always_held().search(joined)
    if match is None:
        return None
    word, category = _word_category(match.group(0))
    return [*((ch, None) for ch in letters[:match.start()]), (word, category),
            *((ch, None) for ch in letters[match.end():])]


def _written_as_name(text: str, word: str) -> bool:
    """Is `word` written with a capital first letter in the card: 'Dick', 'Fanny'?"""
    name = word.capitalize()
    return name in text and re.search(  # the plain "in" first: a regex scan costs far more
        rf"(?<![^\W\d_]){re.escape(name)}(?![^\W\d_])", text) is not None


_CLAUSE_BREAK = ("|", None)
# Decoding a word that mixes letters with digits or symbols ("sh1t", "f*ck") costs tens of
# microseconds; a card with more such places than this is held rather than decoded, so no card
# can keep the event loop busy. Ordinary cards have a handful ("3rd", "10am", "GTA5").
MAX_LETTER_SYMBOL_PAIRS = 24
_SYMBOL_CHARS = "0123456789@$!|*+€"
_LETTER_SYMBOL = re.compile(r"[a-z][\d@$!|*+€]|[\d@$!|*+€][a-z]")


@lru_cache(maxsize=8192)  # words repeat across cards: most tokens are read once per process
def _read_token(raw: str) -> tuple[tuple[str, str | None], ...]:
    """One folded, space-free token -> its words and categories, then '|' when it ends a
    clause: "you're" -> you, are; "f.u.c.k" -> fuck; "idiot!" -> idiot, |."""
    words = _read_word(raw.strip(_TRIM))
    if raw[-1] in _CLAUSE_PUNCTUATION or raw in _DASHES:
        words.append(_CLAUSE_BREAK)
    return tuple(words)


def _read_word(token: str) -> list[tuple[str, str | None]]:
    if not token:
        return []
    if token.isalpha():  # most words: no symbols to read, nothing to split
        word, category = _listed(token)
        if category is None and token in _RUN_TOGETHER:
            return [(part, None) for part in _RUN_TOGETHER[token].split(" ")]
        return [(word, category)]
    word, category = _word_category(token)
    if category is not None:
        return [(word, category)]
    expanded = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(1)], token)
    pieces = [piece for piece in _SEPARATORS.split(expanded) if piece]
    if len(pieces) >= 3 and all(len(piece) == 1 for piece in pieces):  # "f.u.c.k", "U.S.A."
        return _join_letters(pieces) or [("".join(pieces), None)]
    out: list[tuple[str, str | None]] = []
    for piece in pieces:
        read, category = _word_category(piece) if piece != token else (word, None)
        run_together = _RUN_TOGETHER.get(piece) if category is None else None
        out.extend((part, category) for part in
                   (run_together.split(" ") if run_together else (read,)))
    return out


def _join_spelled_out(match: re.Match[str]) -> str:
    """'f u c k' -> 'fuck', 'k y s' -> 'kys': only when the letters spell a listed word."""
    letters = match.group(0).split()
    joined = _join_letters(letters)
    return match.group(0) if joined is None else " ".join(word for word, _ in joined)


def _words(folded: str) -> tuple[list[str], list[str | None]]:
    """Normalised words of a folded text with their categories, '|' between clauses."""
    if _MAYBE_SPELLED_OUT.search(folded) or _SPELLED_OUT_START.match(folded):
        folded = _SPELLED_OUT.sub(_join_spelled_out, folded)
    pairs: list[tuple[str, str | None]] = []
    for line in folded.splitlines():
        for raw in line.split():
            pairs.extend(_read_token(raw))
        pairs.append(_CLAUSE_BREAK)
    words, categories = zip(*pairs, strict=True) if pairs else ((), ())
    return list(words), list(categories)


# ---- phrases ---------------------------------------------------------------------------------

def _negated(words: list[str], index: int) -> bool:
    """A negator among the three words before `index`, in the same clause."""
    for back in range(index - 1, max(-1, index - 4), -1):
        if words[back] == "|":
            return False
        if words[back] in _NEGATORS:
            return True
    return False


def _aimed(text: str, words: list[str], categories: list[str | None], index: int) -> bool:
    """Is the insult-like word at `index` said to or of a person ("you ...", "what a ...")?"""
    category = categories[index]
    word = words[index]
    if category == AMBIGUOUS and _written_as_name(text, word):
        return False  # "Dick", "Fanny": a name
    following = words[index + 1] if index + 1 < len(words) else "|"
    if category in (AMBIGUOUS, AT_YOU) and following not in _PHRASE_END:
        return False  # "you're a dog person", "what a pussy willow"
    position = index - 1
    has_article = such_a = False
    while position >= 0 and words[position] in _MODIFIERS and index - position <= 6:
        has_article = has_article or words[position] in _ARTICLES
        such_a = such_a or (words[position] in ("a", "an") and position > 0
                            and words[position - 1] in ("such", "what"))
        position -= 1
    if category in (INSULT, AMBIGUOUS) and such_a and following in _PHRASE_END:
        return not _negated(words, max(0, position + 1))  # "such a ...", "what a ..."
    if position < 0:
        return False
    head = words[position]
    if head in _YOU_ARE:
        # "your stupid" but not "your stupid dog"; "ur a loser" but not "ur dog"
        aimed = following in _PHRASE_END if category == ADJECTIVE else has_article
        return aimed and not _negated(words, position)
    if head in _LINKS and position > 0 and words[position - 1] in _YOU:
        return not _negated(words, position - 1)
    if head in _YOU:
        if category == ADJECTIVE:
            return False  # "are you stupid?"; "you stupid idiot" is held for "idiot"
        if position > 0 and words[position - 1] in _NOT_ADDRESSED:
            return False  # "thank you Dick", "did you see the dog"
        return not _negated(words, position)
    if category in (INSULT, AMBIGUOUS) and has_article and head in _THIRD_PERSON \
            and following in _PHRASE_END:
        return not _negated(words, position)  # "he is an idiot", not "a jerk chicken expert"
    if category == ADJECTIVE and head in _THIRD_PERSON and position > 0 \
            and words[position - 1] in ("he", "she"):
        return not _negated(words, position - 1)  # "she is so ugly"
    return False


def needs_review(text: str) -> bool:
    """True when a card should wait for the teacher's review before the class sees it."""
    if not text or text.isspace():
        return False
    folded = _fold(text)
    # Each symbol touches at most two letters: count the (cheap) symbols before the pairs.
    if sum(map(folded.count, _SYMBOL_CHARS)) * 2 > MAX_LETTER_SYMBOL_PAIRS \
            and len(_LETTER_SYMBOL.findall(folded)) > MAX_LETTER_SYMBOL_PAIRS:
        return True  # too many words to decode cheaply: the teacher looks instead
    words, categories = _words(folded)
    for index in [i for i, category in enumerate(categories) if category]:
        if categories[index] in _ALWAYS or _aimed(text, words, categories, index):
            return True
    present = set(words)
    candidates = [(anchors, pattern) for anchors, pattern in _PATTERNS
                  if not any(present.isdisjoint(group) for group in anchors)]
    if not candidates:
        return False
    # Patterns stay inside a clause: try each only on the clauses that have its anchors.
    needed = present & _pattern_words()
    first_word = 0
    for clause in " ".join(words).split(" | "):
        clause_words = clause.split(" ")
        here = needed.intersection(clause_words)
        if here:
            for anchors, pattern in candidates:
                if any(here.isdisjoint(group) for group in anchors):
                    continue
                for match in pattern.finditer(clause):
                    if not _negated(words, first_word + clause.count(" ", 0, match.start())):
                        return True
        first_word += len(clause_words) + 1
    return False
