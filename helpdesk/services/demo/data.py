"""The demo desk's people and words: who works and writes here, and what they write."""
from helpdesk.models import Category

DEMO_PASSWORD = "demo-password"  # noqa: S105  (demo data only, printed for the user)
DEMO_STAFF = [
    ("agent@helpdesk.example", "Anna de Agent", "agent"),
    ("manager@helpdesk.example", "Mark Manager", "manager"),
    ("admin@helpdesk.example", "Ada Admin", "admin"),
]
DEMO_ORGANISATIONS = [
    ("acme", "Acme Logistics B.V.", [("eva@acme.example", "Eva Jansen", True, "nl"),
                                     ("tom@acme.example", "Tom Bakker", True, "en"),
                                     ("piet@acme.example", "Piet Visser", False, "nl")]),
    ("devries", "Bakkerij de Vries", [("sanne@devries.example", "Sanne de Vries", True, "nl")]),
    ("noord", "Gemeente Noordveen", [("k.smit@noord.example", "Karin Smit", True, "nl")]),
]
SUBJECTS = {
    Category.BUG: ["Export naar Excel geeft foutmelding", "Knop opslaan reageert niet",
                   "Rapport toont verkeerde totalen", "Login loopt vast na wachtwoordwijziging"],
    Category.OUTAGE: ["Applicatie onbereikbaar", "API geeft 503", "Trage laadtijden sinds 9 uur"],
    Category.WISH: ["Graag filter op klantnummer", "Donkere modus", "Export naar CSV"],
    Category.CONFIGURATION: ["Hoe stel ik SSO in?", "Nieuwe gebruikersrol aanmaken",
                             "Mailnotificaties instellen"],
    Category.QUESTION: ["Waar vind ik de factuurhistorie?", "Wat betekent status 'in wacht'?",
                        "Hoeveel gebruikers mag ik toevoegen?"],
    Category.CALAMITY: ["Alle orders verdwenen", "Datalek vermoed"],
}
BODIES = [
    "Beste servicedesk,\n\nSinds vanochtend zien wij het volgende probleem. {subject}.\n"
    "Kunnen jullie hiernaar kijken?\n\nMet vriendelijke groet,\n{name}",
    "Hallo,\n\nStappen: 1. inloggen 2. naar rapporten 3. exporteren. Verwacht: bestand. "
    "Gebeurt: foutmelding.\n\nGroet,\n{name}",
    "Dear support,\n\n{subject}. This blocks three of our planners.\n\nRegards,\n{name}",
]
REPLIES = [
    "Dank voor uw melding. We hebben het probleem kunnen reproduceren en zoeken het uit.",
    "Kunt u een schermafdruk sturen van de foutmelding?",
    "Dit is opgelost in de release van vanavond. Wilt u het morgen controleren?",
]


