"""The desk's web faces: agents, managers, customers (portal) and sign-in, one blueprint each.

Owns what only pages need: access rules per route, htmx fragments, downloads, labels, language.
May use services, domain, models and adapters; nothing below imports it.
"""
