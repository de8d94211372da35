"""The pre-annotation pipeline: text coreference (``text/``); video and alignment come next."""
