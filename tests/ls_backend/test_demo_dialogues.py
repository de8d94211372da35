from __future__ import annotations

import json

from exports import release
from ls_backend.demo import dialogues as demo


def test_demo_runs_and_its_data_is_valid(tmp_path, label_interface, capsys):
    assert demo.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "round trip         : 6/6 release lines byte-identical" in out
    tasks = json.loads((tmp_path / "demo.labelstudio.json").read_text(encoding="utf-8"))
    for task in tasks:
        assert label_interface.validate_prediction({"result": task["annotations"][0]["result"]}, return_errors=True) == []
    lines = (tmp_path / "demo.release.jsonl").read_text(encoding="utf-8").splitlines()
    group = release.loads(lines[1])
    assert [(c.label, [group.span_text(s) for s in c.spans]) for c in group.clusters] == [("C1", ["这个男生"]), ("C1C2", ["他俩"])]
    nested = release.loads(lines[2])
    assert [[nested.span_text(s) for s in c.spans] for c in nested.clusters] == [["你", "你", "你"], ["你妈"], ["我"]]
