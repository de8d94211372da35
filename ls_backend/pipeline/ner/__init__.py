"""Named entities in posts (the CMNER / MNER-MI task): the embedded CRF tagger, its training and evaluation."""
