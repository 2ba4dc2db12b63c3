"""Drop duplicated <script> tags from the HTML pages (Sphinx 7.x bug).

Sphinx 7.4 adds every inline script that an extension registers after the
builder started (``app.add_js_file(None, body=...)``) twice to each page: once
with the file name ``None`` and once, in ``prepare_writing``, with ``''``;
the two do not compare equal. With sphinx-thebe (always loaded by Jupyter
Book) the page then declares ``const THEBE_JS_URL`` twice and the browser
raises "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" on
every page. Fixed upstream by sphinx-doc/sphinx#13402 (Sphinx 8.x), which
Jupyter Book 1.x (sphinx~=7.0) cannot use. This extension, loaded through
``sphinx.local_extensions`` in _config.yml, removes the duplicates right
before each page is written.
"""

from __future__ import annotations


def _key(js):
    filename = getattr(js, "filename", js) or ""
    priority = getattr(js, "priority", None)
    attributes = getattr(js, "attributes", {}) or {}
    return (filename, priority, tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_script_files(app, pagename, templatename, context, doctree):
    files = context.get("script_files")
    if not files:
        return
    seen = set()
    unique = []
    for js in files:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    if len(unique) != len(files):
        files[:] = unique  # the builder restores its own list after each page


def setup(app):
    # Run after every other html-page-context handler (default priority 500).
    app.connect("html-page-context", dedupe_script_files, priority=999)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
