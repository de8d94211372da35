"""Person names: one normal form, and the key two spellings are compared by."""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+", re.UNICODE)
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """The name as stored and matched against dialogue text: NFKC (full-width letters and digits made
    plain), no whitespace, surface form otherwise kept (" 王 一博" -> "王一博", "G.E.M." stays)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def name_key(name: str) -> str:
    """What two annotators' spellings of a name are compared by: the normal form without punctuation,
    case-folded ("王一博！" ~ "王一博", "Jay Chou" ~ "jaychou")."""
    return _PUNCT.sub("", normalise_name(name)).casefold()
