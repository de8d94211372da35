"""Property-based requests against every route: arbitrary JSON, protocol-shaped payloads with wrong types,
sizes and encodings. Every answer is a 2xx, or a 4xx with ``{"error": ...}``; never a 5xx; a refused webhook
stores nothing; the server is healthy afterwards (Flask's test client, then a smaller run on gunicorn)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import templates as T
from ls_backend.serving.app import create_app
from ls_backend.infra.config import Config
from ls_backend.serving.backend import Backend

ROUTES = [("POST", "/predict"), ("POST", "/webhook"), ("POST", "/setup"), ("POST", "/train"), ("GET", "/health"), ("GET", "/"),
          ("GET", "/metrics"), ("POST", "/health"), ("PUT", "/predict"), ("POST", "/nowhere")]

text = st.text(st.characters(codec="utf-8"), max_size=30) | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True) | text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=25)


def _deep(depth: int) -> bytes:
    return b'{"tasks": ' + b"[" * depth + b"]" * depth + b"}"


# protocol-shaped payloads: the right keys with values of any type
turn = st.fixed_dictionaries({"speaker": scalars, "text": text | scalars})
data = st.fixed_dictionaries({"dialogue": st.lists(turn, max_size=3) | json_values}, optional={
    "doc_key": scalars, "title": scalars, "video": scalars, "fps": scalars, "frame_width": scalars, "frame_height": scalars,
    "release": json_values})
post_data = st.fixed_dictionaries({"post_id": scalars | st.just("p1"), "text": text | scalars}, optional={
    "images": json_values, "url": scalars, "release": st.fixed_dictionaries({}, optional={"tokens": json_values, "tags": json_values}) | json_values})
task = st.fixed_dictionaries({"data": data | post_data | json_values}, optional={"id": scalars})
region_value = st.fixed_dictionaries({}, optional={
    "start": scalars, "end": scalars, "startOffset": scalars, "endOffset": scalars, "text": json_values,
    "paragraphlabels": st.lists(st.sampled_from([*T.CLUSTER_LABELS[:3], "C99", ""]) | scalars, max_size=3),
    "labels": st.lists(st.sampled_from(T.CLUSTER_LABELS[:3]) | scalars, max_size=2), "choices": json_values,
    "sequence": st.lists(st.fixed_dictionaries({"frame": scalars, "x": scalars, "y": scalars, "width": scalars, "height": scalars}), max_size=2)})
region = st.fixed_dictionaries({"from_name": st.sampled_from([T.MENTION, T.FLAGS, T.BOX, T.PERSON, T.CELEBRITY, T.COMMENT, T.NER_ENTITY, "other"]) | scalars,
                                "value": region_value | json_values}, optional={"id": scalars, "type": st.sampled_from(["videorectangle", "labels", "textarea"]) | scalars})
valid_data = st.just({"doc_key": "f1", "dialogue": [{"speaker": "A", "text": "王一博和肖战"}, {"speaker": "B", "text": "他俩好甜"}]})
annotation = st.fixed_dictionaries({"id": scalars | st.integers(1, 10**6), "result": st.lists(region, max_size=4) | json_values},
                                   optional={"was_cancelled": scalars})
event = st.fixed_dictionaries({"action": st.sampled_from(["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "ANNOTATIONS_DELETED",
                                                           "START_TRAINING", "PROJECT_UPDATED"]) | scalars},
                              optional={"annotation": annotation | json_values, "annotations": st.lists(annotation, max_size=2) | json_values,
                                        "task": st.fixed_dictionaries({"data": valid_data | data | post_data}, optional={"id": scalars}) | json_values,
                                        "project": st.fixed_dictionaries({}, optional={"id": scalars}) | json_values})
payloads = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"tasks": st.lists(task | json_values, max_size=3) | json_values}, optional={"label_config": text | scalars}).map(lambda v: json.dumps(v).encode()),
    event.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"schema": text | scalars | st.just("<View><Paragraphs name='dialogue' value='$d'/>") | st.just(T.ner_config())}).map(
        lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    st.integers(50, 5000).map(_deep),
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    config = Config(data_dir=tmp_path_factory.mktemp("fuzz"), retrain_debounce=3600.0)
    b = Backend(config)
    yield config, b
    b.close()


def _check(status: int, body: bytes) -> None:
    assert status < 500, body[:300]
    if status >= 400:
        assert isinstance(json.loads(body).get("error"), str) and json.loads(body)["error"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), payload=payloads)
def test_no_generated_request_gets_a_5xx(backend, route, payload):
    config, b = backend
    client = create_app(config, b).test_client()
    method, path = route
    before = b.store.count_annotations()
    resp = client.open(path, method=method, data=payload, content_type="application/json")
    _check(resp.status_code, resp.data)
    if path == "/webhook" and resp.status_code >= 400:
        assert b.store.count_annotations() == before  # a refused event stores nothing
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("result", "error"),
    [
        ({"not": "a list"}, "result: expected a list of regions, got dict"),
        ([{"from_name": "mention", "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 40, "paragraphlabels": ["C1"]}}],
         "result[0].value: bad mention offsets"),
        ([{"from_name": "mention", "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 3, "paragraphlabels": [7]}}],
         "result[0].value.paragraphlabels: unknown cluster number(s) [7]"),
        ([{"from_name": "box", "type": "videorectangle", "value": {"labels": ["C1"], "sequence": [{"frame": "x", "x": 1, "y": 1, "width": 5, "height": 5}]}}],
         "box C1.sequence[0].frame: expected a frame number >= 1, got 'x'"),
        ([{"from_name": "comment", "value": {"text": [1, 2]}}], "result[0].value.text: expected a list of strings"),
        ([{"from_name": "mystery", "value": {}}], "result[0].from_name: unknown control 'mystery'"),
    ],
)
def test_an_annotation_that_does_not_fit_the_template_is_refused_and_not_stored(backend, result, error):
    config, b = backend
    client = create_app(config, b).test_client()
    before = b.store.count_annotations()
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "annotation": {"id": 77, "result": result},
             "task": {"id": 5, "data": {"doc_key": "f5", "dialogue": [{"speaker": "A", "text": "王一博和肖战"}, {"speaker": "B", "text": "他俩好甜"}]}}}
    resp = client.post("/webhook", json=event)
    assert resp.status_code == 400
    assert resp.json["error"].startswith("webhook: ANNOTATION_CREATED: annotation 77: task 5 (f5): ") and error in resp.json["error"]
    assert resp.json["error"].endswith("; nothing was stored")
    assert b.store.count_annotations() == before


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (_deep(100_000), "nested more than 64 levels deep"),
        (_deep(70), "body.tasks[0][0]"),
        (b'{"tasks": [{"data": {"dialogue": [{"speaker": "A", "text": "\\ud800"}]}}]}',
         "body.tasks[0].data.dialogue[0].text: not valid Unicode (a lone surrogate \\ud800 at character 0)"),
        (b'{"tasks": [], "x": NaN}', "the body has NaN, which JSON does not allow"),
        (b"\xff\xfe", "the body is not UTF-8"),
    ],
)
def test_bodies_that_used_to_crash_get_a_400(backend, payload, error):
    config, b = backend
    resp = create_app(config, b).test_client().post("/predict", data=payload, content_type="application/json")
    assert resp.status_code == 400 and error in resp.json["error"]


@pytest.mark.slow
def test_the_live_server_answers_generated_requests_without_a_5xx(tmp_path):
    from tests.support.backend import running_backend

    seen = []

    with running_backend(tmp_path / "live", debounce=3600.0) as server:

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(route=st.sampled_from(ROUTES[:4]), payload=payloads)
        def probe(route, payload):
            req = urllib.request.Request(server.url + route[1], data=payload, method=route[0], headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    status, body = resp.status, resp.read()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
            _check(status, body)
            seen.append(status)

        probe()
        with urllib.request.urlopen(server.url + "/health", timeout=10) as resp:
            assert json.loads(resp.read())["status"] == "UP"
    assert len(seen) >= 60
