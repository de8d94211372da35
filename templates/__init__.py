"""Label Studio labeling config of MCR Studio and the names of its tags.

The XML lives in ``coref_video.xml`` beside this module. Every other part of the
project (converters, ML backend adapters, tests) refers to the tags through the
constants below, so renaming a tag is a change in two files: the XML and here.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

#: Object tags.
DIALOGUE = "dialogue"  # <Paragraphs>, task data key "dialogue"
VIDEO = "video"  # <Video>, task data key "video"
#: Control tags.
MENTION = "mention"  # <ParagraphLabels> on DIALOGUE: cluster number(s) of a mention
FLAGS = "flags"  # per-region <Choices> on DIALOGUE (mention regions): per-person flags
BOX = "box"  # <VideoRectangle> on VIDEO: the person's head box on its key frame
PERSON = "person"  # <Labels> on VIDEO: cluster number(s) of a box
CELEBRITY = "celebrity"  # per-region <TextArea> on VIDEO (box regions): celebrity name
COMMENT = "comment"  # <TextArea> on DIALOGUE: free comment of the annotator

#: Highest cluster number the template offers (labels C1..C20).
MAX_CLUSTERS = 20
CLUSTER_LABELS = tuple(f"C{i}" for i in range(1, MAX_CLUSTERS + 1))

#: Values of the per-person flags.
FLAG_NOT_IN_VIDEO = "person not in video"
FLAG_FACE_UNIDENTIFIABLE = "face not identifiable"

CONFIG_FILE = "coref_video.xml"


@cache
def labeling_config() -> str:
    """Return the labeling config XML shipped with the package."""
    return resources.files(__name__).joinpath(CONFIG_FILE).read_text(encoding="utf-8")
