"""What every page's layout shows: the desk's name in the reader's language, and its icon."""
from helpdesk import ROOT
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff

ICON = (ROOT / "static" / "favicon.svg").read_bytes()


def test_the_desk_is_named_in_the_pages_language(client):
    dutch = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<a class="brand" href="/">Servicedesk</a>' in dutch
    assert "<title>Aanmelden · Servicedesk</title>" in dutch
    english = client.get("/portal/sign-in", headers={"Accept-Language": "en"})
    assert '<a class="brand" href="/">Service desk</a>' in english.get_data(as_text=True)


def test_an_operators_desk_name_is_shown_as_given(app, client):
    app.config["DESK_NAME"] = "Acme Support"
    page = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<a class="brand" href="/">Acme Support</a>' in page
    assert "<title>Aanmelden · Acme Support</title>" in page


def test_an_error_page_is_titled_by_its_status_and_the_desks_name(client):
    sign_in(client, make_staff(language="en"))
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "<title>404 · Service desk</title>" in page


def test_every_page_links_the_desks_icon_and_the_icon_is_served(client):
    page = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data() == ICON
    # One address for the icon: its static one leads there.
    assert client.get("/static/favicon.svg").location.endswith("//desk.example/favicon.ico")


def test_fetching_the_icon_is_no_activity_that_keeps_a_session_alive(client):
    sign_in(client, make_staff())
    with client.session_transaction() as session:
        session["seen_at"] -= 60
        seen_at = session["seen_at"]
    client.get("/favicon.ico")
    with client.session_transaction() as session:
        assert session["seen_at"] == seen_at
