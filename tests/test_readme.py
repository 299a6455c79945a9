"""The README's JupyterLab section runs as written, on the demo's processed data."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _jupyterlab_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Exploring in JupyterLab", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the JupyterLab section has one Python block"
    return blocks[0]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    from soskulib import demo, prepare

    root = tmp_path_factory.mktemp("readme")
    demo.write_demo(root / "data" / "raw" / "demo", n_clients=600)
    prepare.prepare(root / "data" / "raw" / "demo", root / "data" / "processed",
                    log=lambda _msg: None)
    return root


def test_readme_jupyterlab_block_runs(demo_root, monkeypatch, capsys):
    monkeypatch.chdir(demo_root)
    namespace: dict = {}
    exec(compile(_jupyterlab_block(), str(README), "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    assert "disclosure-protected" in out
    by_gender = namespace["by_gender"]
    assert set(by_gender["gender"]) >= {"female", "male"}
    assert (by_gender["n"].dropna() >= 5).all()
    fig = namespace["fig"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Municipality" in texts and "Vantaa" in texts
    plt.close("all")
