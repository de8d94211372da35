"""Create a Label Studio project for MCR Studio: template, instructions, tasks, videos, ML backend.

Everything that can fail on our side (the release file, the video directory) is checked
before anything is created on the server, so a bad input never leaves half a project.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import annotation_guidelines
import templates
from exports import kinds, labelstudio
from exports.prediction import Prediction
from exports.dialogue import Dialogue
from exports.io.label_studio import describe_api_error
from exports.io.media import MediaError, VideoSource

log = logging.getLogger(__name__)

IMPORT_BATCH = 200
ANNOTATORS_PER_TASK = 2


class ProjectError(RuntimeError):
    """The project could not be created; the message says why."""


class ProjectPartlyCreated(ProjectError):
    """The project exists but a required step failed; the message names the project id and the step."""


@dataclass
class ProjectResult:
    id: int
    tasks: int
    url: str
    storage_id: int | None = None
    ml_backend_id: int | None = None
    warnings: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)  # requested steps that failed (also in ``warnings``)

    def failed(self, message: str) -> None:
        self.warnings.append(message)
        self.failed_steps.append(message)


def build_tasks(
    dialogues: Sequence[Dialogue], videos: VideoSource, *, with_annotations: bool, with_predictions: str | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Label Studio tasks for the dialogues, with video URL, fps and frame size from the files."""
    tasks, warnings = [], []
    for d in dialogues:
        d, warning = videos.attach(d)
        if warning:
            warnings.append(warning)
        task = labelstudio.to_task(d, annotation=with_annotations)
        if with_predictions:
            task["predictions"] = [labelstudio.to_prediction(Prediction(d, (), 1.0, with_predictions))]
        tasks.append(task)
    return tasks, warnings


#: The project's Data Manager tab: the dialogue as one line of text (``data.preview``) instead of the JSON of
#: its turns, the prediction score (to sort by the model's uncertainty), and none of the columns an annotator
#: has no use for (Label Studio's column ids).
_UNUSED = ["tasks:inner_id", "tasks:annotators", "tasks:annotations_results", "tasks:annotations_ids",
           "tasks:predictions_model_versions", "tasks:predictions_results", "tasks:file_upload", "tasks:storage_filename",
           "tasks:created_at", "tasks:updated_at", "tasks:updated_by", "tasks:avg_lead_time", "tasks:draft_exists",
           "tasks:comment_authors", "tasks:comment_count", "tasks:last_comment_updated_at", "tasks:unresolved_comment_count",
           "tasks:data.dialogue", "tasks:data.release", "tasks:data.video", "tasks:data.fps",
           "tasks:data.frame_width", "tasks:data.frame_height", "tasks:data.frame_count"]
DIALOGUE_VIEW = {"title": "Dialogues", "hiddenColumns": {"explore": _UNUSED, "labeling": [*_UNUSED, "tasks:data.doc_key"]}}


