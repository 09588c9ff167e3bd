"""The named parts of a solution page: its standard sections and the kinds of callout. The
editor's choices and the Markdown importer both read them from here."""

SECTION_KEYS = [
    ("overview", "Overview"),
    ("progress", "Progress made"),
    ("lessons", "Lessons learned"),
    ("challenges", "Challenges ahead"),
    ("path_forward", "Best path forward"),
    ("other", "Other"),
]

# A section heading as written in the handbook → its key ("Progress Made" → "progress").
SECTION_KEY_BY_HEADING = {label.lower(): key for key, label in SECTION_KEYS if key != "other"}
SECTION_KEY_BY_HEADING["sector overview"] = "overview"

CALLOUT_KINDS = [
    ("note", "Note"),
    ("info", "Info"),
    ("tip", "Tip"),
    ("success", "Success"),
    ("question", "Question"),
    ("warning", "Warning"),
    ("danger", "Danger"),
    ("example", "Example"),
    ("quote", "Quote"),
    ("abstract", "Abstract"),
]
