"""The desk's web faces: agents, managers, customers (portal), sign-in, admins and the
development mail catcher, one blueprint each.

Owns what only pages need: access rules per route, htmx fragments, downloads, labels, language.
May use services, domain, models and adapters; nothing below imports it.
"""
