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

#: The post NER task (CMNER, MNER-MI): ``ner_post.xml``.
NER_CONFIG_FILE = "ner_post.xml"
NER_TEXT = "text"  # <Text>, task data key "text"
NER_IMAGES = "images"  # <Image valueList>, task data key "images": the post's images in order
NER_ENTITY = "entity"  # <Labels> on NER_TEXT: PER / LOC / ORG / MISC, hotkeys 1-4
NER_TYPES = ("PER", "LOC", "ORG", "MISC")


@cache
def labeling_config() -> str:
    """Return the labeling config XML shipped with the package."""
    return resources.files(__name__).joinpath(CONFIG_FILE).read_text(encoding="utf-8")


@cache
def ner_config(images: bool = True) -> str:
    """The labeling config of the post NER task; ``images=False``: without the images column, for posts that have
    none (Label Studio 1.23's editor does not load a task whose ``<Image valueList>`` is an empty list)."""
    xml = resources.files(__name__).joinpath(NER_CONFIG_FILE).read_text(encoding="utf-8")
    if images:
        return xml
    start = xml.index('    <View className="mcr-post-images">')
    end = xml.index("    </View>\n", start) + len("    </View>\n")
    return xml[:start] + xml[end:]


#: Task data key of the review project's conflict list (see :func:`review_config`).
CONFLICTS = "conflicts"


@cache
def review_config() -> str:
    """The labeling config of an adjudication (review) project: ours, with the list of
    conflicts between the two annotators shown above the task."""
    xml = labeling_config()
    header = (
        '  <View style="background:#fff4e5;border:1px solid #f0b36b;border-radius:6px;padding:6px 10px;margin-bottom:8px">\n'
        '    <Header value="Conflicts to decide (both annotators\' versions are under Predictions):" size="6"/>\n'
        f'    <Text name="{CONFLICTS}" value="${CONFLICTS}" selectionEnabled="false"/>\n'
        "  </View>\n"
    )
    marker = '  <Header value="$title" size="5"/>\n'
    return xml.replace(marker, header + marker, 1)


@cache
def ner_review_config() -> str:
    """The labeling config of a post NER review project: the post template with the annotators' conflicts above it."""
    header = (
        '  <View style="background:#fff4e5;border:1px solid #f0b36b;border-radius:6px;padding:6px 10px;margin-bottom:8px">\n'
        '    <Header value="Conflicts to decide (every annotator\'s version is under Predictions):" size="6"/>\n'
        f'    <Text name="{CONFLICTS}" value="${CONFLICTS}" selectionEnabled="false"/>\n'
        "  </View>\n"
    )
    marker = '  <Header value="Post $post_id" size="5"/>\n'
    xml = ner_config()
    if marker not in xml:
        raise RuntimeError("ner_post.xml lost its header line; ner_review_config cannot place the conflicts")
    return xml.replace(marker, header + marker, 1)
