from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dlib_faces():
    from ls_backend.pipeline.video.faces import DlibFaces

    return DlibFaces()


@pytest.fixture(scope="session")
def face_pool():
    from ls_backend.media.synth import faces

    return faces()
