"""The benchmark harness: `python -m bench --list` names the groups; README.md (Performance) tells the rest."""
