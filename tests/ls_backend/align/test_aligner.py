"""Alignment on hand-built cases: real faces (scikit-image), real dlib descriptors, the shipped scorer."""
from __future__ import annotations

import pytest

from exports.dialogue import Cluster, Dialogue, Turn
from ls_backend.pipeline.align.aligner import Aligner
from ls_backend.pipeline.align.clusters import text_clusters
from ls_backend.pipeline.align.gallery import Gallery
from ls_backend.pipeline.align.link import linked_dialogue
from ls_backend.pipeline.align.scorer import AlignScorer
from ls_backend.pipeline.align.synthetic import _crop
from ls_backend.pipeline.video.artifacts import Person, VideoAnalysis

WANG, XIAO, STRANGER = 12, 40, 77  # face indices in the pool


def _dialogue(a: str, b: str, clusters: list[list[str]], title: str = "") -> Dialogue:
    text = a + b
    spans = []
    for words in clusters:
        cl, start = [], 0
        for w in words:
            i = text.index(w, start)
            cl.append((i, i + len(w) - 1))
            start = i + 1
        spans.append(Cluster(tuple(cl)))
    return Dialogue("d1", (Turn("A", tuple(a)), Turn("B", tuple(b))), tuple(spans), title=title)


def _person(number, face, side, screen, pool, dlib_faces, x=100):
    crop, box = _crop(pool[face], side, side)
    emb = dlib_faces.embed(crop, [box])[0]
    return Person.candidate(number, 10 * number, (x, 100, x + side, 100 + side), (720, 1280), screen, 1.0, emb, crop)


@pytest.fixture(scope="module")
def gallery(face_pool, dlib_faces):
    g = Gallery()
    for name, face, side in (("王一博", WANG, 150), ("肖战", XIAO, 230)):  # taught at other sizes than shown below
        crop, box = _crop(face_pool[face], side, side)
        g.add(name, dlib_faces.embed(crop, [box])[0], "earlier-task")
    return g


def test_a_person_the_gallery_knows_is_named_and_linked(face_pool, dlib_faces, gallery):
    d = _dialogue("王一博今天好帅", "他真的很帅", [["王一博", "他"]])
    persons = [_person(1, STRANGER, 260, 10.0, face_pool, dlib_faces), _person(2, WANG, 200, 3.0, face_pool, dlib_faces, x=400)]
    clusters = text_clusters(d, extra_names=gallery.known())
    aligner = Aligner(AlignScorer.load(), gallery)
    alignment = aligner.align(clusters, persons)
    assert alignment.assigned == {0: (2,)} and alignment.names[2][0] == "王一博"
    linked, free = linked_dialogue(d, alignment, _analysis(persons))
    assert linked.clusters[0].label == "C1" and linked.boxes[0].label == "C1" and linked.boxes[0].celebrity == "王一博"
    assert free == [1]  # the stranger is proposed unlinked

    # the test that fails when the names signal is removed: the salience prior alone picks the stranger
    without = Aligner(AlignScorer.load(), gallery, signals=("priors",)).align(clusters, persons)
    assert without.assigned[0] == (1,)
    # a face the gallery does not know still gets the name its cluster's name mention says
    linked, _ = linked_dialogue(d, without, _analysis(persons), clusters)
    assert linked.boxes[0].celebrity == "王一博"


def test_a_group_mention_gets_both_persons(face_pool, dlib_faces, gallery):
    d = _dialogue("王一博和肖战他俩太好笑了", "哈哈哈", [["王一博"], ["肖战"], ["他俩"]])
    persons = [_person(1, XIAO, 220, 6.0, face_pool, dlib_faces), _person(2, WANG, 210, 5.5, face_pool, dlib_faces, x=400)]
    clusters = text_clusters(d, extra_names=gallery.known())
    assert [c.group for c in clusters] == [False, False, True]
    alignment = Aligner(AlignScorer.load(), gallery).align(clusters, persons)
    assert alignment.assigned == {0: (2,), 1: (1,), 2: (1, 2)}
    linked, free = linked_dialogue(d, alignment, _analysis(persons))
    assert [c.label for c in linked.clusters] == ["C1", "C2", "C1C2"] and free == []
    group_box = next(b for b in linked.boxes if b.label == "C1C2")
    assert group_box.bbox[0] <= 100 and group_box.bbox[2] >= 610  # covers both heads


def test_a_cluster_with_no_visible_person_gets_no_box(face_pool, dlib_faces, gallery):
    d = _dialogue("王一博说他妈妈做饭好吃", "我妈也是", [["王一博"], ["他妈妈"], ["我妈"]])
    persons = [_person(1, WANG, 200, 8.0, face_pool, dlib_faces)]
    clusters = text_clusters(d, extra_names=gallery.known())
    alignment = Aligner(AlignScorer.load(), gallery).align(clusters, persons)
    assert alignment.assigned == {0: (1,), 1: (), 2: ()}
    linked, _ = linked_dialogue(d, alignment, _analysis(persons))
    assert [c.label for c in linked.clusters] == ["C1", "none", "none"] and [b.label for b in linked.boxes] == ["C1"]
    nobody = Aligner(AlignScorer.load(), gallery).align(clusters, [])
    assert all(v == () for v in nobody.assigned.values())


def _analysis(persons):
    return VideoAnalysis.from_json({"meta": {"fps": 30.0, "width": 720, "height": 1280, "frame_count": 300},
            "shots": [0], "sampled_frames": 150, "pipeline_version": "test",
            "persons": [{"number": p.number, "frame": p.frame, "bbox": list(p.bbox), "screen_time": p.screen_time, "confidence": 1.0,
                         "tracks": [{"shot": 0, "first": 0, "last": 299}], "embedding": [float(v) for v in p.embedding], "crop": None}
                        for p in persons]})


@pytest.mark.parametrize(
    ("mentions", "names", "title", "expected"),
    [
        (("林一舟", "自己", "他"), ("林一舟",), "#林一舟 新歌现场", "林一舟"),
        (("云升", "他"), ("云升",), "#姜云升 #云升 说唱", "姜云升"),  # the hashtag that completes the name
        (("周小雨", "她"), ("周小雨",), "", "周小雨"),  # a name mention without a title
        (("这个男生",), (), "#林一舟", ""),  # no name in the cluster: no name on the box
    ],
)
def test_a_box_is_named_by_its_clusters_name_or_the_titles_hashtag(mentions, names, title, expected):
    from ls_backend.pipeline.align.artifacts import TextCluster
    from ls_backend.pipeline.align.link import name_from_text

    cluster = TextCluster(0, mentions, "name" if names else "noun", names=names)
    assert name_from_text(cluster, title) == expected
