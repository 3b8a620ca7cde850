"""Place names of the public list that are also ordinary English words (data, checked by hand).

A lower-case guess of a listed place ("is it warsaw?", "could it be warsaw", "warsaw?") names
that place, and is "no" for every other keyword, unless the name is also a common noun, an
adjective or another everyday word: "is it nice?", "is it china?", "is it turkey?", "is it
cork?" may ask what the keyword is like or made of, and stay with the model.  Capitalised
names ("Is it Nice?") are read as before: a capital says it is a name.

How this list was checked: every one-word place name and alt of ``keywords.json`` (490 of
them) was looked up in Debian's ``wamerican-large`` and ``wbritish-large`` word lists, which
write proper nouns with a capital and ordinary words in lower case; the 36 found there in
lower case are below (first block).  Then each of the 490 was read by hand for an everyday
lower-case sense those lists miss (a wine, a cigar, a bean, a fruit, a cloth, a brand, a
dish, a figurative noun): the second block, each with its sense.  When in doubt a name went
in: a name here only leaves its lower-case guess to the model.  Multi-word names ("new
york", "united states") are names in any case and are not listed.
"""

from __future__ import annotations

#: Lower case, as :func:`.words.game_normalize` writes them (one-word names have no spaces).
ORDINARY_NAMES = frozenset(
    # in lower case in wamerican-large / wbritish-large
    "amazon berlin brazil bursa chad chi chile china cologne cork eureka faro fez flinders frankfurt geneva genoa "
    "guinea hamburg japan la manila mecca morocco nice oxford panama phoenix saskatoon shanghai tonga tripoli turkey "
    "us wellington york".split()
    # added by hand: bordeaux (a wine), havana (a cigar), lima (a bean), valencia (an orange), boston (a card game,
    # a fern), holland (a linen cloth), fuji (an apple, a camera brand), kawasaki (a motorcycle brand), raleigh (a
    # bicycle brand), everest (any highest peak, "an everest of paperwork"), kiev (chicken kiev), mali (a gardener,
    # in Indian English)
    + "bordeaux havana lima valencia boston holland fuji kawasaki raleigh everest kiev mali".split()
)
