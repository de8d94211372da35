"""Label Studio tasks, annotations and predictions (our template, ``templates/coref_video.xml``) <-> the artifacts.

Task data (the contract between import, template, backend and export)::

    {"doc_key": str, "dialogue": [{"speaker": "A", "text": "..."}, ...],
     "video": url-or-path, "title": str, "preview": str (the Data Manager's one line), "fps": number?,
     "frame_width": int?, "frame_height": int?, "frame_count": int?,
     "release": {...}}

``release`` carries what the release JSONL needs for a byte-identical write and an annotator cannot
edit (genre, key spellings, opaque paths, exact pixel boxes; see ``task._release_data``).

One module per control tag of the template converts its regions both ways:

* :mod:`.mention` -- ``paragraphlabels`` regions, one per mention, labelled with the cluster's
  number(s): ``["C1"]``, or ``["C1", "C2"]`` for a group mention. Mentions with the same label set
  form one cluster; clusters whose release label is ``"none"`` get numbers no other label uses;
* :mod:`.flags` -- per-region ``choices`` on the cluster's first mention region;
* :mod:`.box` -- ``videorectangle`` regions, one per person with a single key frame
  (``enabled: false``); shown only when the frame size and rate are known, else carried in
  ``release``; also the unlinked proposals of a prediction, with their note;
* :mod:`.celebrity` -- per-region ``textarea`` on a box: the celebrity name;
* :mod:`.comment` -- the annotator's ``textarea``.

:mod:`.task` holds the task data and the region order; :mod:`.prediction` a model's prediction.
A second task type's tags go here as further adapters.
"""
from exports.labelstudio.box import box_value
from exports.labelstudio.errors import LabelStudioFormatError
from exports.labelstudio.prediction import to_prediction
from exports.labelstudio.task import annotator_name, check_result, cluster_numbers, from_task, preview, read_task, to_result, to_task

__all__ = ["LabelStudioFormatError", "annotator_name", "box_value", "check_result", "cluster_numbers", "from_task", "preview", "read_task",
           "to_prediction", "to_result", "to_task"]
