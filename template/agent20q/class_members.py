"""Which listed keywords MAY be a kind or an instance of a listed class name (data, checked by hand and
against WordNet).

A name of :data:`.class_names.CLASS_NAMES` read as a guess ("Is it Furniture?", "Could it be Free
Weights?", "Piano?", "Is it Furniture or Piano?", "one of Piano, Sofa") has two readings: a guess of
that keyword, or a question about a kind ("is it (a piece of) furniture?").  Both give "no" for a
listed keyword that is not the name itself and may not be of that kind ("Is it Rabbit?" of Suitcase);
either may give "yes" for a member ("Is it Furniture?" of Sofa), which is left to the model, and so is
every keyword that is not on the public list (nothing is known of it).

``NOT_KINDS``: the class names that may also be read as a material ("Zinc?": made of zinc?), a
property or another everyday reading ("Gravity?", "Pop?", "Matches?"), a feature the keyword may have
("GPS?", "Fan?", "Tank?": has it one?) or a site it may be found in ("Stadium?", "Toilet?"): they keep
today's reading, open for every keyword but their own when said alone.  ``MEMBERS``: for each other
class name (a name of kinds), the listed keywords that may be one of its kinds or an instance of it.

How the members were made: every name and alt of each listed keyword (things and places,
``keywords.json``) was looked up in WordNet 3.0 (Debian's ``wordnet-base``, read by a throw-away script,
never at runtime), whole and by its head word, in every noun sense; a keyword is a member of a class
name when the name (or its singular) is among the hypernyms, transitively, of one of those senses.
That gave 148 (class keyword, member) pairs over 42 of the 141 class keywords (the ``_WORDNET`` block,
noise kept — "Tennis ball" as a comic, by the "ball" sense — since a member too many only leaves a
question to the model); the places it gave ("chile" as a vegetable, "ankara turkey" by "turkey",
"cologne" as a perfume) are homonyms or names of :data:`NOT_KINDS`, and no place is a member.  Then
every class name's list was read by hand against the 579 things of the list and the members WordNet
misses were added (``_BY_HAND``: 938 pairs more; when in doubt in: "Card" may be a greeting card or a
lottery ticket, "Mobile phone" a smartphone, "Tablet" a medication, every food a snack, every plant
vegetation, a keyword that is itself a class of them — "Furniture" for "Cabinet" — too): 2,099 pairs in
all with the rooms below, by class keyword; 16 class keywords have no member but themselves ("Piano",
"Rabbit", "Parachute" ...: no listed keyword is a kind of one).  The 13 listed rooms, buildings and the RV
(:data:`ROOMS`) may have a fitting, a device or a supply in them: a name of such a thing said alone
("Stove?" asked of an RV: has it one?) may ask that, so a room is open for the 78 class names of such
things (:data:`FITTINGS`) when the name is said alone, and no member of their kinds otherwise ("Is it
one of Microscope, Parachute or Briefcase?" of Press Box: no).  Keywords whose words overlap the
name's ("Bike path" for "Bike") are left open by the reader itself.  153 class names of kinds (141
keywords, with their alts), 77 not.

The members hold only for the public list this was checked on: :data:`CHECKED_LIST_SHA256` is the
SHA-256 of its keywords (:func:`list_fingerprint`); a reader given another list answers none of this.
Names are compared as :func:`.words.game_normalize` writes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .words import game_normalize

#: Class names with a reading that is no kind (normalised, as in :mod:`.class_names`), by reason.
_NOT_KINDS = {
    # made of it, or holding it ("Bacteria?" of Yogurt)
    "material": "bondingagent brokenglass coffeebeans insulation iron oliveoil onyx plasticwrap polyester rags resin "
    "scrapmetal silicone silverore water zinc bacteria",
    # another everyday reading: a property, a verb, a use, a shape, a country, a number
    "reading": "atmosphere comic gravity interstate iv matches microwave pa pad plate pop pyramid roots turkey anessia "
    "irrigation virus",
    # a part or feature the keyword may have
    "feature": "airconditioner airconditioning alarmsystem barcode bulb elevator engravings fan fireplace generator "
    "gps "
    "hdmi heatingelement securitysystems tank touchscreen touchscreendisplays webcam",
    # a site the keyword may be found in
    "site": "aquarium auditorium balcony bank breakroom coolingtower coralreefs earth fishingpier guardtower kiosk "
    "pier "
    "pressbox railroadtracks rehearsalroom restaurants sauna stadium staircase steamroom tenniscourt toilet "
    "undergroundriver volcano wallstreet",
}
NOT_KINDS = frozenset(n for names in _NOT_KINDS.values() for n in names.split())

#: WordNet's members (see above), by the class's keyword as listed: "keyword: member; member".
_WORDNET = {
    "Bike": "Hamster wheel; Stationary Bike",
    "Blinds": "Curtains; Drapes",
    "Brochure": "Pamphlet",
    "Cabinet": "Filing cabinet; Kitchen cabinet; Medicine Cabinet",
    "Card": "Cutting Board; Diving board; Floor jacks; Greeting Card; Index Card; Ironing Board; Library Card; "
    "Movie poster; Pallet Jack; Playing cards",
    "Cereal": "Fried rice; Granola; Popcorn",
    "Comic Book": "Tennis ball",
    "Curtains": "Drapes",
    "Cutlery": "Bread knife; Nail clipper; Pickaxe",
    "Drapes": "Curtains",
    "Free Weights": "Dumbbells; Wrist Weights",
    "Fungi": "Mushroom",
    "Furniture": "Barber Chair; Bookcase; Cabinet; Car Seat; Cardboard box; Cat bed; Cutting Board; Dental Chair; "
    "Desk Chairs; Desk lamp; Dining table; Diving board; Dog bed; Filing cabinet; Glass Table; Glove Box; High Chair; "
    "Iron bar; Ironing Board; Jewelry Box; Kitchen cabinet; Kitchen table; Medicine Cabinet; Microphone stand; "
    "Oak table; Outdoor Furniture; Parallel bars; Planter Box; Press Box; Protein bar; Pry Bar; Sofa; Tissue box; "
    "Tool Box; Ultraviolet Lamp; Umbrella stand; Utility Box; Wardrobe",
    "Garbage Can": "Trash Can",
    "Glove": "Plastic Gloves",
    "Gym Mats": "Bath Mat; Exercise Mat; Floor Mats; Nap mat; Play mat; Shower mat; Silicone mat; Yoga mat",
    "Handbag": "Duffle Bags; Garbage bag; Punching Bag; Sleeping bag; Toiletries bag; Trash bag",
    "Headphones": "Earplug; Mobile phone; VR Headset",
    "Lightbulb": "Bulb",
    "Luggage": "Duffle Bags; Garbage bag; Punching Bag; Sleeping bag; Suitcase; Toiletries bag; Trash bag",
    "Masks": "Eye mask; Face mask; Gas Mask; Respirator",
    "Medication": "Ointment; Tablet",
    "Necklace": "Guitar String; Key chain; Violin Strings",
    "Ointment": "Sunscreen",
    "Pamphlet": "Brochure",
    "Pants": "Khaki pants; Pajamas",
    "Perfume": "Incense",
    "Pesticide": "Bug spray",
    "Playing cards": "Floor jacks; Pallet Jack",
    "RV": "Vans",
    "Refrigerator": "Mini fridge",
    "Relish": "Orange zest",
    "Reptile": "Heart Rate Monitors; Komodo dragon",
    "Sound system": "Portable speaker; Wireless Speaker",
    "Sticker": "Bumper sticker",
    "Suitcase": "Duffle Bags; Garbage bag; Punching Bag; Sleeping bag; Toiletries bag; Trash bag",
    "Tablet": "Pad",
    "Television": "HDMI cable; Jumper Cables",
    "Trash Can": "Garbage Can",
    "Truck": "Dump truck; Garbage Truck; Tow truck; Tractor; Vans",
    "Vegetable": "Cauliflower; Coffee beans; Dijon mustard; Green beans; Habanero pepper; Mushroom; Potato; Radish; "
    "Soybeans; Tomato",
    "Vegetation": "Microphone stand; Train brake; Umbrella stand",
}

# Groups the hand-made lists share (when in doubt in).
_FOODS = (
    "Apple pie; Baguette; Bread pudding; Brownies; Cantaloupe; Cauliflower; Cheesecake; Chocolate cake; Cinnamon roll; "
    "Cream cheese; Croissant; Cupcake; Donuts; Edamame; Finger food; Fortune cookie; French toast; Fried rice; "
    "Granola; "
    "Grapefruit; Habanero pepper; Hash browns; Hazelnut; Hot dog; Marshmallow; Muffin; Nachos; Orange peel; Pea soup; "
    "Popcorn; Protein bar; Pumpkin pie; Quesadilla; Radish; Red velvet cake; Rice pudding; Scones; Snacks; Tofu; "
    "Tomato; Udon Noodles; Unleavened Bread; Veggie Burger; Yogurt; Potato; Edible flowers; Green beans; Soybeans; "
    "Apple pie; Cereal; Relish; Mushroom; Orange zest; Kale smoothie"
)
_DRINKS = (
    "Bottled Water; Energy drink; Frappuccino; Ice Water; Iced coffee; Kale smoothie; Latte; Protein Shakes; Red wine; "
    "Soda; Water; Earl Grey tea"
)
_PLANTS = (
    "Agave; Anemone; Dandelion; Deciduous tree; Edible flowers; Eucalyptus; Grape Vine; Hibiscus; Holly; Iris; "
    "Orange tree; Tulip; Willow Tree; Roots; Tea leaf; Mushroom; Fungi; Hay bale; Radish; Potato; Tomato; "
    "Cauliflower; Habanero pepper; Cantaloupe; Grapefruit; Hazelnut; Soybeans; Green beans; Edamame; Coral reefs"
)
_FURNITURE = (
    "Barber Chair; Beanbag; Bed frame; Bleachers; Bookcase; Bookends; Cabinet; Cat bed; Coat Rack; Dental Chair; "
    "Desk Chairs; Desk lamp; Dining table; Dish Rack; Dog bed; Filing cabinet; Glass Table; High Chair; Kitchen "
    "cabinet; "
    "Kitchen table; Magazine Rack; Medicine Cabinet; Nightstand; Oak table; Outdoor Furniture; Piano; Planter Box; "
    "Scratching posts; Server Rack; Shoe Rack; Sofa; Spice Rack; Storage bin; Swing set; Umbrella stand; Vanity "
    "mirror; "
    "Wardrobe; Wine rack; Wire rack; Chandelier; Fireplace; Bird cage; Ironing Board; Coat Rack; Towel; Rug; Curtains; "
    "Drapes; Blinds; Furniture"
)
_DEVICES = (
    "Air compressor; Air filter; Battery Bank; Binoculars; Calculator; Cash Register; Coffee Grinder; Coffee Makers; "
    "Curling Iron; DVD Player; Desk lamp; Desktop computer; Electric scooter; Electric toothbrush; Fire alarm; "
    "Fitness tracker; Flashlight; Fog machine; GPS; Graphing Calculator; Hair Dryer; Hand dryer; Headlamp; Headphones; "
    "Hearing aid; Heart Rate Monitors; Ice cream maker; Inhaler; Joystick; Karaoke machine; Key chain; Laptop; "
    "Laser beam; Lint Roller; Measuring Tape; Metal detector; Microscope; Microwave; Mini fridge; Mobile phone; Modem; "
    "Mouse; Nail clipper; Pencil Sharpener; Phone charger; Popcorn machine; Portable speaker; Power Drill; Power "
    "strip; "
    "Pressure gauge; Projector; Radio scanner; Robot arm; Router; Smartphone; Smartwatch; Smoke Detector; "
    "Soldering iron; Tablet; Taser; Telescope; Television; Toaster Oven; Touchscreen; USB drives; Ultraviolet Lamp; "
    "VR Headset; Video Camera; Webcam; Wine Aerator; Wine Opener; Wireless Speaker; Spotlight; Stage lights; "
    "Medication Dispenser; Tape dispenser; Soap Dispenser; Ticket Machine; Vending Machine; Whistle; Ocarina; "
    "Crochet Hook; Piping tips; Tweezers; Pliers; Screwdriver; Wrench; Spatula; Sieve; Rolling pin; Measuring cup; "
    "Bunsen burner; Hair clip; Bobby Pins; Bread knife; Pry Bar; Tire iron; Pickaxe; Lathe; Milling machine; "
    "Hamster wheel; Generator; Ceiling fan; Exhaust Fan; Gadget; Iron; Toothbrush; Incubator; Stair Stepper; "
    "Fire Extinguisher; Extension Cord; Jumper Cables; Ink Cartridge; Alarm system; Solar panel; Fog machine; "
    "Ice cube tray; Muffin Tin; Wine Decanter; Wine Tasting Kit; Vacuum Cleaner; Security systems; Light Switch"
)
_MATS = (
    "Bath Mat; Exercise Mat; Floor Mats; Gym Mats; Nap mat; Play mat; Placemat; Shower mat; Silicone mat; Yoga mat; Rug"
)
_SPEAKERS = "Karaoke machine; Portable speaker; Public Address System; Sound system; Wireless Speaker; Headphones"
_TREES = "Deciduous tree; Eucalyptus; Holly; Orange tree; Willow Tree; Grape Vine; Hibiscus; Vegetation"
_BAGS = (
    "Briefcase; Duffle Bags; Fanny pack; Handbag; Luggage; Suitcase; Toiletries bag; Cat carrier; Tool Belt; Tool Box"
)
_LIGHTS = (
    "Desk lamp; Emergency lights; Flashlight; Headlamp; Lightbulb; Spotlight; Stage lights; Ultraviolet Lamp; "
    "Chandelier"
)
_DOCUMENTS = (
    "Brochure; Greeting Card; Index Card; Journal; Library Card; Lottery Ticket; Medical Records; Notebook; Pamphlet; "
    "Paperwork; Photo album; Shipping label; Sketchbook; Ticket stub; Voucher; Card; Name tag; Sticky notes"
)
_WEAR = (
    "Aprons; Glove; Hard hat; Hiking boots; Khaki pants; Lab coat; Motorcycle Helmet; Pajamas; Pants; Plastic Gloves; "
    "Shin Guards; Sunglasses; Swimsuit; Tracksuit; Vans; Wristband; Sportswear; Safety harness; Eye mask; Face mask"
)
_ART = "Engravings; Movie poster; Mural; Plaque; Stained glass window; Wall Art; Wall Decorations; Sticker; Photo album"
_VEHICLES = "Dump truck; Garbage Truck; Golf Cart; Tow truck; Tractor; Truck; Vans; RV; Utility Cart; Electric scooter"

#: Members read by hand that WordNet misses ("keyword: member; ..."): every keyword of the list read for each.
_BY_HAND = {
    "Advertisement": "Brochure; Pamphlet; Movie poster; Bumper sticker; Sticker; Brewery merchandise; Voucher; "
    "Street sign; Scoreboard; Name tag; Plaque; Emergency Exit Sign; Exit sign; Wall Art; Mural",
    "Agave": "",
    "Analogy": "",
    "Bat": "Owl",
    "Bike": "Tricycle; Electric scooter; Stationary Bike; Hamster wheel",
    "Blinds": "Curtains; Drapes",
    "Board Games": "Chessboard; Puzzle; Playing cards; Lego",
    "Bottled Water": "Water; Ice Water; Water Bottle; Energy drink; Soda",
    "Briefcase": _BAGS,
    "Brochure": "Pamphlet; Advertisement; Paperwork; Journal",
    "Bug spray": "Pesticide; Disinfectant; Hairspray",
    "Butterfly": "",
    "Cabinet": "Filing cabinet; Kitchen cabinet; Medicine Cabinet; Wardrobe; Bookcase; Nightstand; Server Rack; "
    "Electrical panel; Utility Box; Glove Box; Jewelry Box; Spice Rack; Shoe Rack; Refrigerator; Mini fridge; "
    "Tool Box; Storage bin; Furniture",
    "Card": "Greeting Card; Index Card; Library Card; Playing cards; Lottery Ticket; Voucher; Name tag; Ticket stub; "
    "Shipping label; Sticker; Bookends",
    "Cereal": "Granola; Popcorn; Fried rice; Rice pudding; Bird seed; Soybeans; Baguette; Croissant; Udon Noodles; "
    "Bread pudding; Muffin; Scones; Unleavened Bread; French toast; Protein bar; Hay bale; Coffee beans",
    "Coffee Makers": "Coffee Grinder; Water Heater; Food warmers; Wine Aerator",
    "Comic Book": "Graphic Novel; Sketchbook; Journal; Notebook",
    "Curtains": "Drapes; Blinds",
    "Cutlery": "Bread knife; Spatula; Rolling pin; Measuring cup; Piping tips; Wine Opener; Sieve; Plate; "
    "Tongue Depressor; Mixing Bowl; Food bowl; Champagne flute; Sippy cup; Litter scooper",
    "Deciduous tree": _TREES,
    "Desktop computer": "Laptop; Server Rack; Router; Modem; Tablet",
    "Disinfectant": "Hand Sanitizer; Dish soap; Stain Remover; Soap Suds; Furniture polish; Ointment; Bug spray; "
    "Pesticide; Nail Polish Remover; Dog shampoo; Toothpaste; Sunscreen; Facial Toner",
    "Donuts": "Cinnamon roll; Muffin; Cupcake; Fortune cookie; Croissant; Scones",
    "Drapes": "Curtains; Blinds",
    "Dumbbells": "Free Weights; Wrist Weights; Paperweights",
    "Edible flowers": "Hibiscus; Tulip; Dandelion; Iris; Anemone; Cauliflower; Orange tree; Holly; Agave; Vegetation",
    "Electrical outlet": "Power strip; Extension Cord; Light Switch; Electrical panel; Phone charger; Battery Bank",
    "Emergency lights": "Exit sign; Emergency Exit Sign; Flashlight; Headlamp; Fire alarm; Turn signal; Spotlight; "
    "Stage lights; Tow truck; Garbage Truck; Truck; Smoke Detector; Desk lamp; Lightbulb",
    "Energy drink": "Soda; Protein Shakes; Iced coffee; Frappuccino; Latte; Kale smoothie; Bottled Water",
    "Excavator": "Tractor; Dump truck; Pickaxe; Truck",
    "Exercise Mat": _MATS,
    "Face mask": "Gas Mask; Respirator; Masks; Eye mask; Personal protective equipment; Facial Toner",
    "Fertilizer": "Coffee grounds; Orange peel; Hay bale; Bird seed; Pesticide",
    "Finger food": _FOODS,
    "Fitness tracker": "Smartwatch; Heart Rate Monitors; Wristband; Smartphone",
    "Flashlight": "Headlamp; Emergency lights; Spotlight; Ultraviolet Lamp; Lightbulb",
    "Floor Mats": _MATS,
    "Free Weights": "Dumbbells; Wrist Weights; Paperweights; Yoga Block",
    "Fungi": "Mushroom; Bacteria",
    "Furniture": _FURNITURE,
    "Gadget": _DEVICES,
    "Garbage Can": "Trash Can; Storage bin; Grain bin; Laundry Basket; Urinal",
    "Garbage bag": "Trash bag",
    "Glove": "Plastic Gloves; Pot holder; Personal protective equipment",
    "Grape Vine": "Vegetation",
    "Graphic Novel": "Comic Book; Sketchbook; Journal",
    "Green beans": "Soybeans; Edamame; Coffee beans; Vegetable",
    "Greeting Card": "Card; Index Card",
    "Gym Mats": _MATS,
    "Hair clip": "Bobby Pins",
    "Handbag": _BAGS,
    "Headphones": "Earplug; Ear protection; Hearing aid; VR Headset",
    "Heart Rate Monitors": "Fitness tracker; Smartwatch; Wristband",
    "Hot dog": "Veggie Burger",
    "Iced coffee": "Frappuccino; Latte; Energy drink",
    "Incense": "Perfume",
    "Irrigation system": "Sprinkler; Sprinkler System; Drain Hose; Watering Can; Nozzle; Water Tank",
    "Journal": _DOCUMENTS + "; Comic Book; Graphic Novel",
    "Laptop": "Tablet; Desktop computer; Notebook",
    "Lightbulb": _LIGHTS,
    "Lottery Ticket": "Card; Ticket stub; Voucher",
    "Luggage": _BAGS,
    "Masks": "Face mask; Gas Mask; Eye mask; Respirator; Personal protective equipment; Hard hat",
    "Medical Records": "Paperwork; Journal; Notebook; Index Card",
    "Medication": "Tablet; Ointment; Inhaler; IV; Anesthesia; Sunscreen; Hand Sanitizer; Disinfectant; "
    "Medication Dispenser; Pesticide; Earl Grey tea",
    "Mobile phone": "Smartphone",
    "Mural": "Wall Art; Wall Decorations; Engravings; Stained glass window",
    "Mushroom": "Fungi",
    "Nail polish": "",
    "Necklace": "Lanyard; Key chain; Wristband",
    "Notebook": "Sketchbook; Journal; Laptop; Sticky notes; Photo album; Index Card",
    "Ointment": "Sunscreen; Hair Gel; Hand Sanitizer; Medication; Facial Toner",
    "Outdoor Furniture": _FURNITURE,
    "Pamphlet": "Brochure; Advertisement",
    "Pants": "Khaki pants; Pajamas; Tracksuit; Sportswear",
    "Paperwork": _DOCUMENTS,
    "Parachute": "",
    "Perfume": "Incense; Facial Toner; Hairspray",
    "Personal protective equipment": "Hard hat; Gas Mask; Respirator; Face mask; Plastic Gloves; Glove; "
    "Ear protection; Earplug; Safety harness; Lab coat; Motorcycle Helmet; Shin Guards; Sunglasses; Hiking boots; "
    "Sunscreen; Masks; Eye mask; Aprons; Fire Extinguisher",
    "Pesticide": "Bug spray; Disinfectant",
    "Piano": "",
    "Playing cards": "Card; Board Games",
    "Portable speaker": _SPEAKERS,
    "Potato": "Hash browns; Vegetable",
    "Protein Shakes": "Kale smoothie; Energy drink; Frappuccino",
    "Protein bar": "Granola; Snacks",
    "Public Address System": _SPEAKERS,
    "Puzzle": "Board Games; Lego; Chessboard; Analogy",
    "RV": "Vans; Truck",
    "Rabbit": "",
    "Red wine": "",
    "Refrigerator": "Mini fridge; Ice cream maker; Vending Machine",
    "Relish": "Dijon mustard; Salad Dressing",
    "Reptile": "Komodo dragon",
    "Rug": _MATS,
    "Salad Dressing": "Olive Oil; Dijon mustard; Relish",
    "Satellite": "Space probe; GPS",
    "Sieve": "Air filter; Oil filter; Lint Trap; Wine Aerator",
    "Smartphone": "Mobile phone",
    "Smartwatch": "Fitness tracker; Heart Rate Monitors; Wristband",
    "Snacks": _FOODS,
    "Soda": "Energy drink; Bottled Water; Water; Ice Water",
    "Sofa": "Beanbag",
    "Sound system": _SPEAKERS,
    "Soybeans": "Edamame; Tofu",
    "Space probe": "Satellite",
    "Spatula": "Tongue Depressor",
    "Sportswear": _WEAR,
    "Spotlight": _LIGHTS,
    "Squirrel": "",
    "Stage lights": _LIGHTS + "; Laser beam",
    "Stationary Bike": "",
    "Sticker": "Bumper sticker; Shipping label; Name tag; Sticky notes",
    "Sticky notes": "",
    "Stove": "Toaster Oven; Bunsen burner; Food warmers; Fireplace",
    "Street sign": "",
    "Suitcase": _BAGS,
    "Swimsuit": "",
    "Tablet": "Medication; Laptop; Smartphone; Plaque; Touchscreen; Notebook; Sketchbook",
    "Television": "Projector; Touchscreen",
    "Tractor": "Lawnmower; Truck; Excavator",
    "Trash Can": "Garbage Can; Storage bin; Grain bin; Laundry Basket; Urinal",
    "Trash bag": "Garbage bag",
    "Tricycle": "",
    "Truck": _VEHICLES + "; Pallet Jack; Excavator",
    "USB drives": "",
    "Unleavened Bread": "Quesadilla; Nachos",
    "VR Headset": "",
    "Vacuum Cleaner": "Pool cleaner",
    "Vans": "RV; Truck; Hiking boots",
    "Vegetable": "Edamame; Veggie Burger; Pea soup; Kale smoothie; Edible flowers; Cantaloupe; Hash browns; "
    "Green beans; Tofu; Soybeans; Orange peel; Grapefruit; Relish; Pumpkin pie; Salad Dressing; Fried rice",
    "Vegetation": _PLANTS,
    "Ventilation System": "Air vent; Exhaust Fan; Ceiling fan; Air filter; Air Conditioner; Respirator",
    "Video Camera": "Webcam",
    "Voucher": "Ticket stub; Lottery Ticket; Card; Library Card",
    "Wall Art": _ART,
    "Wall Decorations": _ART + "; Vanity mirror; Chandelier; Fridge magnet; Curtains; Drapes",
    "Wardrobe": "Cabinet; Sportswear",
    "Windbreak": _TREES + "; Curtains",
    "Wireless Speaker": _SPEAKERS,
    "Wrench": "Tire iron; Pliers",
}

#: Listed rooms, buildings and the RV, and the class names of fittings they may have ("Stove?" of an RV:
#: has it one?): those rooms are members of those names.
_ROOMS = (
    "RV; Break room; Rehearsal room; Steam room; Sauna; Press Box; Auditorium; Stadium; Restaurants; Kiosk; "
    "Tractor shed; Guard tower; Bank"
)
_FITTINGS = frozenset(
    "Furniture; Outdoor Furniture; Cabinet; Sofa; Rug; Blinds; Curtains; Drapes; Stove; Refrigerator; Television; "
    "Piano; Wardrobe; Floor Mats; Gym Mats; Exercise Mat; Electrical outlet; Emergency lights; Ventilation System; "
    "Sound system; Public Address System; Lightbulb; Spotlight; Stage lights; Wall Art; Wall Decorations; Mural; "
    "Vacuum Cleaner; Desktop computer; Garbage Can; Trash Can; Coffee Makers; Video Camera; Irrigation system; "
    "Free Weights; Dumbbells; Stationary Bike; Board Games; Playing cards; Finger food; Snacks; Energy drink; Soda; "
    "Bottled Water; Iced coffee; Red wine; Medication; Paperwork; Medical Records; Journal; Notebook; Laptop; "
    "Gadget; Smartphone; Mobile phone; Tablet; Headphones; Portable speaker; Wireless Speaker; Flashlight; "
    "Personal protective equipment; Masks; Face mask; Glove; Luggage; Suitcase; Briefcase; Handbag; Cutlery; "
    "Disinfectant; Bug spray; Pesticide; Fertilizer; Incense; Perfume; Sticker; Advertisement; Vegetation".split("; ")
)


def _split(text: str) -> frozenset[str]:
    return frozenset(game_normalize(n) for n in text.split(";") if n.strip())


def _members() -> dict[str, frozenset[str]]:
    """Class name (each normalised name of its keyword) -> normalised members of its kinds."""
    by_keyword = {kw: _split(_WORDNET.get(kw, "")) | _split(hand) for kw, hand in _BY_HAND.items()}
    return {n: by_keyword[kw] for kw, n in _NAMES}


#: The class names of kinds, each with the listed keyword it is a name of (a keyword may have several).
_NAMES = (
    ("Advertisement", "advertisement"), ("Agave", "agave"), ("Analogy", "analogy"), ("Bat", "bat"), ("Bike", "bike"),
    ("Blinds", "blinds"), ("Board Games", "boardgames"), ("Bottled Water", "bottledwater"),
    ("Briefcase", "briefcase"), ("Brochure", "brochure"), ("Bug spray", "bugspray"), ("Butterfly", "butterfly"),
    ("Butterfly", "butterflies"), ("Cabinet", "cabinet"), ("Card", "card"), ("Cereal", "cereal"),
    ("Coffee Makers", "coffeemakers"), ("Coffee Makers", "coffeemachine"), ("Coffee Makers", "coffeemachines"),
    ("Comic Book", "comicbook"), ("Comic Book", "comics"), ("Curtains", "curtains"), ("Cutlery", "cutlery"),
    ("Deciduous tree", "deciduoustree"), ("Desktop computer", "desktopcomputer"), ("Disinfectant", "disinfectant"),
    ("Donuts", "donuts"), ("Drapes", "drapes"), ("Dumbbells", "dumbbellweights"), ("Edible flowers", "edibleflowers"),
    ("Electrical outlet", "electricaloutlet"), ("Emergency lights", "emergencylights"),
    ("Energy drink", "energydrink"), ("Excavator", "excavator"), ("Exercise Mat", "exercisemat"),
    ("Face mask", "facemask"), ("Face mask", "facialmask"), ("Fertilizer", "fertilizer"),
    ("Finger food", "fingerfood"), ("Fitness tracker", "fitnesstracker"), ("Flashlight", "flashlight"),
    ("Floor Mats", "floormats"), ("Free Weights", "freeweights"), ("Fungi", "fungi"), ("Fungi", "fungus"),
    ("Furniture", "furniture"), ("Gadget", "gadget"), ("Garbage Can", "garbagecan"), ("Garbage bag", "garbagebag"),
    ("Glove", "glove"), ("Grape Vine", "grapevine"), ("Graphic Novel", "graphicnovel"),
    ("Green beans", "greenbeans"), ("Greeting Card", "greetingcard"), ("Gym Mats", "gymmats"),
    ("Hair clip", "hairclip"), ("Hair clip", "hairtie"), ("Handbag", "handbag"), ("Headphones", "headphones"),
    ("Heart Rate Monitors", "heartratemonitors"), ("Hot dog", "hotdog"), ("Iced coffee", "icedcoffee"),
    ("Incense", "incense"), ("Irrigation system", "irrigationsystem"), ("Journal", "journal"), ("Laptop", "laptop"),
    ("Lightbulb", "lightbulb"), ("Lottery Ticket", "lotteryticket"), ("Luggage", "luggage"), ("Masks", "masks"),
    ("Medical Records", "medicalrecords"), ("Medication", "medication"), ("Mobile phone", "mobilephone"),
    ("Mural", "mural"), ("Mushroom", "mushroom"), ("Nail polish", "nailpolish"), ("Necklace", "necklace"),
    ("Notebook", "notebook"), ("Ointment", "ointment"), ("Outdoor Furniture", "outdoorfurniture"),
    ("Pamphlet", "pamphlet"), ("Pants", "pants"), ("Paperwork", "paperwork"), ("Parachute", "parachute"),
    ("Perfume", "perfume"), ("Personal protective equipment", "personalprotectiveequipment"),
    ("Personal protective equipment", "ppe"), ("Pesticide", "pesticide"), ("Piano", "piano"),
    ("Playing cards", "playingcards"), ("Portable speaker", "portablespeaker"), ("Potato", "potato"),
    ("Protein Shakes", "proteinshakes"), ("Protein bar", "proteinbar"),
    ("Public Address System", "publicaddresssystem"), ("Puzzle", "puzzle"), ("RV", "rv"), ("Rabbit", "rabbit"),
    ("Red wine", "redwine"), ("Refrigerator", "refrigerator"), ("Relish", "relish"), ("Reptile", "reptile"),
    ("Rug", "rug"), ("Salad Dressing", "saladdressing"), ("Satellite", "satellite"), ("Sieve", "sieve"),
    ("Smartphone", "smartphone"), ("Smartwatch", "smartwatch"), ("Snacks", "snacks"), ("Soda", "soda"),
    ("Soda", "sodapop"), ("Sofa", "sofa"), ("Sound system", "soundsystem"), ("Sound system", "speakersystem"),
    ("Soybeans", "soybeans"), ("Space probe", "spaceprobe"), ("Spatula", "spatula"), ("Sportswear", "sportswear"),
    ("Spotlight", "spotlight"), ("Squirrel", "squirrel"), ("Stage lights", "stagelights"),
    ("Stationary Bike", "stationarybike"), ("Sticker", "sticker"), ("Sticky notes", "stickynotes"),
    ("Stove", "stove"), ("Street sign", "streetsign"), ("Suitcase", "suitcase"), ("Swimsuit", "swimsuit"),
    ("Tablet", "tablet"), ("Television", "television"), ("Television", "tv"), ("Tractor", "tractor"),
    ("Trash Can", "trashcan"), ("Trash Can", "trashbin"), ("Trash bag", "trashbag"), ("Tricycle", "tricycle"),
    ("Truck", "truck"), ("USB drives", "usbdrives"), ("Unleavened Bread", "unleavenedbread"),
    ("VR Headset", "vrheadset"), ("Vacuum Cleaner", "vacuumcleaner"), ("Vans", "vans"), ("Vegetable", "vegetable"),
    ("Vegetation", "vegetation"), ("Ventilation System", "ventilationsystem"), ("Video Camera", "videocamera"),
    ("Voucher", "voucher"), ("Wall Art", "wallart"), ("Wall Decorations", "walldecorations"),
    ("Wardrobe", "wardrobe"), ("Windbreak", "windbreak"), ("Wireless Speaker", "wirelessspeaker"),
    ("Wrench", "wrench"),
)

#: Class name of kinds (normalised) -> the normalised listed keywords that may be one of its kinds.
MEMBERS: dict[str, frozenset[str]] = _members()
#: The listed rooms, buildings and the RV (normalised): said alone, a name of :data:`FITTINGS` may ask
#: whether they have one.
ROOMS: frozenset[str] = _split(_ROOMS)
#: The class names (normalised) of fittings, devices and supplies a room may have.
FITTINGS: frozenset[str] = frozenset(n for kw, n in _NAMES if kw in _FITTINGS)


def list_fingerprint(keywords: Iterable[str]) -> str:
    """SHA-256 of a list's keywords (normalised, sorted, one a line): which list the members hold for."""
    text = "\n".join(sorted({game_normalize(k) for k in keywords}))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: :func:`list_fingerprint` of the public list (``keywords.json``) the members were checked on.
CHECKED_LIST_SHA256 = "bc783f475a50419da0afbd3257f17cb63edb222b5a349302811aeeaa52780011"

