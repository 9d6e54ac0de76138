"""Search text: accent folding and French stemming, the same for indexing and querying.

FTS5 has no French stemmer and Meilisearch stems nothing: words are folded (lower case, no
diacritics, ligatures split) and stemmed here with the Snowball French stemmer before they are
indexed or searched, so "Électricité rénovée" and "electricite renove" meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
# Words that carry nothing in a housing search (stemmed forms are computed from these).
STOPWORDS = frozenset(
    "a au aux avec ce ces dans de des du en et il la le les leur lui ma mais me meme mes moi "
    "mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu "
    "un une vos votre vous c d j l m n s t y".split()
)
MAX_QUERY_WORDS = 12


def fold(text: str) -> str:
    """Lower case without diacritics: "Orléans-la-Source" → "orleans-la-source"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=50_000)
def stems(word: str) -> tuple[str, ...]:
    """The stems of a lower-case word: Snowball French on the accented word then folded, and
    on the folded word ("électricité" → electr, electricit). The stemmer expects accents but a
    requester may type without them: indexing both forms makes either spelling meet."""
    forms = [word]
    if len(word) > 3 and word[-1] in "sx":  # plurals the stemmer keeps ("studios")
        forms.append(word[:-1])
    out = []
    for form in forms:
        out += [fold(_stemmer().stemWord(form)), _stemmer().stemWord(fold(form))]
    return tuple(dict.fromkeys(out))


def words(text: str | None) -> list[str]:
    """The lower-case words of a text, stop words left out (accents kept for the stemmer)."""
    if not text:
        return []
    return [w for w in _WORD.findall(text.casefold().translate(_LIGATURES))
            if fold(w) not in STOPWORDS]


def stemmed(text: str | None) -> str:
    """Every stem of every word of a text, space-separated (what FTS5 and Meilisearch index)."""
    return " ".join(dict.fromkeys(s for w in words(text) for s in stems(w)))


def query_terms(text: str | None) -> list[str]:
    """One prefix per query word, the shortest of its stems, at most MAX_QUERY_WORDS: a
    prefix search on it finds every form the index holds ("renovees" → renov*)."""
    terms = (_prefix(min(stems(w), key=len)) for w in words(text))
    return [t for t in dict.fromkeys(terms) if t][:MAX_QUERY_WORDS]


def _prefix(stem_: str) -> str:
    # The stemmer keeps a final "e" of some unaccented forms ("renovees" → renove) that the
    # accented masculine drops ("rénové" → renov): searching the prefix without it finds both.
    return stem_[:-1] if len(stem_) > 4 and stem_.endswith("e") else stem_
