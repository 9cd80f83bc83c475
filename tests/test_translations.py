"""Every text agents and customers read has its Dutch translation (Dutch is the default)."""
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from helpdesk import ROOT

CATALOGUE = ROOT / "helpdesk" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
# As `make messages` extracts: gettext and friends, lazy texts, and service refusals.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None,
            **dict.fromkeys(["Refusal", "NotFound", "UploadRejected", "ReadOnly"])}
# Refusals only the operator reads, in English: the command line's, and the desk's own
# configuration (mail settings), which the worker logs.
OPERATOR_ONLY = {
    # flask backup and flask restore speak to the console.
    "The backup failed: %(error)s",
    "%(path)s is not a backup of the desk: it has no manifest.",
    "The backup in %(path)s is damaged: %(file)s does not match its digest.",
    "The backup in %(path)s is damaged: %(file)s is missing.",
    "The backup in %(path)s has format %(format)s; this desk reads format %(known)s.",
    "The backup holds a %(engine)s database; this desk runs on %(target)s.",
    "Stop the workers first: %(holders)s still run jobs.",
    "The desk's database is not empty; restore over it with --force.",
    "The restore failed, the database is as it was: %(error)s",
    "The restored database's rows differ from the backup's manifest.",
    "A restore replaces the desk's data; add --yes to restore.",
    "The backup in %(path)s is damaged: %(file)s is not a file a backup holds.",
    "The backup's database is of a newer desk (migration %(revision)s); restore it with that "
    "version's code.",
    "Unknown job %(names)s; the jobs are %(known)s.",
    "No job is left to run.",
    "There is no staff member with email %(email)s.",
    "Unknown category %(category)r; use one of %(names)s.",
    "%(text)r is not an ISO 8601 moment.",
    "Give %(text)r with an offset or Z, e.g. 2026-11-30T10:00:00+01:00.",
    "SENDER_AUTH must be off, log or enforce, not %(mode)r.",
    "SENDER_AUTH enforce needs AUTHSERV_ID (your mail server's name).",
    "MAIL_DEFAULT_SENDER: %(error)s",
    "MAIL_DEFAULT_SENDER must be an email address.",
    "Outgoing mail cannot be sent: %(error)s",
    "Incoming mail cannot be fetched: %(error)s",
    "Mail in has no port: set HELPDESK_MAIL_IN_PORT or pass --port.",
    # flask mail send-demo and flask mail import, and the intake's 552, speak to the console.
    "nothing listens on %(host)s:%(port)s: is `make run` running?",
    "The desk's intake did not take the mail: %(reason)s",
    "The mail is %(size)s bytes, over the limit of %(limit)s.",
    "STARTTLS needs both HELPDESK_MAIL_IN_TLS_CERT and HELPDESK_MAIL_IN_TLS_KEY.",
    "The STARTTLS certificate or key cannot be used: %(error)s",
    "HELPDESK_MAIL_IN_ADDRESSES is empty: mail in would refuse all mail.",
    "HELPDESK_MAIL_IN_CLIENTS must list networks: %(error)s",
    "Mail in cannot listen on %(address)s: %(error)s",
}


def _texts_in_the_code() -> set[str]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_in_the_code_has_a_dutch_translation_and_none_is_a_guess():
    with open(CATALOGUE, "rb") as catalogue_file:
        catalogue = read_po(catalogue_file)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in catalogue if m.id}

    missing = sorted(t for t in _texts_in_the_code() - OPERATOR_ONLY
                     if t not in translated or not translated[t].string)
    guessed = sorted(t for t, m in translated.items() if m.fuzzy)

    assert missing == [] and guessed == []
