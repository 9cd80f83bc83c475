"""Mail HTML for agents: re-sanitised, quotes folded, cid and remote images resolved."""
from email.message import EmailMessage
from email.policy import SMTP

from helpdesk.domain.mail.display import (
    display_html,
    has_remote_images,
    normalise_content_id,
    shown_mail,
    split_quoted_html,
)
from helpdesk.domain.mail.safe_html import sanitise_html


def test_stored_markup_that_escaped_sanitising_is_cleaned_again_at_display():
    visible, folded = display_html(
        '<p onclick="x()" hx-get="/desk">Hi<script>alert(1)</script></p>'
        '<img src=x onerror=alert(2)><a href="javascript:alert(3)">link</a>', {})
    for dangerous in ("onclick", "hx-get", "<script", "onerror", "javascript:"):
        assert dangerous not in visible
    assert "Hi" in visible and folded == ""


def test_remote_images_stay_deferred_until_asked_for():
    stored = sanitise_html('<p>Logo</p><img src="https://tracker.example/p.gif">')
    assert has_remote_images(stored)
    visible, _ = display_html(stored, {})
    assert 'data-remote-src="https://tracker.example/p.gif"' in visible
    assert ' src="https' not in visible
    loaded, _ = display_html(stored, {}, load_remote_images=True)
    assert 'src="https://tracker.example/p.gif"' in loaded
    assert "data-remote-src" not in loaded


def test_cid_images_point_at_our_own_attachment_route_and_unknown_ones_lose_their_src():
    stored = sanitise_html('<p>See</p><img src="cid:part1%40mail.example" alt="shot">'
                           '<img src="cid:missing@x" alt="gone">')
    visible, _ = display_html(stored, {"part1@mail.example": "/desk/attachments/7"})
    assert '<img src="/desk/attachments/7" alt="shot">' in visible
    assert '<img alt="gone">' in visible
    assert "cid:" not in visible


def test_quoted_html_is_folded_from_the_first_blockquote():
    stored = sanitise_html("<div><p>New answer</p><blockquote><p>Old text</p></blockquote></div>")
    visible, folded = display_html(stored, {})
    assert "New answer" in visible and "Old text" not in visible
    assert "Old text" in folded and folded.startswith("<blockquote>")


def test_a_mail_that_is_only_a_quote_is_not_folded_away():
    html = "<blockquote><p>Only quoted</p></blockquote>"
    assert split_quoted_html(html) == (html, "")


def test_content_ids_compare_without_brackets_or_percent_encoding():
    assert normalise_content_id("<part1@x>") == normalise_content_id("part1%40x") == "part1@x"


def test_relative_links_and_images_cannot_point_into_our_own_application():
    visible, _ = display_html('<p><img src="/desk/tickets/1000" alt="a"><img src="x">'
                              '<a href="/desk/held">held</a><a href="https://ok.example/">ok</a>'
                              '<a href="mailto:eva@x.example">mail</a></p>', {})
    assert "/desk" not in visible and 'src="x"' not in visible
    assert 'href="https://ok.example/"' in visible and 'href="mailto:eva@x.example"' in visible


def _composed(html: str | None) -> bytes:
    message = EmailMessage()
    message["Subject"] = "Uw inloglink"
    message["To"] = "eva@acme.example"
    message.set_content("Volg https://desk.example/portal/sign-in/link/abc?lang=nl")
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=SMTP)


def test_a_whole_mail_shows_its_headers_its_text_and_its_html_made_safe():
    shown = shown_mail(_composed(
        '<p onclick="x()">Volg <a href="https://desk.example/portal/sign-in/link/abc">de link'
        '</a></p><script>alert(1)</script><a href="/desk/">hier</a>'
        '<blockquote>niet ingeklapt</blockquote>'))
    assert ("Subject", "Uw inloglink") in shown.headers
    assert shown.text.strip() == "Volg https://desk.example/portal/sign-in/link/abc?lang=nl"
    assert 'href="https://desk.example/portal/sign-in/link/abc"' in shown.html
    assert "niet ingeklapt" in shown.html  # a mail of our own has no quote to fold
    for dangerous in ("onclick", "<script", 'href="/desk/"'):
        assert dangerous not in shown.html


def test_a_mail_without_an_html_part_shows_none():
    assert shown_mail(_composed(None)).html is None
