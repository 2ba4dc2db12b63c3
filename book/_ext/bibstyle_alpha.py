"""pybtex style "alpha_latex": the default "alpha" style, LaTeX accents decoded.

references.bib is kept ASCII, so accented names are written as LaTeX escapes
(``Kynk{\\"a}{\\"a}nniemi``). pybtex's alpha label style abbreviates a last
name only when it is purely alphabetic, so an escaped name is copied whole
and the bibliography shows labels like ``[KAKynkaanniemi+24]``. This style
decodes the names first and so yields ``[KAK+24]``; everything else is
pybtex's alpha. Selected with ``bibtex_default_style: alpha_latex`` in
_config.yml and loaded through ``sphinx.local_extensions``.
"""

from __future__ import annotations

from pybtex.database import Person
from pybtex.plugin import find_plugin, register_plugin
from pybtex.richtext import Text

AlphaLabelStyle = find_plugin("pybtex.style.labels", "alpha")
AlphaStyle = find_plugin("pybtex.style.formatting", "alpha")


def _decoded(person: Person) -> Person:
    if str(person) == "others":
        return person
    return Person(Text.from_latex(str(person)).render_as("text"))


class LatexAlphaLabelStyle(AlphaLabelStyle):
    def format_lab_names(self, persons):
        return super().format_lab_names([_decoded(p) for p in persons])


class LatexAlphaStyle(AlphaStyle):
    default_label_style = LatexAlphaLabelStyle


def setup(app):
    register_plugin("pybtex.style.labels", "alpha_latex", LatexAlphaLabelStyle)
    register_plugin("pybtex.style.formatting", "alpha_latex", LatexAlphaStyle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
