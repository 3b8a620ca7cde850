"""Thing names of the public list that may name a class, a material, a property or a site (data,
checked by hand and against WordNet).

A listed thing's name said alone ("Telescope?", "Pliers??", "Telescope or Pliers?", "How about
pliers?") is a guess of that thing, and "no" for every other keyword, unless the name may also be
read as a question about a kind the keyword belongs to, or about what it is made of, what it is
like, what it has or where it is found: "Furniture?" (a sofa is furniture), "Cutlery?" (a fork),
"Zinc?" (made of zinc?), "Pop?" (pop music?), "Touchscreen?" (has it one?), "Stadium?" (found in
one?).  The names below keep their bare guess with the model for every keyword but their own, unless
they name kinds only: then a keyword of the public list that may be of none of those kinds gets its
"no" (:mod:`.class_members`: "Piano?" of a DVD; "Furniture?" of a sofa stays the model's).

How this list was checked: every one-word thing name and alt of ``keywords.json`` (251 of them)
was looked up in WordNet 3.0 (Debian's ``wordnet-base``, read by a throw-away script, never at
runtime): a name has kinds when one of its noun senses has a hyponym, up to three levels down,
whose name does not contain the name's own word (149 of the 251).  Then each of the 251 was read
by hand.  39 of WordNet's 149 were taken out because their kinds are Latin or trade names, the
same thing under another name, or kinds of another sense that no question means (Telescope:
reflector; Hazelnut: filbert, cobnut; Reindeer: caribou; Calculator: statistician; Brownies:
leprechaun; Owl, Raccoon, Tomato, Dandelion, Willow: species names; Fuse: circuit breaker) or
because they name a part, not a kind (Backrest, Muffler, Nozzle): a part said alone ("Fuse?"
for Dynamite: "does it have a fuse?") is left as a guess, as the lead's class criterion asks.
29 that WordNet misses were added (second block: kinds named by other words, materials,
adjectives and other readings, features said alone, sites).  When in doubt a name went in: a
name here only leaves its bare guess to the model.  That leaves 139 one-word names in (110 + 29), 112 out.
The multi-word names (third block) were read by hand, with WordNet's flags as a hint: a bare
multi-word name ("Free Weights?", a dumbbell is one) is a class as much as a one-word one.

Names are written in lower case here and compared as :func:`.words.game_normalize` writes them.
"""

from __future__ import annotations

from .words import game_normalize

_WORDNET = (
    # one-word names with kinds named by other words in WordNet (checked by hand: see above)
    "advertisement agave anesthesia aquarium atmosphere auditorium bacteria balcony bank bat bike blinds briefcase "
    "brochure bulb butterflies butterfly cabinet card cereal comic comics curtains cutlery disinfectant donuts drapes "
    "earth elevator engravings excavator fan fertilizer fireplace flashlight fungus furniture gadget generator glove "
    "gravity handbag headphones incense insulation iron irrigation journal kiosk luggage masks matches medication "
    "mural mushroom necklace notebook ointment pad pamphlet parachute perfume pesticide piano pier plate polyester "
    "potato puzzle rabbit refrigerator relish reptile resin restaurants rug rv satellite sieve silicone snacks sofa "
    "spatula sportswear squirrel stadium staircase sticker stove suitcase swimsuit tablet tank television toilet "
    "tractor tricycle truck turkey tv vans vegetable vegetation virus volcano voucher wardrobe water wrench zinc"
).split()
_BY_HAND = (
    # kinds named by other words that WordNet lacks: analogy (a metaphor), barcode (a QR code), fungi, laptop
    # (a Chromebook), lightbulb (an LED), pants (jeans, khakis), paperwork (forms, records), ppe (a hard hat),
    # smartphone (an iPhone), smartwatch, soda / soda-pop (a cola), soybeans (edamame), spotlight (a searchlight),
    # windbreak (a hedge);
    "analogy barcode fungi laptop lightbulb pants paperwork ppe smartphone smartwatch soda soda-pop soybeans "
    "spotlight windbreak "
    # materials and other readings: onyx (a stone, a colour), rags (cloth), microwave (radiation), pop (music,
    # "does it pop"), iv (four, intravenous), pa (Pennsylvania, a father), interstate (an adjective), pyramid (a
    # shape), roots ("does it have roots?")
    "onyx rags microwave pop iv pa interstate pyramid roots "
    # features said alone ("GPS?": does it have one?) and a site ("Sauna?": found in one?)
    "gps hdmi touchscreen webcam sauna"
).split()
_SEVERAL_WORDS = [
    name.strip() for name in (
        # classes: kinds named by other words
        "alarm system; board games; bonding agent; bottled water; bug spray; coffee machine; coffee machines; "
        "coffee makers; comic book; coral reefs; deciduous tree; desktop computer; edible flowers; electrical outlet; "
        "emergency lights; energy drink; exercise mat; face mask; facial mask; finger food; fitness tracker; "
        "floor mats; free weights; dumbbell weights; garbage can; trash can; trash bin; garbage bag; trash bag; "
        "graphic novel; greeting card; gym mats; hair clip; hair tie; heart rate monitors; heating element; hot dog; "
        "irrigation system; lottery ticket; medical records; mobile phone; nail polish; outdoor furniture; "
        "personal protective equipment; playing cards; portable speaker; wireless speaker; protein bar; "
        "protein shakes; public address system; red wine; salad dressing; security systems; sound system; "
        "speaker system; space probe; stage lights; sticky notes; street sign; touchscreen displays; "
        "unleavened bread; usb drives; vacuum cleaner; ventilation system; video camera; vr headset; wall art; "
        "wall decorations; iced coffee; grape vine; green beans; coffee beans; stationary bike; "
        # features said alone ("Air conditioning?": does it have it?), materials
        "air conditioning; air conditioner; scrap metal; broken glass; olive oil; silver ore; plastic wrap; "
        # sites: a thing may be found there ("Tennis court?": a tennis ball)
        "tennis court; fishing pier; steam room; break room; rehearsal room; wall street; underground river; "
        "railroad tracks; cooling tower; guard tower; press box"
    ).split(";")
]

#: :func:`.words.game_normalize` of each name above.
CLASS_NAMES = frozenset(game_normalize(n) for n in (*_WORDNET, *_BY_HAND, *_SEVERAL_WORDS))
