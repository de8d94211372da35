"""`ls-backend preannotate`: the video pipeline over every task of a Label Studio project.

1. list the project's tasks; 2. fetch each distinct video (Label Studio's own media with its
token, or what the media policy allows) and analyse it, or take the cached analysis (store:
video content + pipeline version); 3. upload one prediction per task (text + person boxes) of
the active model version, replacing a text-only prediction of that version. A re-run skips
tasks that already have it, so an interrupted run resumes where it stopped. Afterwards the
backend's `/predict` answers those tasks from the store at once.
"""
from __future__ import annotations

import logging

from tqdm import tqdm

import templates as T
from exports import kinds
from exports.io.label_studio import connect, describe_api_error, every, plain, unreachable
from ls_backend.infra.config import Config
from ls_backend.media.fetch import MediaPolicy
from ls_backend.kinds import backend_kind
from ls_backend.serving.backend import Backend
from ls_backend.jobs.video_jobs import VideoJobs, video_refs

log = logging.getLogger(__name__)


def _has_video(prediction: dict) -> bool:
    return any(r.get("from_name") == T.BOX for r in prediction.get("result") or [])


def preannotate(config: Config, url: str, api_key: str, project: int, *, workers: int | None = None, ray: str | None = None) -> int:
    """Returns the exit status: 0 when every task got its prediction with video, 1 when some video failed."""
    client = connect(url, api_key)
    backend = Backend(config, own_trainer=False)
    version = backend.version
    try:
        tasks = [plain(t) for t in every(client.tasks.list, project=project, fields="all")]
    except Exception as exc:
        log.error("project %d: cannot list tasks: %s", project, describe_api_error(exc))
        return 2
    log.info("project %d: %d tasks; text model %s, video pipeline %s", project, len(tasks), version, backend.videos.settings.version)
    policy = MediaPolicy.from_config(config, ls_url=url.rstrip("/"), ls_token=api_key)
    jobs = VideoJobs(backend.videos.settings, policy, config.data_dir / "media", store=backend.store,
                     workers=workers, ray=ray)
    refs = video_refs(tasks)
    with tqdm(total=len(set(refs)), desc="videos" + (" (ray)" if ray is not None else ""), unit="video") as bar:
        outcomes = jobs.run(refs, progress=lambda _o: bar.update(1))
    failed = sum(1 for o in outcomes.values() if o.error)
    uploaded = skipped = errors = 0
    for i, task in enumerate(tqdm(tasks, desc="upload", unit="task")):
        tid = task.get("id")
        try:
            kind = kinds.of_task(task)  # a dialogue with its video; a post project's tasks are pre-annotated the same way
            doc = kind.read_task({"id": tid, "data": task.get("data")}, i, config.max_dialogue_chars)
            prediction = kind.to_prediction(backend.predictor.predict(backend_kind(kind), doc))
            version = prediction["model_version"]
        except ValueError as exc:  # the task (LabelStudioFormatError), or more clusters than the template offers
            log.error("task %s: %s", tid, exc)
            errors += 1
            continue
        try:
            existing = [plain(p) for p in client.predictions.list(task=tid)]
            same = [p for p in existing if p.get("model_version") == version]
            if any(_has_video(p) for p in same) or (same and not _has_video(prediction)):
                skipped += 1
                continue
            for p in same:
                client.predictions.delete(id=p["id"])
            client.predictions.create(task=tid, result=prediction["result"], score=prediction["score"], model_version=version)
            uploaded += 1
        except Exception as exc:  # one task's upload problem must not stop the others
            log.error("task %s: upload failed: %s", tid, describe_api_error(exc))
            errors += 1
            if unreachable(exc):  # Label Studio went away: the rest would fail the same way, slowly
                left = len(tasks) - i - 1
                log.error("project %d: Label Studio stopped answering at task %s; %d task(s) not uploaded. Run `ls-backend preannotate` "
                          "again when it is back: it skips the tasks that have their prediction and goes on from there", project, tid, left)
                errors += left
                break
    log.info("project %d: %d predictions uploaded, %d already there, %d task errors, %d videos failed (see above)",
             project, uploaded, skipped, errors, failed)
    return 1 if failed or errors else 0
