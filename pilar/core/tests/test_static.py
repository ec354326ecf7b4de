"""The shipped stylesheet and scripts are whole: no merge leftovers, every block closed."""

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static" / "pilar"


def test_stylesheet_blocks_are_closed_and_free_of_merge_markers():
    css = (STATIC / "pilar.css").read_text()
    assert not re.search(r"^(<<<<<<<|=======|>>>>>>>)", css, re.M)
    depth = 0
    for char in re.sub(r"/\*.*?\*/", "", css, flags=re.S):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_scripts_are_free_of_merge_markers():
    for script in STATIC.glob("*.js"):
        assert not re.search(r"^(<<<<<<<|=======|>>>>>>>)", script.read_text(), re.M), script