def create_project(
    client: Any,
    *,
    title: str,
    dialogues: Sequence[Dialogue],
    videos: VideoSource = VideoSource(),
    with_annotations: bool = False,
    with_predictions: str | None = None,
    ml_backend: str | None = None,
    base_url: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ProjectResult:
    """Create the project and import the dialogues.

    Args:
        client: a ``label_studio_sdk.LabelStudio`` client.
        with_annotations: import the dialogues' annotations (e.g. gold data to review).
        with_predictions: import the dialogues' annotations as predictions of this model version.
        ml_backend: URL of an ML backend to connect.

    Raises:
        ProjectError: the video directory is unusable, or the server refused to create the project.
        ProjectPartlyCreated: the project exists, but a later step the server refused left it incomplete.
    """
    try:
        videos.check()
    except MediaError as exc:
        raise ProjectError(str(exc)) from None
    tasks, warnings = build_tasks(dialogues, videos, with_annotations=with_annotations, with_predictions=with_predictions)
    kind = kinds.get("coref")
    return _create_and_import(
        client, title=title, description="MCR Studio: person mentions, clusters and head boxes on key frames",
        label_config=kind.labeling_config(), instructions=annotation_guidelines.instructions_html(kind.guidelines), annotators=ANNOTATORS_PER_TASK,
        tasks=tasks, warnings=warnings, view=DIALOGUE_VIEW, storage_root=videos.root, storage_title="MCR Studio videos",
        with_predictions=with_predictions, ml_backend=ml_backend, base_url=base_url, progress=progress)


#: CMNER's practice: three annotators per post.
ANNOTATORS_PER_POST = 3
POST_VIEW = {"title": "Posts", "hiddenColumns": {"explore": ["tasks:data.release", "tasks:data.images", "tasks:inner_id", "tasks:annotations_results",
                                                             "tasks:predictions_results", "tasks:file_upload", "tasks:storage_filename"],
                                                 "labeling": ["tasks:data.release", "tasks:data.images"]}}


def create_post_project(
    client: Any,
    *,
    title: str,
    posts: Sequence[Any],
    layout: Any = None,
    images: Callable[[Any], list[str] | None] | None = None,
    image_root: Any = None,
    with_annotations: bool = False,
    with_predictions: str | None = None,
    ml_backend: str | None = None,
    base_url: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ProjectResult:
    """A post NER project (``templates/ner_post.xml``, the NER guidelines, three annotators per post) with the posts imported.

    Raises:
        ProjectError / ProjectPartlyCreated: as :func:`create_project`.
    """
    from exports.labelstudio import post as post_task

    kind = kinds.get("ner")
    tasks = []
    for i, p in enumerate(posts):
        task = post_task.to_task(p, layout, i, last=i == len(posts) - 1, images=images(p) if images else None, annotation=with_annotations)
        if with_predictions:
            task["predictions"] = [post_task.to_prediction(p, 1.0, with_predictions)]
        tasks.append(task)
    with_images = any(t["data"]["images"] for t in tasks)  # posts without any image get the config without the images column
    return _create_and_import(
        client, title=title, description="MCR Studio: named entities in multi-image posts",
        label_config=kind.labeling_config() if with_images else templates.ner_config(images=False),
        instructions=annotation_guidelines.instructions_html(kind.guidelines), annotators=ANNOTATORS_PER_POST, tasks=tasks, warnings=[],
        view=POST_VIEW, storage_root=image_root, storage_title="MCR Studio post images", with_predictions=with_predictions,
        ml_backend=ml_backend, base_url=base_url, progress=progress)


def _create_and_import(
    client: Any, *, title: str, description: str, label_config: str, instructions: str, annotators: int, tasks: list[dict[str, Any]],
    warnings: list[str], view: dict[str, Any], storage_root: Any, storage_title: str, with_predictions: str | None,
    ml_backend: str | None, base_url: str, progress: Callable[[int, int], None] | None,
) -> ProjectResult:
    try:
        project = client.projects.create(
            title=title,
            description=description,
            label_config=label_config,
            expert_instruction=instructions,
            show_instruction=True,
            show_skip_button=True,
            enable_empty_annotation=False,
            maximum_annotations=annotators,
            show_collab_predictions=True,
            evaluate_predictions_automatically=bool(ml_backend),  # ask the backend when a task opens
            **({"model_version": with_predictions} if with_predictions else {}),
        )
    except Exception as exc:  # the SDK raises its ApiError or httpx errors
        raise ProjectError(f"creating the project failed: {describe_api_error(exc)}") from None
    result = ProjectResult(id=project.id, tasks=0, url=f"{base_url}/projects/{project.id}/data", warnings=warnings)
    if getattr(project, "maximum_annotations", annotators) != annotators:
        result.failed(f"this Label Studio did not accept {annotators} annotations per task; distribute tasks by hand")
    try:
        client.views.create(project=project.id, data=view)
    except Exception as exc:  # a cosmetic step: the project works without it
        result.failed(f"the Data Manager tab could not be created: {describe_api_error(exc)}")
    if storage_root is not None:
        try:
            storage = client.import_storage.local.create(
                project=project.id, path=str(storage_root.resolve()), title=storage_title, use_blob_urls=False
            )
            result.storage_id = storage.id
        except Exception as exc:
            raise ProjectPartlyCreated(f"project {project.id} created, but connecting the media directory failed: {describe_api_error(exc)}") from None
    for start in range(0, len(tasks), IMPORT_BATCH):
        batch = tasks[start : start + IMPORT_BATCH]
        try:
            client.projects.import_tasks(id=project.id, request=batch)
        except Exception as exc:
            raise ProjectPartlyCreated(
                f"project {project.id} created, {start} of {len(tasks)} tasks imported; the next batch failed: {describe_api_error(exc)}"
            ) from None
        result.tasks += len(batch)
        if progress:
            progress(result.tasks, len(tasks))
    if ml_backend:
        try:
            backend = client.ml.create(url=ml_backend, project=project.id, title="MCR Studio ML backend", is_interactive=True)  # Auto-Annotation: interactive /predict
            result.ml_backend_id = backend.id
        except Exception as exc:  # the SDK raises its ApiError or httpx errors
            result.failed(f"the ML backend at {ml_backend} could not be connected: {describe_api_error(exc)}")
        else:
            try:
                retrieve_predictions(client, project.id)
            except Exception as exc:
                result.failed(f"the ML backend is connected, but its first predictions could not be retrieved: "
                                       f"{describe_api_error(exc)}; Label Studio asks again when a task opens")
    return result


def retrieve_predictions(client: Any, project_id: int) -> None:
    """Ask Label Studio to fetch predictions from the connected ML backend for every task."""
    client.actions.create(id="retrieve_tasks_predictions", project=project_id, selected_items={"all": True, "excluded": []})
