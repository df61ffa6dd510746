"""Renderers: turn results into what people read (terminal, and later JSON, CSV, HTML, PDF).

Renderers never decide anything; strings that came from the network go through
``scopeaudit.safetext`` (terminal, CSV) or the HTML template's escaping before they are shown.
"""
