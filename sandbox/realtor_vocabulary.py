"""The word lists and sentence pools the sandbox's sample data is made from: cities, streets, names,
statuses, document kinds, and the sentences listing descriptions, lead messages, showing feedback and
contact notes are drawn from. Plain literals; ``realtor_data`` and ``realtor_bulk`` combine them."""

from __future__ import annotations

from dataclasses import dataclass

# fmt: off
# city, state, area code, zip prefix, latitude, longitude
CITIES = [
    ("Austin", "TX", "512", "787", 30.2672, -97.7431), ("Round Rock", "TX", "512", "786", 30.5083, -97.6789),
    ("Denver", "CO", "303", "802", 39.7392, -104.9903), ("Boulder", "CO", "303", "803", 40.015, -105.2705),
    ("Raleigh", "NC", "919", "276", 35.7796, -78.6382), ("Durham", "NC", "919", "277", 35.994, -78.8986),
    ("Charlotte", "NC", "704", "282", 35.2271, -80.8431),
    ("Nashville", "TN", "615", "372", 36.1627, -86.7816), ("Franklin", "TN", "615", "370", 35.9251, -86.8689),
    ("Phoenix", "AZ", "602", "850", 33.4484, -112.074),
    ("Scottsdale", "AZ", "480", "852", 33.4942, -111.9261), ("Tampa", "FL", "813", "336", 27.9506, -82.4572),
    ("St. Petersburg", "FL", "727", "337", 27.7676, -82.6403),
    ("Orlando", "FL", "407", "328", 28.5383, -81.3792), ("Atlanta", "GA", "404", "303", 33.749, -84.388),
    ("Decatur", "GA", "404", "300", 33.7748, -84.2963), ("Portland", "OR", "503", "972", 45.5152, -122.6784),
    ("Boise", "ID", "208", "837", 43.615, -116.2023),
    ("Salt Lake City", "UT", "801", "841", 40.7608, -111.891),
    ("Columbus", "OH", "614", "432", 39.9612, -82.9988),
    ("Minneapolis", "MN", "612", "554", 44.9778, -93.265), ("Madison", "WI", "608", "537", 43.0731, -89.4012),
    ("Charleston", "SC", "843", "294", 32.7765, -79.9311), ("Richmond", "VA", "804", "232", 37.5407, -77.436),
    ("Sacramento", "CA", "916", "958", 38.5816, -121.4944),
    ("San Diego", "CA", "619", "921", 32.7157, -117.1611),
    ("Kansas City", "MO", "816", "641", 39.0997, -94.5786),
    ("Indianapolis", "IN", "317", "462", 39.7684, -86.1581),
]
NEIGHBORHOODS = [
    "Maple Heights", "Riverside", "Oak Hollow", "Willow Creek", "Old Town", "Cedar Park", "Lakeview",
    "Sunset Ridge", "Brookhaven", "Highland Park", "the Mill District", "Stonebridge", "Westover Hills",
    "Pinecrest", "Harbor View", "Meadowbrook", "Fox Chase", "College Hill",
]
STREETS = [
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Walnut", "Chestnut", "Magnolia", "Dogwood", "Birch",
    "Aspen", "Hickory", "Sycamore", "Laurel", "Juniper", "Main", "Church", "Park", "Lake", "Hill", "River",
    "Spring", "Meadow", "Forest", "Sunset", "Highland", "Ridge", "Valley", "Mill", "Washington", "Lincoln",
    "Jefferson", "Madison", "Franklin", "Jackson", "Lafayette", "Bluebonnet", "Live Oak", "Red Bud",
    "Cypress", "Palmetto", "Heritage", "Creekside", "Stone Ridge", "Fox Run", "Quail Hollow", "Windsor",
    "Hampton", "Brookfield", "Prairie", "Canyon", "Mesa", "Shoreline", "Harbor", "Bayview", "Orchard",
]
STREET_SUFFIXES = ["St", "Ave", "Dr", "Ln", "Ct", "Rd", "Blvd", "Way", "Pl", "Trl", "Cir", "Pkwy"]
FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Andrew",
    "Michelle", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Stephanie", "Ryan", "Rebecca", "Jacob",
    "Laura", "Nicholas", "Rachel", "Tyler", "Megan", "Samuel", "Olivia", "Carlos", "Sofia", "Luis", "Camila",
    "Wei", "Mei", "Arjun", "Priya", "Omar", "Aisha", "Mateo", "Valentina", "Ethan", "Hannah", "Noah", "Grace",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel",
    "Chen", "Kim", "Okafor", "Murphy", "Sullivan", "Brennan", "Fischer", "Novak", "Haddad", "Castillo",
]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me", "aol.com"]
PROPERTY_TYPES = ["SINGLE_FAMILY", "CONDO", "TOWNHOUSE", "MULTI_FAMILY", "LAND"]
TYPE_WORDS = {
    "SINGLE_FAMILY": "home", "CONDO": "condo", "TOWNHOUSE": "townhome", "MULTI_FAMILY": "duplex",
    "LAND": "homesite",
}
LISTING_STATUSES = ["ACTIVE"] * 9 + ["PENDING"] * 3 + ["SOLD"] * 4 + ["WITHDRAWN", "EXPIRED", "COMING_SOON"]
LEAD_STATUSES = ["NEW", "CONTACTED", "QUALIFIED", "NURTURING", "CONVERTED", "LOST"]
SHOWING_STATUSES = ["COMPLETED"] * 6 + ["SCHEDULED"] * 3 + ["CANCELLED", "NO_SHOW"]
LEAD_SOURCES = ["website", "zillow", "realtor.com", "referral", "open_house", "instagram", "sign_call"]
DOCUMENT_KINDS = {
    "PURCHASE_AGREEMENT": ("Purchase Agreement", "pdf"), "SELLER_DISCLOSURE": ("Seller Disclosure", "pdf"),
    "INSPECTION_REPORT": ("Inspection Report", "pdf"), "APPRAISAL": ("Appraisal", "pdf"),
    "FLOOR_PLAN": ("Floor Plan", "png"), "LISTING_AGREEMENT": ("Listing Agreement", "pdf"),
    "PRE_APPROVAL_LETTER": ("Pre-Approval Letter", "pdf"), "HOA_DOCUMENTS": ("HOA Documents", "docx"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
TAGS = [
    "open-house", "price-reduced", "new-construction", "waterfront", "golf-course", "pool", "mountain-view",
    "walkable", "fixer-upper", "luxury", "first-time-buyer", "investment", "acreage", "55-plus", "corner-lot",
    "cul-de-sac", "solar", "ev-charger",
]

# Sentence pools: one sentence from each group makes a listing description that reads as prose.
OPENERS = [
    "Welcome home to this {adj} {beds}-bedroom {kind} tucked away on a quiet, tree-lined street in {hood}.",
    "Light pours into this {adj} {kind} in the heart of {hood}, just minutes from downtown {city}.",
    "Set on a generous lot in {hood}, this {adj} {beds}-bedroom {kind} has been lovingly maintained.",
    "Rarely available: a {adj} {kind} in sought-after {hood} with room to grow.",
    "This {adj} {beds}-bedroom {kind} pairs classic character with thoughtful modern updates.",
    "Move-in ready and {adj}, this {kind} in {hood} checks every box on your list.",
]
ADJECTIVES = [
    "charming", "beautifully updated", "sun-filled", "spacious", "move-in ready", "stylish",
    "meticulously kept", "light-filled", "thoughtfully renovated", "inviting",
]
KITCHENS = [
    "The renovated kitchen features {counter} countertops, stainless steel appliances and a large island.",
    "Cooks will love the open kitchen with {counter} counters, a gas range and a walk-in pantry.",
    "A chef's kitchen with {counter} surfaces, soft-close cabinetry and a breakfast bar anchors the home.",
    "The eat-in kitchen offers {counter} countertops, a tile backsplash and plenty of storage.",
]
COUNTERS = ["quartz", "granite", "butcher-block", "marble", "concrete", "quartzite"]
INTERIORS = [
    "Hardwood floors run throughout the main level, and the living room centers on a wood-burning fireplace.",
    "Vaulted ceilings and oversized windows make the living area feel bright and open.",
    "The primary suite offers a walk-in closet and a spa-like bath with a double vanity and soaking tub.",
    "Upstairs you will find {beds} well-proportioned bedrooms and a flexible loft that works as an office.",
    "A finished basement adds a media room, a guest bedroom and a full bath.",
    "New HVAC, a tankless water heater and fresh paint mean there is nothing left to do but move in.",
]
OUTDOORS = [
    "Outside, the fenced backyard has a covered patio that is perfect for summer evenings.",
    "Enjoy morning coffee on the screened porch overlooking mature oaks.",
    "The private backyard includes a deck, raised garden beds and a storage shed.",
    "A two-car garage and a long driveway provide plenty of parking.",
    "The community pool, playground and walking trails are just around the corner.",
]
CLOSERS = [
    "Walk to coffee shops, parks and {city}'s best restaurants, with easy access to the highway.",
    "Zoned for highly rated schools and close to shopping, this one will not last long.",
    "Schedule your private showing today and see why {hood} is one of {city}'s favorite neighborhoods.",
    "Minutes from downtown {city}, the airport and major employers.",
    "Seller is offering a closing-cost credit with an acceptable offer.",
]
LEAD_MESSAGES = [
    "Hi, I'm interested in {address}. Is it still available, and could we see it this weekend?",
    "We are relocating from {from_city} in the spring and would love more details on {address}.",
    "Could you send the HOA fees and property taxes for {address}? We're pre-approved up to {budget}.",
    "Is the seller open to offers below asking on {address}? We're first-time buyers.",
    "Saw the open house sign for {address}. Does the price include the appliances?",
]
SHOWING_FEEDBACK = [
    "Buyers loved the kitchen but felt the bedrooms were smaller than the photos suggested.",
    "Great curb appeal. Clients are concerned about road noise from the back bedrooms.",
    "Very clean and well staged. Buyers plan to write an offer after a second visit.",
    "Price seems high compared to recent sales on the street; the roof looks near the end of its life.",
    "Clients liked the layout and the backyard; they are comparing it with two other homes.",
    "The basement had a musty smell. Buyers would want an inspection contingency.",
    "Showing ran late because the lockbox code was wrong; please update it in the MLS.",
    "Second showing. Buyers measured the garage and asked about the age of the water heater.",
    "Nice light in the afternoon, but the yard is too small for their dogs.",
    "Clients felt the kitchen needs a full remodel and would factor that into any offer.",
    "Loved the neighborhood and the walk to the park; they asked for comparable sales.",
    "Buyers were disappointed the third bedroom has no closet. Otherwise a strong contender.",
]
CONTACT_NOTES = [
    "Prefers text messages after 5 pm. Looking for a good school district.",
    "Selling a condo downtown first; timeline depends on that sale.",
    "Works from home and needs a dedicated office. Has two large dogs.",
    "Referred by a past client. Cash buyer, wants to close within 30 days.",
    "Interested in investment properties with rental income.",
    "Downsizing now that the kids have moved out; wants a single-level home.",
    "Lease ends in June. Needs at least three bedrooms and a fenced yard.",
    "Met at the Saturday open house. Asked to be notified of price reductions.",
    "Relocating for a hospital job; wants to be within a 20-minute commute.",
    "Pre-approved with a local credit union. Prefers newer construction.",
    "Owns two rentals already and is looking for a duplex to add to the portfolio.",
    "Asked for a market analysis of their current home before deciding to list.",
]
OFFICES = ["Downtown", "North", "Lakeside", "Westside", "Uptown"]
# fmt: on


@dataclass(frozen=True)
class City:
    """One row of ``CITIES``."""

    name: str
    state: str
    area: str
    zip3: str
    lat: float
    lon: float
