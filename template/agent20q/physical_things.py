"""Things of the public list that are not surely a physical object (data, read by hand).

"Is it a physical thing?", "... a physical object / a tangible object / a material object?", "Is it
tangible?" (alone, or "rather than a location / a place / an idea") is "yes" for a listed thing that is
surely a physical object: a tool, a piece of furniture, a food, an animal, a plant.  Not every listed
thing is one: the keywords below stay with the model, and so does every keyword that is not on the
public list (nothing is known of it).

How this list was made: every one of the 579 things of ``keywords.json`` was read by hand, and a thing
went in when one everyday reading of its name is no physical object, or is one only in doubt (when in
doubt, in): an idea, a force, a state or a procedure ("Analogy", "Gravity", "Anesthesia"); something
that may be digital or a service ("Advertisement", "GPS", "Medical Records", "Voucher", "Journal");
light, a gas, a body of water or a foam ("Laser beam", "Atmosphere", "Water", "Soap Suds"); a microbe
or a computer's ("Virus", "Bacteria"); a mass material rather than an object ("Zinc", "Insulation");
a site, a room or a way, which may be taken for a location ("Stadium", "Break room", "Wall Street",
"Interstate", "Volcano": every thing of the list whose last word names a site,
:func:`.naming.names_a_site`, and the sites of :mod:`.class_members`); a name with an abstract
sense ("Roots": origins, "Spotlight": attention, "Puzzle": a riddle, "Microwave": radiation).
87 things are listed here; the other 492 of the 579 answer "yes".

Names are compared as :func:`.words.game_normalize` writes them (a keyword or any of its alts).
"""

from __future__ import annotations

from .words import game_normalize

_NOT_SURELY_PHYSICAL = (
    # ideas, forces, states, procedures, fields
    "Analogy; Gravity; Anesthesia; Atmosphere; Irrigation system; Insulation; Paperwork; "
    # may be digital, a service, a system or a document's content
    "Advertisement; Voucher; Medical Records; Journal; GPS; Security systems; Alarm system; Barcode; Puzzle; "
    "Lottery Ticket; Graphic Novel; Comic Book; Public Address System; Sound system; Ventilation System; "
    "Touchscreen; Ticket stub; Library Card; Greeting Card; Card; Board Games; Photo album; DVD; "
    # light, energy, gases, water, foam, smoke
    "Laser beam; Spotlight; Stage lights; Emergency lights; Microwave; Water; Ice Water; Soap Suds; Raindrops; "
    "Incense; Perfume; "
    # microbes, organisms as a kind, matter in bulk
    "Virus; Bacteria; Fungi; Vegetation; Zinc; Polyester; Silicone; Resin; Onyx; Scrap metal; Silver ore; Roots; "
    # sites, rooms, ways and features of the land: may be taken for a location
    "Aquarium; Auditorium; Balcony; Bank; Bike path; Break room; Cooling Tower; Coral reefs; Earth; Fishing pier; "
    "Guard tower; Interstate; Kiosk; Power lines; Pyramid; Railroad tracks; Rehearsal room; Restaurants; Sauna; "
    "Stadium; Staircase; Steam room; Tennis court; Tractor shed; Underground River; Volcano; Wall Street; Toilet; "
    "Elevator; Escalators; Windbreak; Press Box; Spider web; Bleachers"
)

#: Normalised names of the listed things that are not surely a physical object.
NOT_SURELY_PHYSICAL = frozenset(game_normalize(n) for n in _NOT_SURELY_PHYSICAL.split(";") if n.strip())
