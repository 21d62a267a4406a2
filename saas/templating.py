"""The Jinja environment of the product's templates (pages, e-mails and PDFs)."""
from __future__ import annotations

from flask.templating import Environment

_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Flask's environment, with ``row.name`` on a plain dict read as its key at once.

    Jinja tries the attribute first and the key after, so on a dict every name that is not a dict method
    costs a failed attribute lookup and its exception: hundreds of times on a page of rows (services hand
    templates plain dicts).  The outcome is the same: a dict's attributes are exactly its methods, which
    still come first."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)
