"""The benchmark harness: `python -m bench --list` names the groups; README.md's "Performance" section tells the rest."""
