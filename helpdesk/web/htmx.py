"""One place that decides between a page and an htmx fragment."""
from flask import make_response, redirect, render_template, request

VARY = "HX-Request, HX-Target"


def wants_fragment(target_id: str) -> bool:
    """True when htmx asked to swap exactly this element (not a boosted page load)."""
    return request.headers.get("HX-Request") == "true" and (
        request.headers.get("HX-Target") == target_id
    )


def render_page_or_fragment(page: str, fragment: str, target_id: str, /, status: int = 200,
                            **context):
    """Render the fragment for htmx, the whole page otherwise; caches must keep them apart."""
    template = fragment if wants_fragment(target_id) else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = VARY
    return response


def fragment_or_redirect(fragment: str, target_id: str, location: str, /, **context):
    """After a change: htmx swaps in the updated fragment; a plain form post is redirected
    to a page (post/redirect/get), so reloading it never repeats the change."""
    if not wants_fragment(target_id):
        response = redirect(location, 303)
    else:
        response = make_response(render_template(fragment, **context))
    response.headers["Vary"] = VARY
    return response


def redirect_after_post(url: str):
    """After a form succeeded: htmx navigates on HX-Redirect, a plain browser follows a 303."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
